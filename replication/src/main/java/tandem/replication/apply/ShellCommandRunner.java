package tandem.replication.apply;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@link CommandRunner} through {@code /bin/sh -c}: standard input from /dev/null, standard error into
 * standard output, the daemon's environment plus the given variables, a timeout (default 60 s) after
 * which the command and its descendants are killed. Output is kept bounded: the first and the last
 * {@code maxOutput / 2} octets (an error message is usually at the end, the context at the start).
 */
public final class ShellCommandRunner implements CommandRunner {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_OUTPUT = 16 * 1024;
    /** How long the output is still read after the shell exited (a background child may hold the pipe). */
    private static final Duration DRAIN = Duration.ofSeconds(1);

    private final Duration timeout;
    private final int maxOutput;

    public ShellCommandRunner() {
        this(DEFAULT_TIMEOUT, DEFAULT_MAX_OUTPUT);
    }

    public ShellCommandRunner(Duration timeout, int maxOutput) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: positive)");
        }
        if (maxOutput < 64) {
            throw new IllegalArgumentException("max output: " + maxOutput + " (expected: at least 64 octets)");
        }
        this.timeout = timeout;
        this.maxOutput = maxOutput;
    }

    public Duration timeout() {
        return timeout;
    }

    @Override
    public CommandResult run(String command, Map<String, String> environment, Path directory) throws InterruptedException {
        long start = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectErrorStream(true)
            .directory(directory.toFile());
        pb.environment().putAll(environment);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new CommandResult(command, -1, "could not start /bin/sh: " + e.getMessage(), false, since(start));
        }
        Capture capture = new Capture(maxOutput);
        InputStream out = p.getInputStream();
        Thread reader = Thread.ofVirtual().name("command-output").start(() -> capture.readAll(out));
        boolean timedOut = false;
        try {
            if (!p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                timedOut = true;
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor();
            }
        } catch (InterruptedException e) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw e;
        }
        if (!reader.join(DRAIN)) {
            capture.note("[output still open after the command exited (a background process?): not read further]");
        }
        return new CommandResult(command, timedOut ? -1 : p.exitValue(), capture.text(), timedOut, since(start));
    }

    private static long since(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** The first and last octets of a stream, and how many were cut in between. */
    static final class Capture {
        private final byte[] head;
        private final byte[] tail;
        private int headLength;
        private long total;
        private String note = "";

        Capture(int max) {
            head = new byte[max / 2];
            tail = new byte[max - max / 2];
        }

        void readAll(InputStream in) {
            byte[] buf = new byte[8192];
            try (in) {
                for (int r; (r = in.read(buf)) > 0; ) {
                    add(buf, r);
                }
            } catch (IOException e) {
                synchronized (this) {
                    note = "[output: " + e.getMessage() + "]";
                }
            }
        }

        synchronized void add(byte[] b, int n) {
            for (int i = 0; i < n; i++) {
                if (headLength < head.length) {
                    head[headLength++] = b[i];
                } else {
                    tail[(int) ((total - head.length) % tail.length)] = b[i];
                }
                total++;
            }
        }

        synchronized void note(String s) {
            note = s;
        }

        synchronized String text() {
            StringBuilder sb = new StringBuilder(new String(head, 0, headLength, StandardCharsets.UTF_8));
            long rest = total - headLength;
            if (rest > 0) {
                int kept = (int) Math.min(rest, tail.length);
                byte[] t = new byte[kept];
                long first = total - kept;
                for (int i = 0; i < kept; i++) {
                    t[i] = tail[(int) ((first + i - head.length) % tail.length)];
                }
                if (rest > kept) {
                    sb.append("\n[... ").append(rest - kept).append(" octets cut ...]\n");
                }
                sb.append(new String(t, StandardCharsets.UTF_8));
            }
            if (!note.isEmpty()) {
                sb.append(sb.isEmpty() ? "" : "\n").append(note);
            }
            return sb.toString();
        }
    }
}
