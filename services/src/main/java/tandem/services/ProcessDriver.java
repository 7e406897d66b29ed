package tandem.services;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The process kind: the service is a child of the JVM (through {@link Launch}), leader of its own
 * process group, registered with the {@link Guardian}; its stdout and stderr go to the log through
 * an {@link OutputPump}. It runs when it is still alive after {@code settle}, or when its
 * {@code ready} check passed. A stop sends the stop signal to the group and to descendants that left
 * it, waits up to the stop timeout for all of them, then sends KILL.
 */
final class ProcessDriver implements Driver {
    private static final long POLL_MS = 20;
    /** How long KILLed processes get to disappear (they cannot refuse; only a process stuck in the kernel takes longer). */
    private static final long KILL_WAIT_MS = 5000;
    private final ServiceSpec service;
    private final ProcessSpec spec;
    private final OutputSink sink;

    ProcessDriver(ServiceSpec service, ProcessSpec spec, OutputSink sink) {
        this.service = service;
        this.spec = spec;
        this.sink = sink;
    }

    private final class Proc implements Running {
        final Process process;
        final OutputPump pump;
        final CompletableFuture<Exit> ended;

        Proc(Process process, OutputPump pump) {
            this.process = process;
            this.pump = pump;
            // off the JDK's reaper thread: give the pump a moment to read the last words of the process
            this.ended = process.onExit().thenApplyAsync(p -> {
                try {
                    pump.awaitEnd(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new Exit(p.exitValue() == 0, Procs.exit(p.exitValue()) + pump.lastOutput());
            }, r -> Thread.ofVirtual().name("service-" + service.name() + "-exit").start(r));
        }

        @Override
        public CompletableFuture<Exit> ended() {
            return ended;
        }

        @Override
        public String detail() {
            return "pid " + process.pid();
        }
    }

    @Override
    public Running start() throws ServiceException, InterruptedException {
        long begin = System.nanoTime();
        Optional<String> group = Optional.empty();
        if (spec.user().isPresent()) {
            group = Optional.of(primaryGroup(spec.user().get()));
        }
        ProcessBuilder pb = new ProcessBuilder(Launch.wrap(spec.argv(), spec.user(), group))
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .directory(spec.workdir().orElse(Path.of("/")).toFile());
        pb.environment().putAll(spec.env());
        Process p;
        try {
            p = Spawner.spawn(pb);
        } catch (IOException e) {
            throw fail("cannot be started: " + e.getMessage());
        }
        Guardian.INSTANCE.register(p.pid());
        Proc proc = new Proc(p, OutputPump.start(service.name(), "out", sink, p.getInputStream()));
        try {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            if (spec.ready().isEmpty()) {
                if (awaitExit(p, spec.settle().toMillis())) {
                    throw fail(Procs.exit(p.exitValue()) + " during its start" + lastOutput(proc));
                }
            } else {
                awaitReady(proc, begin);
            }
            return proc;
        } catch (InterruptedException | RuntimeException e) {
            boolean interrupted = Thread.interrupted();
            terminate(proc, spec.stopSignal(), spec.stopTimeout().toMillis());
            if (interrupted && !(e instanceof InterruptedException)) {
                throw new InterruptedException();
            }
            throw e;
        }
    }

    private void awaitReady(Proc proc, long begin) throws ServiceException, InterruptedException {
        CommandSpec ready = spec.ready().orElseThrow();
        long deadline = begin + service.startTimeout().toNanos();
        String last = "it did not run";
        while (true) {
            if (!proc.process.isAlive()) {
                throw fail(Procs.exit(proc.process.exitValue()) + " during its start (before its ready check passed)" + lastOutput(proc));
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw fail("its ready check did not pass within the start timeout of " + Text.duration(service.startTimeout())
                    + " (last: " + last + ")");
            }
            CommandSpec bounded = ready.timeout().toNanos() > left ? new CommandSpec(ready.command(), java.time.Duration.ofNanos(left)) : ready;
            CommandRunner.Result r;
            try {
                r = CommandRunner.run(service.name(), "ready", bounded, sink);
            } catch (IOException e) {
                throw fail("its ready check cannot be run: " + e.getMessage());
            }
            if (r.ok()) {
                if (!proc.process.isAlive()) {
                    continue; // reported above with the exit status
                }
                return;
            }
            last = r.describe(bounded);
            awaitExit(proc.process, Math.min(250, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        }
    }

    @Override
    public void stop(Running running) throws ServiceException, InterruptedException {
        if (running == null) {
            return; // nothing of ours can be running: the guardian took what an earlier tandem left
        }
        terminate((Proc) running, spec.stopSignal(), spec.stopTimeout().toMillis());
    }

    @Override
    public void cleanup(Running running) throws ServiceException, InterruptedException {
        // the leader ended; what is left of its group gets the same treatment as on a stop
        terminate((Proc) running, spec.stopSignal(), spec.stopTimeout().toMillis());
    }

    /**
     * Signals the group and the descendants that left it, waits up to {@code graceMs} for them to
     * end, then KILLs what is left. Not interruptible (the stop must finish; KILL bounds it).
     */
    private void terminate(Proc proc, Signal signal, long graceMs) throws ServiceException {
        long pgid = proc.process.pid();
        boolean interrupted = false;
        try {
            List<ProcessHandle> strays = strays(proc.process, pgid);
            send(proc.process, signal, strays);
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMs);
            while (!gone(proc.process, pgid, strays) && System.nanoTime() < end) {
                try {
                    awaitExit(proc.process, POLL_MS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (!gone(proc.process, pgid, strays)) {
                if (signal != Signal.KILL) {
                    org.slf4j.LoggerFactory.getLogger("tandem.services").warn("{}: still running {} after {}; sending KILL",
                        service.describe(), Text.duration(java.time.Duration.ofMillis(graceMs)), signal);
                }
                strays.addAll(strays(proc.process, pgid));
                send(proc.process, Signal.KILL, strays);
                long killEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(KILL_WAIT_MS);
                while (!gone(proc.process, pgid, strays) && System.nanoTime() < killEnd) {
                    send(proc.process, Signal.KILL, strays);
                    try {
                        awaitExit(proc.process, POLL_MS);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (!gone(proc.process, pgid, strays)) {
                    throw fail("did not end within " + Text.duration(java.time.Duration.ofMillis(KILL_WAIT_MS))
                        + " of KILL (processes " + Procs.group(pgid) + " of its group are stuck)");
                }
            }
            Guardian.INSTANCE.unregister(pgid);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Live descendants of the leader outside its process group (they moved away: setsid, setpgid). */
    private static List<ProcessHandle> strays(Process leader, long pgid) {
        List<ProcessHandle> out = new ArrayList<>();
        leader.descendants().forEach(h -> {
            if (Procs.pgid(h.pid()) != pgid) {
                out.add(h);
            }
        });
        return out;
    }

    /**
     * Signals the group, the leader itself (it may not have become a group leader yet: a stop right
     * after the spawn) and the strays.
     */
    private static void send(Process leader, Signal signal, List<ProcessHandle> strays) {
        long pgid = leader.pid();
        Procs.signalGroup(pgid, signal);
        if (leader.isAlive()) {
            Procs.signal(pgid, signal);
        }
        for (ProcessHandle h : strays) {
            if (signal == Signal.KILL) {
                h.destroyForcibly(); // checks the start time: never hits a reused pid
            } else if (h.isAlive()) {
                Procs.signal(h.pid(), signal);
            }
        }
    }

    private static boolean gone(Process leader, long pgid, List<ProcessHandle> strays) {
        if (leader.isAlive() || !Procs.group(pgid).isEmpty()) {
            return false;
        }
        for (ProcessHandle h : strays) {
            if (h.isAlive() && Procs.alive(h.pid())) {
                return false;
            }
        }
        return true;
    }

    /** Waits up to {@code ms} for the process to exit; true if it has. */
    private static boolean awaitExit(Process p, long ms) throws InterruptedException {
        return p.waitFor(ms, TimeUnit.MILLISECONDS);
    }

    private static String lastOutput(Proc proc) throws InterruptedException {
        proc.pump.awaitEnd(100);
        return proc.pump.lastOutput();
    }

    private ServiceException fail(String what) {
        return new ServiceException(service.describe() + ": " + what);
    }

    /** The user's primary group (its gid, from id(1): NSS users included). */
    private String primaryGroup(String user) throws ServiceException, InterruptedException {
        try {
            Process p = new ProcessBuilder("id", "-g", "--", user).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) {
                throw fail("user " + Text.got(user) + " does not exist (" + out + ")");
            }
            return out;
        } catch (IOException e) {
            throw fail("cannot look up user " + Text.got(user) + ": " + e.getMessage());
        }
    }
}
