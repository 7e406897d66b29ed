package tandem.services;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real systemd (the one installed, /lib/systemd/systemd) booted as PID 1 of new PID, mount, UTS,
 * IPC, network and cgroup namespaces, with a tmpfs /run, a cgroup2 hierarchy rooted in a fresh
 * child cgroup, and only the units given here (SYSTEMD_UNIT_PATH): nothing of the host's units
 * starts. Its runtime directory is reachable from outside as /proc/PID/root/run/systemd, its API
 * socket with it. Needs root. close() KILLs unshare, whose --kill-child KILLs systemd, and with the
 * namespace's init every process in it.
 */
final class PrivateSystemd implements AutoCloseable {
    private static final String SYSTEMD = "/lib/systemd/systemd";
    private final Process unshare;
    private final long pid;
    private final Path cgroup;
    private final Path runDir;
    private Process relay;

    private PrivateSystemd(Process unshare, long pid, Path cgroup, Path runDir) {
        this.unshare = unshare;
        this.pid = pid;
        this.cgroup = cgroup;
        this.runDir = runDir;
    }

    /** Why this machine cannot boot one, or null. */
    static String unavailable() {
        if (!Files.isExecutable(Path.of(SYSTEMD))) {
            return SYSTEMD + " is not installed";
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return "needs root";
        }
        if (cgroup2Mount() == null) {
            return "no cgroup2 hierarchy is mounted";
        }
        return null;
    }

    static PrivateSystemd boot(Path dir, Map<String, String> units) throws IOException, InterruptedException {
        Path unitDir = Files.createDirectories(dir.resolve("units"));
        write(unitDir, "test.target", "[Unit]\nDescription=tandem test\nDefaultDependencies=no\n");
        for (String t : List.of("sysinit.target", "basic.target", "shutdown.target")) {
            write(unitDir, t, "[Unit]\nDescription=" + t + "\nDefaultDependencies=no\n");
        }
        write(unitDir, "system.slice", "[Unit]\nDescription=system\nDefaultDependencies=no\n");
        for (var u : units.entrySet()) {
            write(unitDir, u.getKey(), u.getValue());
        }
        Path cg = cgroup2Mount().resolve(ownCgroup()).resolve("tandem-systemd-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        Files.createDirectories(cg);
        Path boot = dir.resolve("boot.sh");
        Files.writeString(boot, String.join("\n",
            "set -e",
            "mount --make-rprivate /",
            "mount -t proc proc /proc",
            "mount -t tmpfs tmpfs /run",
            "umount -R /sys/fs/cgroup 2>/dev/null || true",
            "mount -t cgroup2 cgroup2 /sys/fs/cgroup",
            "exec env -i container=tandem-test SYSTEMD_UNIT_PATH=" + unitDir + " PATH=/usr/sbin:/usr/bin:/sbin:/bin "
                + SYSTEMD + " --system --unit=test.target --log-target=console",
            ""));
        Process p = new ProcessBuilder("/bin/sh", "-c", "echo $$ > " + cg.resolve("cgroup.procs")
            + " && exec unshare --pid --fork --mount --uts --ipc --net --cgroup --kill-child /bin/sh " + boot)
            .redirectErrorStream(true).redirectOutput(dir.resolve("systemd.log").toFile()).start();
        long[] child = new long[1];
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("systemd did not boot: " + Files.readString(dir.resolve("systemd.log")));
                }
                child[0] = p.children().findFirst().map(ProcessHandle::pid).orElse(-1L);
                Path run = Path.of("/proc/" + child[0] + "/root/run/systemd");
                return child[0] > 0 && Files.isDirectory(run.resolve("system")) && Files.exists(run.resolve("private"));
            });
        } catch (RuntimeException e) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
            removeCgroup(cg);
            throw e;
        }
        Path runDir = Files.createDirectories(dir.resolve("run-systemd"));
        PrivateSystemd sd = new PrivateSystemd(p, child[0], cg, runDir);
        try {
            sd.startRelay();
        } catch (IOException | RuntimeException e) {
            sd.close0();
            throw e;
        }
        return sd;
    }

    /**
     * A runtime directory for the client: "system" links to the real marker in the namespace, and
     * "private" is the relay's socket (see {@link UnixRelayMain}: systemd talks only to peers in its
     * PID namespace).
     */
    Path runDir() {
        return runDir;
    }

    private void startRelay() throws IOException {
        Path real = Path.of("/proc/" + pid + "/root/run/systemd");
        Files.createSymbolicLink(runDir.resolve("system"), real.resolve("system"));
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        String cp = Path.of("target/test-classes").toAbsolutePath().toString();
        relay = new ProcessBuilder("nsenter", "--target", Long.toString(pid), "--pid", "--", java, "-cp", cp,
            UnixRelayMain.class.getName(), runDir.resolve("private").toString(), real.resolve("private").toString())
            .redirectErrorStream(true).start();
        String first = new java.io.BufferedReader(new java.io.InputStreamReader(relay.getInputStream())).readLine();
        if (!"relaying".equals(first)) {
            throw new IOException("the relay into systemd's PID namespace did not start: " + first);
        }
    }

    /** systemctl inside the namespaces (through systemd's own socket there). */
    String systemctl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--target", Long.toString(pid), "--mount", "--pid", "systemctl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return out;
    }

    @Override
    public void close() throws Exception {
        close0();
    }

    private void close0() throws IOException {
        if (relay != null) {
            relay.destroyForcibly(); // nsenter; the relay itself dies with the namespace
        }
        unshare.destroyForcibly();
        try {
            unshare.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !Procs.alive(pid));
        removeCgroup(cgroup);
    }

    private static void removeCgroup(Path cg) {
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            try (Stream<Path> s = Files.walk(cg)) {
                for (Path d : s.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(d); // rmdir: a cgroup's files go with it
                }
            }
            return !Files.exists(cg);
        });
    }

    private static void write(Path dir, String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text);
    }

    /** Where the cgroup2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid system). */
    private static Path cgroup2Mount() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] halves = l.split(" - ", 2);
                if (halves.length == 2 && halves[1].startsWith("cgroup2 ")) {
                    return Path.of(halves[0].split(" ")[4]);
                }
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** This process's cgroup2 path, relative ("" for the root). */
    private static String ownCgroup() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            if (l.startsWith("0::")) {
                return l.substring(3).replaceFirst("^/", "");
            }
        }
        return "";
    }
}
