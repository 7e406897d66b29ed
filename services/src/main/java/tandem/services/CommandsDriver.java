package tandem.services;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/**
 * The commands kind, like a SysV init script: start, then status until it says running (within the
 * start timeout); while running, status every interval (its failure or timeout ends the run); stop
 * on a stop and after a failure (to clear a half-dead service before the restart).
 */
final class CommandsDriver implements Driver {
    private final ServiceSpec service;
    private final CommandsSpec spec;
    private final OutputSink sink;

    CommandsDriver(ServiceSpec service, CommandsSpec spec, OutputSink sink) {
        this.service = service;
        this.spec = spec;
        this.sink = sink;
    }

    /** The status poller of a run. */
    private final class Poller implements Running {
        final CompletableFuture<Exit> ended = new CompletableFuture<>();
        final Thread thread;

        Poller() {
            thread = Thread.ofVirtual().name("service-" + service.name() + "-status").unstarted(this::poll);
        }

        private void poll() {
            try {
                while (!ended.isDone()) {
                    Thread.sleep(spec.interval());
                    CommandRunner.Result r = CommandRunner.run(service.name(), "status", spec.status(), sink);
                    if (!r.ok()) {
                        ended.complete(new Exit(false, "status command " + r.describe(spec.status())));
                    }
                }
            } catch (InterruptedException e) {
                // the run is over (stopped): no more polling
            } catch (IOException | RuntimeException e) {
                ended.complete(new Exit(false, "status command cannot be run: " + e.getMessage()));
            }
        }

        @Override
        public CompletableFuture<Exit> ended() {
            return ended;
        }

        @Override
        public String detail() {
            return "status every " + Text.duration(spec.interval());
        }

        void close() throws InterruptedException {
            thread.interrupt();
            thread.join();
        }
    }

    @Override
    public Running start() throws ServiceException, InterruptedException {
        long deadline = System.nanoTime() + service.startTimeout().toNanos();
        try {
            CommandRunner.Result r = run("start", spec.start());
            if (!r.ok()) {
                throw fail("start command " + r.describe(spec.start()));
            }
            String last;
            while (true) {
                CommandRunner.Result s = run("status", spec.status());
                if (s.ok()) {
                    break;
                }
                last = s.describe(spec.status());
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw fail("status command still says not running " + Text.duration(service.startTimeout())
                        + " after the start (last: " + last + ")");
                }
                Thread.sleep(Math.min(left / 1_000_000 + 1, Math.min(250, spec.interval().toMillis())));
            }
        } catch (ServiceException | InterruptedException e) {
            // leave nothing half-started: the stop command, also when a stop was requested meanwhile
            boolean interrupted = Thread.interrupted() || e instanceof InterruptedException;
            try {
                CommandRunner.Result r = run("stop", spec.stop());
                if (!r.ok()) {
                    org.slf4j.LoggerFactory.getLogger("tandem.services").warn("{}: stop command after a failed start {}",
                        service.describe(), r.describe(spec.stop()));
                }
            } catch (ServiceException | InterruptedException ignored) {
                // reported by run; the start failure is what counts
            }
            if (interrupted) {
                throw new InterruptedException();
            }
            throw e;
        }
        Poller p = new Poller();
        p.thread.start();
        return p;
    }

    @Override
    public void stop(Running running) throws ServiceException, InterruptedException {
        if (running instanceof Poller p) {
            p.close();
        } else if (running == null) {
            // state unknown (the first stop since tandem started): stop only what status says runs
            if (!run("status", spec.status()).ok()) {
                return;
            }
        }
        CommandRunner.Result r = run("stop", spec.stop());
        if (!r.ok()) {
            throw fail("stop command " + r.describe(spec.stop()));
        }
    }

    @Override
    public void cleanup(Running running) throws ServiceException, InterruptedException {
        stop(running);
    }

    /** Runs a command; the interrupt of a stop request during it is kept for the caller. */
    private CommandRunner.Result run(String source, CommandSpec cmd) throws ServiceException, InterruptedException {
        try {
            return CommandRunner.run(service.name(), source, cmd, sink);
        } catch (IOException e) {
            throw fail(source + " command cannot be run: " + e.getMessage());
        }
    }

    private ServiceException fail(String what) {
        return new ServiceException(service.describe() + ": " + what);
    }
}
