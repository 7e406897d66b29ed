package tandem.services;

import java.util.concurrent.CompletableFuture;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;

/**
 * The systemd kind: StartUnit / StopUnit with mode "replace" (a stop replaces a pending start job and
 * the reverse), the job followed to its result, then the unit's ActiveState: running when the start
 * job is done and the unit is active. While it runs, PropertiesChanged (and a poll every 2 s, should
 * a signal be lost) watch it: "failed" ends the run as a failure, "inactive" as a clean end.
 */
final class SystemdDriver implements Driver {
    private static final long POLL_MS = 2000;
    private static final long STOP_WAIT_NANOS = 120_000_000_000L; // beyond systemd's own TimeoutStopSec default (90 s)
    private final ServiceSpec service;
    private final SystemdSpec spec;
    private final SystemdAccess access;

    SystemdDriver(ServiceSpec service, SystemdSpec spec, SystemdAccess access) {
        this.service = service;
        this.spec = spec;
        this.access = access;
    }

    private final class Unit implements Running {
        final CompletableFuture<Exit> ended = new CompletableFuture<>();
        final SystemdClient client;
        final AutoCloseable watch;
        final Thread poller;

        Unit(SystemdClient client) {
            this.client = client;
            this.watch = client.watch(spec.unit(), () -> Thread.ofVirtual().start(this::check));
            this.poller = Thread.ofVirtual().name("service-" + service.name() + "-unit").start(() -> {
                try {
                    while (!ended.isDone()) {
                        Thread.sleep(POLL_MS);
                        check();
                    }
                } catch (InterruptedException e) {
                    // stopped watching
                }
            });
        }

        void check() {
            if (ended.isDone()) {
                return;
            }
            try {
                if (!client.connected()) {
                    ended.complete(new Exit(false, "the connection to systemd was lost"));
                    return;
                }
                String state = client.activeState(spec.unit());
                switch (state) {
                    case "failed" -> ended.complete(new Exit(false, "unit " + spec.unit() + " is " + client.describe(spec.unit())));
                    case "inactive" -> ended.complete(new Exit(true, "unit " + spec.unit() + " is " + client.describe(spec.unit())));
                    default -> {
                        // active, reloading, or in transition (deactivating ends in one of the above)
                    }
                }
            } catch (DBusException | RuntimeException e) {
                ended.complete(new Exit(false, "unit " + spec.unit() + " cannot be watched: " + e.getMessage()));
            }
        }

        void close() throws InterruptedException {
            try {
                watch.close();
            } catch (Exception e) {
                // only removes a map entry
            }
            poller.interrupt();
            poller.join();
        }

        @Override
        public CompletableFuture<Exit> ended() {
            return ended;
        }

        @Override
        public String detail() {
            return "unit " + spec.unit();
        }
    }

    @Override
    public Running start() throws ServiceException, InterruptedException {
        long deadline = System.nanoTime() + service.startTimeout().toNanos();
        SystemdClient c = client();
        try {
            String job = c.startUnit(spec.unit());
            String result = c.awaitJob(job, deadline);
            if (result == null) {
                throw fail("its start job did not finish within the start timeout of " + Text.duration(service.startTimeout())
                    + " (unit " + c.describe(spec.unit()) + ")");
            }
            if (!result.equals("done") && !result.equals("unknown")) {
                throw fail("its start job ended with result '" + result + "' (unit " + c.describe(spec.unit()) + ")");
            }
            while (true) {
                String state = c.activeState(spec.unit());
                if (state.equals("active") || state.equals("reloading")) {
                    return new Unit(c);
                }
                if (!state.equals("activating")) {
                    throw fail("unit is " + c.describe(spec.unit()) + " after its start job");
                }
                if (System.nanoTime() >= deadline) {
                    throw fail("unit still activating at the end of the start timeout of " + Text.duration(service.startTimeout()));
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            stopQuietly(c);
            throw e;
        } catch (ServiceException e) {
            stopQuietly(c);
            throw e;
        } catch (DBusException | DBusExecutionException e) {
            stopQuietly(c);
            throw fail("systemd refused the start: " + e.getMessage());
        }
    }

    /** After a failed or cancelled start: a stop job replaces whatever start job is still pending. */
    private void stopQuietly(SystemdClient c) {
        boolean interrupted = Thread.interrupted();
        try {
            String job = c.stopUnit(spec.unit());
            c.awaitJob(job, System.nanoTime() + STOP_WAIT_NANOS);
        } catch (InterruptedException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger("tandem.services").warn("{}: stop after the failed start: {}", service.describe(), e.toString());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void stop(Running running) throws ServiceException, InterruptedException {
        if (running instanceof Unit u) {
            u.close();
        }
        if (access.absent()) {
            return; // no systemd, no unit of it can run
        }
        SystemdClient c = client();
        try {
            String job = c.stopUnit(spec.unit());
            String result = c.awaitJob(job, System.nanoTime() + STOP_WAIT_NANOS);
            if (result == null) {
                throw fail("its stop job did not finish within " + STOP_WAIT_NANOS / 1_000_000_000 + " s");
            }
            if (!result.equals("done") && !result.equals("unknown")) {
                throw fail("its stop job ended with result '" + result + "' (unit " + c.describe(spec.unit()) + ")");
            }
        } catch (DBusExecutionException e) {
            throw fail("systemd refused the stop: " + e.getMessage());
        }
    }

    @Override
    public void cleanup(Running running) throws InterruptedException {
        if (running instanceof Unit u) {
            u.close();
        }
        // systemd has already cleaned up the unit's cgroup
    }

    private SystemdClient client() throws ServiceException {
        return access.client(service);
    }

    private ServiceException fail(String what) {
        return new ServiceException(service.describe() + ": " + what);
    }
}
