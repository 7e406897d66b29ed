package tandem.services;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's services: makes a {@link ServiceSupervisor} per service and owns what they share - the
 * output sink, the connection to systemd (made on first use), and, for the whole JVM, the spawn
 * thread and the guardian process (see {@link Launch}). Also the static {@link #preflight} the
 * configuration check uses.
 */
public final class ServiceHost implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.services");

    /**
     * @param systemdRuntimeDir systemd's runtime directory: "system" in it says systemd runs (the
     *                          sd_booted(3) rule), "private" is its API socket. /run/systemd; a test
     *                          points it at a systemd in a namespace (/proc/PID/root/run/systemd).
     * @param output            where the output of services and their commands goes
     */
    public record Options(Path systemdRuntimeDir, OutputSink output) {
        public Options {
            Objects.requireNonNull(systemdRuntimeDir, "systemdRuntimeDir");
            Objects.requireNonNull(output, "output");
        }

        public static Options defaults() {
            return new Options(Path.of("/run/systemd"), OutputSink.log());
        }

        public Options withSystemdRuntimeDir(Path dir) {
            return new Options(dir, output);
        }

        public Options withOutput(OutputSink sink) {
            return new Options(systemdRuntimeDir, sink);
        }
    }

    private final Options options;
    private final SystemdAccess systemd;
    private final List<ServiceSupervisor> supervisors = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private ServiceHost(Options options) {
        this.options = options;
        this.systemd = new SystemdAccess(options.systemdRuntimeDir());
    }

    public static ServiceHost create() {
        return create(Options.defaults());
    }

    public static ServiceHost create(Options options) {
        return new ServiceHost(options);
    }

    public Options options() {
        return options;
    }

    /**
     * A supervisor for {@code spec}, stopped: nothing starts before its first start(). Events go to
     * {@code listener} on the supervisor's thread. For commands and systemd services the supervisor
     * does not know whether the service runs (an earlier tandem may have left it running): its first
     * stop() checks and stops it.
     */
    public ServiceSupervisor supervise(ServiceSpec spec, ServiceListener listener) {
        if (closed) {
            throw new IllegalStateException("the service host is closed");
        }
        Driver driver = switch (spec.kind()) {
            case ProcessSpec p -> new ProcessDriver(spec, p, options.output());
            case CommandsSpec c -> new CommandsDriver(spec, c, options.output());
            case SystemdSpec s -> new SystemdDriver(spec, s, systemd);
        };
        ServiceSupervisor s = new ServiceSupervisor(spec, driver, listener, !(spec.kind() instanceof ProcessSpec));
        supervisors.add(s);
        s.closedStage().whenComplete((v, e) -> supervisors.remove(s));
        return s;
    }

    /** The supervisors not closed yet. */
    public List<ServiceSupervisor> supervisors() {
        return List.copyOf(supervisors);
    }

    /**
     * What keeps {@code spec} from running on this node, as messages for the configuration check
     * (empty: nothing known). systemd: systemd must run (the sd_booted(3) rule) and its API socket
     * exist; process: setpriv and setsid must exist, argv[0] must be an executable (on PATH when it
     * has no slash), the working directory a directory.
     */
    public static List<String> preflight(ServiceSpec spec) {
        return preflight(spec, Options.defaults());
    }

    public static List<String> preflight(ServiceSpec spec, Options options) {
        List<String> out = new ArrayList<>();
        String who = spec.describe() + ": ";
        switch (spec.kind()) {
            case SystemdSpec s -> SystemdClient.problem(options.systemdRuntimeDir())
                .ifPresent(p -> out.add(who + p + "; use kind process or commands"));
            case ProcessSpec p -> {
                for (String tool : Launch.missingTools()) {
                    out.add(who + tool + " (util-linux) is missing: tandem starts processes through it");
                }
                String prog = p.argv().getFirst();
                if (executable(prog, p.env().getOrDefault("PATH", System.getenv("PATH"))).isEmpty()) {
                    out.add(who + "argv[0] " + Text.got(prog) + " is no executable file"
                        + (prog.contains("/") ? "" : " on PATH"));
                }
                p.workdir().filter(d -> !Files.isDirectory(d))
                    .ifPresent(d -> out.add(who + "workdir " + Text.got(d) + " is no directory"));
            }
            case CommandsSpec c -> {
                for (String tool : Launch.missingTools()) {
                    out.add(who + tool + " (util-linux) is missing: tandem runs commands through it");
                }
            }
        }
        return out;
    }

    private static Optional<Path> executable(String prog, String path) {
        if (prog.contains("/")) {
            Path p = Path.of(prog);
            return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        for (String dir : (path == null ? "/usr/sbin:/usr/bin:/sbin:/bin" : path).split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, prog);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * Stops every service and closes the systemd connection, waiting up to {@code timeout} (blocking:
     * for the daemon's shutdown, not for the loop). Returns the names of services that did not stop in
     * time or failed to stop.
     */
    public List<String> close(Duration timeout) {
        closed = true;
        List<String> failed = new ArrayList<>();
        List<ServiceSupervisor> all = List.copyOf(supervisors);
        List<CompletableFuture<Void>> stages = new ArrayList<>();
        for (ServiceSupervisor s : all) {
            stages.add(s.close().toCompletableFuture());
        }
        long end = System.nanoTime() + timeout.toNanos();
        for (int i = 0; i < all.size(); i++) {
            try {
                stages.get(i).get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed.add(all.get(i).name());
            } catch (Exception e) {
                LOG.warn("{}: {}", all.get(i).spec().describe(), e.getCause() != null ? e.getCause().getMessage() : e.toString());
                failed.add(all.get(i).name());
            }
        }
        systemd.close();
        return failed;
    }

    /** {@link #close(Duration)} with 30 s. */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
