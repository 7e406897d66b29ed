package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Debian package (scripts/package): built from the jars of this build, installed on this machine,
 * used, and purged without a trace. Needs root and dpkg; an installation of tandem found on the machine
 * (the package, or any of its directories) is never touched: the test is skipped then.
 */
class PackageIT {
    /** failsafe runs in it/: the repository is its parent */
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();

    private static final Path RUN_DIR = Path.of("/run/tandem");

    /** What the package, systemd or the daemon may leave; none of it may exist before or after. */
    private static final List<Path> TRACES = List.of(Path.of("/usr/lib/tandem"), Path.of("/usr/bin/tandem"),
        Path.of("/lib/systemd/system/tandem.service"), Path.of("/etc/tandem"), Path.of("/var/lib/tandem"),
        RUN_DIR, Path.of("/usr/share/doc/tandem"),
        Path.of("/etc/systemd/system/multi-user.target.wants/tandem.service"));

    private boolean touched;
    /** an empty /run/tandem (left by a daemon run of the tests, say) is recreated afterwards */
    private boolean runDirBefore;

    @Test
    void theInstalledPackageRunsChecksShowsItsManPageAndPurgesWithoutATrace() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "installs a package: needs root");
        assumeTrue(run("dpkg", "--version").code == 0, "needs dpkg");
        assumeFalse(installed(), "tandem is installed on this machine: not touched");
        runDirBefore = Files.isDirectory(RUN_DIR);
        if (runDirBefore) {
            try (var entries = Files.list(RUN_DIR)) {
                assumeTrue(entries.findAny().isEmpty(), "/run/tandem holds files (a daemon on this machine?): not touched");
            }
        }
        assumeTrue(TRACES.stream().filter(p -> !p.equals(RUN_DIR)).noneMatch(Files::exists),
            "a tandem installation's files exist here: not touched");

        Result build = run(600, Map.of(), REPO.resolve("scripts/package").toString(), "--no-build");
        assertThat(build.code).as("scripts/package:\n" + build.err).isZero();
        Path deb = Path.of(build.out.strip().lines().reduce((a, b) -> b).orElseThrow());
        assertThat(deb).exists();

        // the package's directories that exist before the install (/usr, /usr/share/man/man1...) stay
        Set<String> before = new HashSet<>();
        for (String line : run("dpkg-deb", "--contents", deb.toString()).out.lines().toList()) {
            String p = "/" + line.substring(line.lastIndexOf(" ./") + 3).replaceAll(" -> .*$", "").replaceAll("/$", "");
            if (Files.exists(Path.of(p))) {
                before.add(p);
            }
        }

        touched = true;
        Result install = run("dpkg", "-i", deb.toString());
        assertThat(install.code).as(install.out + install.err).isZero();
        List<String> files = run("dpkg", "-L", "tandem").out.lines().filter(l -> l.startsWith("/"))
            .map(l -> Path.of(l).normalize().toString()).toList();
        assertThat(files).contains("/usr/bin/tandem", "/usr/lib/tandem/runtime/bin/java", "/usr/lib/tandem/jvm-flags.sh",
            "/lib/systemd/system/tandem.service", "/etc/tandem/tandem.yaml.example", "/usr/share/man/man1/tandem.1.gz",
            "/usr/share/man/man1/tandem-run.1.gz", "/usr/share/bash-completion/completions/tandem",
            "/usr/share/doc/tandem/operations.md", "/usr/share/doc/tandem/copyright",
            "/usr/lib/tandem/modules/tandem-cli-" + projectVersion() + ".jar");
        // the application's modules beside the runtime, the automatic ones (which jlink cannot link) among them
        assertThat(files).anyMatch(f -> f.matches("/usr/lib/tandem/modules/sshd-osgi-[^/]+\\.jar"))
            .anyMatch(f -> f.matches("/usr/lib/tandem/modules/java-diff-utils-[^/]+\\.jar"))
            .anyMatch(f -> f.matches("/usr/lib/tandem/modules/bcprov-[^/]+\\.jar"));
        assertThat(Path.of("/etc/tandem/tandem.yaml")).as("no live configuration: the unit's condition keeps it stopped")
            .doesNotExist();
        assertThat(run("dpkg-query", "-W", "-f=${Conffiles}", "tandem").out).contains("/etc/tandem/tandem.yaml.example");
        assertThat(run("dpkg-query", "-W", "-f=${Depends}", "tandem").out.strip()).as("no Java, only libraries")
            .isEqualTo("libc6 (>= 2.17), libnftables1");

        Result version = run("tandem", "--version");
        assertThat(version.code).as(version.err).isZero();
        assertThat(version.out.strip()).isEqualTo("tandem " + projectVersion());
        // built as root: with the AOT cache of a training run, and it fits the runtime and the launcher's
        // options (with AOTMode=on the JVM refuses to start otherwise)
        assertThat(files).contains("/usr/lib/tandem/tandem.aot");
        Result aot = run(60, Map.of("JDK_JAVA_OPTIONS", "-XX:AOTMode=on"), "tandem", "--version");
        assertThat(aot.code).as(aot.err).isZero();
        assertThat(aot.err.lines().filter(l -> !l.startsWith("NOTE: Picked up JDK_JAVA_OPTIONS"))).as("JVM warnings")
            .isEmpty();

        Result help = run("tandem", "--help");
        assertThat(help.code).as(help.err).isZero();
        assertThat(help.out).contains("Usage: tandem").contains("run");
        if (run("sh", "-c", "command -v unshare && command -v ip").code == 0) {
            daemonWithReplicationConfig();
        }

        boolean offline = run("tandem", "check", "--help").out.contains("--offline");
        List<String> check = new ArrayList<>(List.of("tandem", "check", "--config", "/etc/tandem/tandem.yaml.example"));
        if (offline) {
            check.add("--offline");
        }
        Result checked = run(check.toArray(String[]::new));
        assertThat(checked.code).as(checked.out + checked.err).isZero();
        assertThat(checked.out).contains(": ok");

        // minimal images tell dpkg to drop man pages (path-exclude): there is nothing to show then
        if (run("sh", "-c", "grep -qs '^path-exclude=/usr/share/man' /etc/dpkg/dpkg.cfg.d/*").code != 0) {
            Result man = run(60, Map.of("MANPAGER", "cat", "MANWIDTH", "100"), "man", "tandem");
            assertThat(man.code).as(man.err).isZero();
            assertThat(man.out).contains("tandem - High-availability clustering").contains("COMMANDS");
            assertThat(run("man", "-w", "tandem-run").out).contains("tandem-run.1");
        }
        assertThat(run("bash", "-c", ". /usr/share/bash-completion/completions/tandem && complete -p tandem").out)
            .contains("tandem");
        if (run("sh", "-c", "command -v systemd-analyze").code == 0) {
            Result verify = run("systemd-analyze", "verify", "/lib/systemd/system/tandem.service");
            assertThat(verify.code).as(verify.out + verify.err).isZero();
        }

        // installed again, as an upgrade runs the maintainer scripts (prerm upgrade, postinst configure OLD)
        Result again = run("dpkg", "-i", deb.toString());
        assertThat(again.code).as(again.out + again.err).isZero();

        // what systemd and the daemon create: the enablement link, state (host key), the control socket
        Files.createDirectories(Path.of("/var/lib/tandem/generations"));
        Files.writeString(Path.of("/var/lib/tandem/ssh_host_ed25519_key"), "a key");
        Files.createDirectories(RUN_DIR);
        Files.writeString(RUN_DIR.resolve("tandem.sock"), "");
        Files.createDirectories(Path.of("/etc/systemd/system/multi-user.target.wants"));
        Files.createSymbolicLink(Path.of("/etc/systemd/system/multi-user.target.wants/tandem.service"),
            Path.of("/lib/systemd/system/tandem.service"));

        Result purge = run("dpkg", "--purge", "tandem");
        assertThat(purge.code).as(purge.out + purge.err).isZero();
        assertThat(installed()).isFalse();
        assertThat(files.stream().filter(f -> !before.contains(f)).map(Path::of)
            .filter(p -> Files.exists(p, LinkOption.NOFOLLOW_LINKS))).as("left behind").isEmpty();
        assertThat(TRACES.stream().filter(p -> Files.exists(p, LinkOption.NOFOLLOW_LINKS))).as("left behind").isEmpty();
    }

    /**
     * The installed daemon with a replication configuration (a node-local file naming a shared one, a
     * hotwire) in a network namespace of its own: it starts, with the AOT cache (AOTMode=on: the JVM
     * refuses to start when the cache does not fit the runtime, the module path and the module options),
     * and stops on SIGTERM. Its files all in a temporary directory.
     */
    private static void daemonWithReplicationConfig() throws IOException {
        Path dir = Files.createTempDirectory("tandem-package-it");
        try {
            Files.writeString(dir.resolve("tandem.yaml"), """
                node:
                  name: fw1
                  priority: 200
                control:
                  socket: %1$s/tandem.sock
                hotwire:
                  local: 198.51.100.1
                  peers:
                    - {node: fw2, address: 198.51.100.2}
                  key-dir: %1$s/hotwire
                  trusted-file: %1$s/trusted-nodes
                  state-dir: %1$s/replication
                statesync:
                  local: 192.0.2.1
                  peer: 192.0.2.2
                  passphrase: a-package-test-only-0123456789
                shared: cluster.yaml
                """.formatted(dir));
            Files.writeString(dir.resolve("cluster.yaml"), """
                cluster: package-it
                instances:
                  - name: lan
                    interface: it0
                    vrid: 51
                    advert-interval: 100ms
                    virtual-addresses: [192.0.2.10/24]
                groups:
                  - {name: cluster, instances: [lan]}
                replicate:
                  - path: %s/replicated.conf
                    check: test -s {}
                    apply: "true"
                """.formatted(dir));
            for (String f : List.of("tandem.yaml", "cluster.yaml")) {
                Files.setPosixFilePermissions(dir.resolve(f), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            }
            ProcessBuilder pb = new ProcessBuilder("unshare", "--net", "sh", "-c", """
                set -e
                ip link set lo up
                ip link add it0 type veth peer name it1
                ip addr add 192.0.2.1/24 dev it0
                ip addr add 198.51.100.1/30 dev it0
                ip link set it1 up
                ip link set it0 up
                exec tandem run --config "$1/tandem.yaml"
                """, "sh", dir.toString());
            pb.environment().put("JDK_JAVA_OPTIONS", "-XX:AOTMode=on");
            pb.redirectErrorStream(true).redirectOutput(dir.resolve("daemon.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            Process p = pb.start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!Files.readString(dir.resolve("daemon.log")).contains(" started") && p.isAlive()
                    && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                String log = Files.readString(dir.resolve("daemon.log"));
                assertThat(log).as("tandem run with a replication configuration").contains("node fw1 started");
                p.destroy(); // SIGTERM to the daemon (the shell exec'd it)
                assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
                assertThat(p.exitValue()).as(Files.readString(dir.resolve("daemon.log"))).isZero();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            } finally {
                p.destroyForcibly();
            }
        } finally {
            run("rm", "-rf", dir.toString());
        }
    }

    /** Restores the machine, also when the test failed half-way: nothing of tandem existed before it. */
    @AfterEach
    void removeWhatTheTestLeft() throws IOException {
        if (!touched) {
            return;
        }
        if (installed()) {
            run("dpkg", "--purge", "tandem");
        }
        for (Path p : TRACES) {
            run("rm", "-rf", p.toString());
        }
        if (runDirBefore) {
            Files.createDirectories(RUN_DIR);
        }
    }

    /** Installed, or removed with its configuration files left (not purged). */
    private static boolean installed() {
        Result status = run("dpkg-query", "-W", "-f=${Status}", "tandem");
        return status.code == 0 && !status.out.isBlank() && !status.out.contains("not-installed");
    }

    private static String projectVersion() throws IOException {
        Properties p = new Properties();
        try (var in = Files.newInputStream(REPO.resolve("cli/target/classes/tandem/cli/version.properties"))) {
            p.load(in);
        }
        return p.getProperty("version");
    }

    private record Result(int code, String out, String err) {}

    private static Result run(String... cmd) {
        return run(60, Map.of(), cmd);
    }

    private static Result run(int timeoutSeconds, Map<String, String> env, String... cmd) {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        try {
            Process p = pb.start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(Arrays.toString(cmd) + " did not end within " + timeoutSeconds + " s");
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            return new Result(127, "", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
