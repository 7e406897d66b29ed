package tandem.services;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one service in the state last asked for: {@link #start()} and {@link #stop()} set the desired
 * state and return at once (they only post a message), so the node's loop may call them. Both are
 * idempotent and may come in any order: the last call decides, a stop during a start interrupts
 * the start (which undoes itself), a start during a stop waits for the stop to finish.
 *
 * <p>The returned stage completes when the desired state is reached: start - the service runs; stop
 * - it is stopped. It completes exceptionally with a {@link ServiceException} when the attempt
 * failed (the supervisor keeps retrying per the restart policy; the stage does not wait for that),
 * or when a later opposite call superseded it. Nothing is thrown out of these methods.
 *
 * <p>Threads: one virtual thread per supervisor owns all state and handles messages in order (the
 * actor); each start, stop and cleanup runs on a virtual thread of its own and posts its outcome
 * back. Events go to the {@link ServiceListener} from the actor thread, in order.
 */
public final class ServiceSupervisor {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.services");
    private static final long NONE = Long.MAX_VALUE;

    private final ServiceSpec spec;
    private final Driver driver;
    private final ServiceListener listener;
    private final ServiceMonitor monitor;
    private final LinkedBlockingQueue<Runnable> mailbox = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile ServiceStatus status;

    // owned by the actor thread
    private boolean want;
    private boolean closing;
    private ServiceState state = ServiceState.STOPPED;
    /** Whether something may run that we do not know of: before the first start or stop, after a failed stop. */
    private boolean unknown;
    /** A stop() came that has not been tried yet (a failed stop is retried only on the next stop()). */
    private boolean stopAsked;
    /** The policy let the service be after it ended or failed: no start until the next start(). */
    private boolean gaveUp;
    private Op op;
    private Driver.Running running;
    /** What a failed stop could not stop: the next stop tries it again. */
    private Driver.Running leftover;
    /** A stop during close() failed: the supervisor closes anyway (and says so). */
    private boolean closeFailed;
    /** The actor thread has ended: late requests are failed by whoever posts them. */
    private volatile boolean dead;
    private long runningSince;
    private int failuresInRow;
    private long restartAt = NONE;
    private long requestedAt;
    private final List<CompletableFuture<Void>> startWaiters = new ArrayList<>();
    private final List<CompletableFuture<Void>> stopWaiters = new ArrayList<>();
    private Instant since = Instant.now();
    private int restarts;
    private String lastError;
    private Instant lastErrorAt;
    private Duration lastStartTook;
    private String detail = "";
    private Verdict verdict = Verdict.OK;

    ServiceSupervisor(ServiceSpec spec, Driver driver, ServiceListener listener, boolean stateUnknown) {
        this.spec = spec;
        this.driver = driver;
        this.listener = listener;
        this.monitor = spec.monitor().map(m -> new ServiceMonitor(spec.name(), m)).orElse(null);
        this.unknown = stateUnknown;
        publish();
        Thread.ofVirtual().name("service-" + spec.name()).start(this::run);
    }

    public ServiceSpec spec() {
        return spec;
    }

    public String name() {
        return spec.name();
    }

    /** The service should run. Completes when it runs (see the class comment). */
    public CompletionStage<Void> start() {
        return request(true);
    }

    /** The service should not run. Completes when it is stopped (see the class comment). */
    public CompletionStage<Void> stop() {
        return request(false);
    }

    /** The latest snapshot (any thread). */
    public ServiceStatus status() {
        return status;
    }

    /**
     * Stops the service for good (e.g. it was removed from the configuration); the stage completes
     * when it is stopped and the supervisor's thread has ended. Later calls fail.
     */
    public CompletionStage<Void> close() {
        post(() -> {
            closing = true;
            setWant(false);
            stopAsked = unknown || stopAsked;
        });
        return closed.copy();
    }

    /** Completes when the supervisor has closed (for the host). */
    CompletableFuture<Void> closedStage() {
        return closed;
    }

    private CompletionStage<Void> request(boolean run) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        post(() -> {
            if (closing) {
                f.completeExceptionally(new ServiceException(spec.describe() + ": the supervisor is closing"));
                return;
            }
            setWant(run);
            if (run) {
                if (gaveUp && op == null && (state == ServiceState.FAILED || state == ServiceState.STOPPED)) {
                    gaveUp = false; // an explicit start after the policy gave up: try afresh
                    failuresInRow = 0;
                    requestedAt = System.nanoTime();
                }
                startWaiters.add(f);
            } else {
                stopAsked = true;
                stopWaiters.add(f);
            }
        });
        return f.copy();
    }

    /** Hands a message to the actor; after the actor ended, runs it here (it only fails its future then). */
    private void post(Runnable msg) {
        mailbox.add(msg);
        if (dead) {
            Runnable m;
            while ((m = mailbox.poll()) != null) {
                m.run();
            }
        }
    }

    private void setWant(boolean run) {
        if (run == want) {
            return;
        }
        want = run;
        if (run) {
            requestedAt = System.nanoTime();
            gaveUp = false;
            failuresInRow = 0;
            failAll(stopWaiters, "a start was requested before it stopped");
        } else {
            failAll(startWaiters, "a stop was requested before it ran");
        }
    }

    // ---------------------------------------------------------------- the actor

    private void run() {
        while (true) {
            try {
                long deadline = deadline();
                long now = System.nanoTime();
                Runnable msg = deadline == NONE ? mailbox.take()
                    : mailbox.poll(Math.max(0, deadline - now), TimeUnit.NANOSECONDS);
                while (msg != null) {
                    msg.run(); // all that is pending, then one reconcile: start, stop, start is one start
                    msg = mailbox.poll();
                }
                timers(System.nanoTime());
                reconcile();
            } catch (InterruptedException e) {
                LOG.warn("{}: supervisor interrupted; it goes on", spec.describe());
            } catch (RuntimeException | Error e) {
                LOG.error("{}: supervisor error (it goes on): {}", spec.describe(), e.toString(), e);
            }
            publish();
            if (closing && op == null && (state == ServiceState.STOPPED && !unknown || closeFailed)) {
                failAll(startWaiters, "the supervisor is closed");
                dead = true;
                if (closeFailed) {
                    closed.completeExceptionally(new ServiceException(lastError));
                } else {
                    closed.complete(null);
                }
                Runnable m;
                while ((m = mailbox.poll()) != null) {
                    m.run(); // requests that raced with the close: they fail
                }
                return;
            }
        }
    }

    private long deadline() {
        long d = restartAt;
        if (monitor != null) {
            d = Math.min(d, monitor.deadline());
        }
        return d;
    }

    private void timers(long now) {
        if (restartAt != NONE && now >= restartAt) {
            restartAt = NONE;
            if (want && state == ServiceState.RESTARTING) {
                requestedAt = now;
                beginStart();
            }
        }
        if (monitor != null && now >= monitor.deadline()) {
            verdict(monitor.advance(now));
        }
    }

    /** Moves toward the desired state when no operation is under way. */
    private void reconcile() {
        if (op != null) {
            if (!want && op.kind == OpKind.START && !op.cancelled) {
                LOG.info("{}: stop requested during the start; cancelling it", spec.describe());
                op.cancel();
            }
            return;
        }
        if (want) {
            switch (state) {
                case STOPPED, FAILED -> {
                    if (!gaveUp) {
                        beginStart();
                    }
                }
                case RUNNING -> completeAll(startWaiters);
                default -> {
                    // RESTARTING: the timer starts it; STARTING / STOPPING have an op
                }
            }
        } else {
            switch (state) {
                case RUNNING -> beginStop();
                case RESTARTING -> {
                    restartAt = NONE;
                    enter(ServiceState.STOPPED);
                    emit(new ServiceEvent.Stopped(spec.name(), Instant.now(), "stop requested (restart cancelled)"));
                }
                case FAILED, STOPPED -> {
                    if (unknown) {
                        if (stopAsked) {
                            beginStop();
                        }
                    } else if (state == ServiceState.FAILED) {
                        enter(ServiceState.STOPPED);
                        emit(new ServiceEvent.Stopped(spec.name(), Instant.now(), "stop requested"));
                    }
                }
                default -> {
                }
            }
            if (state == ServiceState.STOPPED && !unknown && op == null) {
                completeAll(stopWaiters);
            }
        }
    }

    private void beginStart() {
        enter(ServiceState.STARTING);
        detail = "";
        emit(new ServiceEvent.Starting(spec.name(), Instant.now(), failuresInRow + 1));
        op = new Op(OpKind.START, () -> driver.start());
    }

    private void beginStop() {
        stopAsked = false;
        Driver.Running r = running != null ? running : leftover;
        running = null;
        leftover = null;
        enter(ServiceState.STOPPING);
        emit(new ServiceEvent.Stopping(spec.name(), Instant.now()));
        op = new Op(OpKind.STOP, () -> {
            driver.stop(r);
            return null;
        });
        op.target = r;
    }

    private void opDone(Op o, Driver.Running result, Throwable error) {
        if (op != o) {
            return;
        }
        op = null;
        switch (o.kind) {
            case START -> startDone(o, result, error);
            case STOP -> stopDone(o, error);
            case CLEANUP -> cleanupDone(o, error);
        }
    }

    private void startDone(Op o, Driver.Running r, Throwable error) {
        long now = System.nanoTime();
        unknown = false; // a start that failed or was cancelled undid itself
        if (error == null) {
            running = r;
            runningSince = now;
            lastStartTook = Duration.ofNanos(now - requestedAt);
            detail = r.detail();
            enter(ServiceState.RUNNING);
            emit(new ServiceEvent.Running(spec.name(), Instant.now(), lastStartTook, detail));
            LOG.info("{}: running ({}), {} ms after the start request", spec.describe(), detail, lastStartTook.toMillis());
            r.ended().whenComplete((exit, err) -> post(() -> ended(r, exit != null ? exit
                : new Driver.Exit(false, "watch failed: " + err))));
            if (want) {
                completeAll(startWaiters);
            }
            return;
        }
        if (error instanceof InterruptedException || o.cancelled) {
            enter(ServiceState.STOPPED);
            emit(new ServiceEvent.Stopped(spec.name(), Instant.now(), "start cancelled: stop requested"));
            return;
        }
        String reason = message(error);
        failure(reason);
        failAll(startWaiters, reason);
        afterFailure(false);
    }

    /** The running service ended by itself. */
    private void ended(Driver.Running r, Driver.Exit exit) {
        if (running != r) {
            return; // a stop took it (the stop op reports), or an old run
        }
        running = null;
        detail = "";
        long now = System.nanoTime();
        if (now - runningSince >= spec.restart().maxDelay().toNanos()) {
            failuresInRow = 0; // it had run long enough: the backoff starts over
        }
        RestartPolicy policy = spec.restart().policy();
        boolean failure = policy.isFailure(exit.clean());
        if (failure) {
            failure(exit.reason());
        } else {
            enter(ServiceState.STOPPING);
            emit(new ServiceEvent.Stopping(spec.name(), Instant.now()));
        }
        op = new Op(OpKind.CLEANUP, () -> {
            driver.cleanup(r);
            return null;
        });
        op.clean = exit.clean();
        op.reason = exit.reason();
    }

    private void cleanupDone(Op o, Throwable error) {
        if (error != null) {
            LOG.warn("{}: cleanup after its end: {}", spec.describe(), message(error));
        }
        if (!o.clean || spec.restart().policy().isFailure(true)) {
            afterFailure(o.clean);
            return;
        }
        // a clean end the policy accepts
        enter(ServiceState.STOPPED);
        emit(new ServiceEvent.Stopped(spec.name(), Instant.now(), o.reason));
        gaveUp = want;
    }

    private void stopDone(Op o, Throwable error) {
        if (error == null) {
            unknown = false;
            detail = "";
            enter(ServiceState.STOPPED);
            emit(new ServiceEvent.Stopped(spec.name(), Instant.now(), closing ? "closed" : "stop requested"));
            if (!want) {
                completeAll(stopWaiters);
            }
            return;
        }
        String reason = message(error);
        unknown = true;
        leftover = o.target;
        closeFailed = closing;
        failure(reason);
        failAll(stopWaiters, reason);
        if (want) {
            afterFailure(false);
        } else {
            gaveUp = true;
        }
    }

    /** Records a failure: the state, the last error, the monitor (while the service should run). */
    private void failure(String reason) {
        lastError = reason;
        lastErrorAt = Instant.now();
        enter(ServiceState.FAILED);
        emit(new ServiceEvent.Failed(spec.name(), Instant.now(), reason));
        LOG.warn("{}", reason.startsWith("service '") ? reason : spec.describe() + ": " + reason);
        if (monitor != null && want) {
            verdict(monitor.failed(System.nanoTime(), reason));
        }
    }

    /** After a failure: the restart (with its backoff) if the policy and the desired state want one. */
    private void afterFailure(boolean clean) {
        if (want && spec.restart().policy().restarts(clean) && !closing) {
            failuresInRow++;
            restarts++;
            Duration delay = spec.restart().delay(failuresInRow);
            restartAt = System.nanoTime() + delay.toNanos();
            enter(ServiceState.RESTARTING);
            emit(new ServiceEvent.Restarting(spec.name(), Instant.now(), failuresInRow, delay));
        } else {
            gaveUp = want;
        }
    }

    private void verdict(Verdict v) {
        if (!v.sameAs(verdict)) {
            verdict = v;
            LOG.warn("{}: monitor verdict {}", spec.describe(), v.ok() ? "ok" : v.reason());
            emit(new ServiceEvent.VerdictChanged(spec.name(), Instant.now(), v));
        }
        verdict = v;
    }

    private void enter(ServiceState s) {
        if (s != state) {
            state = s;
            since = Instant.now();
        }
        publish();
    }

    private void emit(ServiceEvent e) {
        try {
            listener.event(e);
        } catch (RuntimeException ex) {
            LOG.warn("{}: listener failed on {}: {}", spec.describe(), e, ex.toString());
        }
    }

    private void publish() {
        status = new ServiceStatus(spec.name(), state, since, want, restarts, Optional.ofNullable(lastError),
            Optional.ofNullable(lastErrorAt), Optional.ofNullable(lastStartTook), detail, verdict);
    }

    private String message(Throwable t) {
        if (t instanceof ServiceException) {
            return t.getMessage();
        }
        return spec.describe() + ": " + t;
    }

    /** Completes the waiters (after publishing, so that they see the state they waited for). */
    private void completeAll(List<CompletableFuture<Void>> l) {
        publish();
        for (CompletableFuture<Void> f : l) {
            f.complete(null);
        }
        l.clear();
    }

    private void failAll(List<CompletableFuture<Void>> l, String reason) {
        publish();
        for (CompletableFuture<Void> f : l) {
            f.completeExceptionally(new ServiceException(reason.startsWith("service '") ? reason : spec.describe() + ": " + reason));
        }
        l.clear();
    }

    private enum OpKind { START, STOP, CLEANUP }

    @FunctionalInterface
    private interface Body {
        Driver.Running call() throws Exception;
    }

    /** An operation on its own virtual thread; its outcome is posted to the actor. */
    private final class Op {
        final OpKind kind;
        final Thread thread;
        volatile boolean cancelled;
        boolean clean;
        String reason;
        Driver.Running target;

        Op(OpKind kind, Body body) {
            this.kind = kind;
            this.thread = Thread.ofVirtual().name("service-" + spec.name() + "-" + kind.name().toLowerCase(java.util.Locale.ROOT))
                .unstarted(() -> {
                    Driver.Running r = null;
                    Throwable err = null;
                    try {
                        r = body.call();
                    } catch (Throwable t) {
                        err = t;
                    }
                    Driver.Running result = r;
                    Throwable error = err;
                    post(() -> opDone(this, result, error));
                });
            thread.start();
        }

        void cancel() {
            cancelled = true;
            thread.interrupt();
        }
    }
}
