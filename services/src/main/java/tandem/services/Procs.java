package tandem.services;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tandem.linux.Libc;

/**
 * Processes and process groups as /proc and kill(2) see them. A zombie counts as gone: it runs
 * nothing, and whoever adopted it reaps it.
 */
final class Procs {
    private static final Path PROC = Path.of("/proc");

    private Procs() {
    }

    /** Whether {@code pid} exists and is not a zombie. */
    static boolean alive(long pid) {
        String[] f = stat(pid);
        return f != null && !f[0].equals("Z") && !f[0].equals("X");
    }

    /** The live (not zombie) members of process group {@code pgid}. */
    static List<Long> group(long pgid) {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(PROC)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.isEmpty() || !Character.isDigit(n.charAt(0))) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(n);
                } catch (NumberFormatException e) {
                    continue;
                }
                String[] f = stat(pid);
                if (f != null && !f[0].equals("Z") && !f[0].equals("X") && Long.parseLong(f[2]) == pgid) {
                    out.add(pid);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
        }
        return out;
    }

    /** The process group of {@code pid}, or -1 if it is gone. */
    static long pgid(long pid) {
        String[] f = stat(pid);
        return f == null ? -1 : Long.parseLong(f[2]);
    }

    /** Sends {@code signal} to every member of group {@code pgid}; false if the group is empty. */
    static boolean signalGroup(long pgid, Signal signal) {
        return Libc.kill((int) -pgid, signal.number());
    }

    /** Sends {@code signal} to {@code pid}; false if it is gone. */
    static boolean signal(long pid, Signal signal) {
        return Libc.kill((int) pid, signal.number());
    }

    /** "exited with status 3", "killed by signal 9 (KILL)" from Process.exitValue() (128+n after a signal). */
    static String exit(int status) {
        if (status > 128 && status < 128 + 65) {
            Signal s = Signal.of(status - 128);
            return "killed by signal " + (status - 128) + (s == null ? "" : " (" + s + ")");
        }
        return "exited with status " + status;
    }

    /** Fields from the state on of /proc/PID/stat: [0] state, [1] ppid, [2] pgrp, [3] session; null if gone. */
    private static String[] stat(long pid) {
        String s;
        try {
            s = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
        } catch (IOException | RuntimeException e) {
            return null;
        }
        int close = s.lastIndexOf(')');
        if (close < 0) {
            return null;
        }
        String[] f = s.substring(close + 2).split(" ", 5);
        return f.length < 4 ? null : f;
    }
}
