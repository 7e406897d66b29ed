package tandem.services;

import java.util.ArrayDeque;

/**
 * The service monitor as a pure state machine: no threads, no clock; time is passed in as
 * monotonic nanoseconds that never go back.
 *
 * <pre>
 *   ok      --failure, and now {failures} failures within {window}-->  tripped (verdict = action)
 *   tripped --failure-->  tripped (the hold is extended)
 *   tripped --{expire} after the last failure-->  ok (the failure history is forgotten)
 * </pre>
 *
 * A failure is whatever the supervisor takes for one while the service is supposed to run: a
 * failed start, an unexpected end, a failed status check. A service that stays broken keeps failing
 * (every restart attempt is a failure), so the verdict holds; when it runs again, or is no longer
 * supposed to run (it runs on the active node and this node became standby), no failure comes and
 * the verdict expires: a node is never banned for good, and a service that comes back is not
 * trusted at once (the pair does not fail back and forth with a flapping service). The hold ends
 * exactly {@code expire} after the last failure; {@link #deadline()} says when to call
 * {@link #advance(long)} next.
 */
public final class ServiceMonitor {
    private final String service;
    private final MonitorSpec spec;
    private final long window;
    private final long expire;
    /** Times of the failures that may still count (within the window), oldest first. */
    private final ArrayDeque<Long> recent = new ArrayDeque<>();
    private boolean tripped;
    private long lastFailure;
    private String lastReason = "";
    private long now = Long.MIN_VALUE;
    private Verdict verdict = Verdict.OK;

    public ServiceMonitor(String service, MonitorSpec spec) {
        this.service = service;
        this.spec = spec;
        this.window = spec.window().toNanos();
        this.expire = spec.expire().toNanos();
    }

    public MonitorSpec spec() {
        return spec;
    }

    /** Records a failure at {@code now}; returns the verdict after it. */
    public Verdict failed(long now, String reason) {
        advance(now);
        lastFailure = now;
        lastReason = reason;
        recent.addLast(now);
        prune(now);
        if (!tripped && recent.size() >= spec.failures()) {
            tripped = true;
        }
        if (tripped) {
            verdict = new Verdict(spec.action().state(), spec.action().weight(), describe());
        }
        return verdict;
    }

    /** Lets time pass to {@code now}: the verdict expires when {@code expire} has passed since the last failure. */
    public Verdict advance(long now) {
        if (now < this.now) {
            throw new IllegalArgumentException("time went backwards: got " + now + ", expected at least " + this.now);
        }
        this.now = now;
        if (tripped && now - lastFailure >= expire) {
            tripped = false;
            recent.clear();
            verdict = Verdict.OK;
        }
        prune(now);
        return verdict;
    }

    public Verdict verdict() {
        return verdict;
    }

    public boolean tripped() {
        return tripped;
    }

    /** When {@link #advance(long)} will change the verdict next if no failure comes first; Long.MAX_VALUE for never. */
    public long deadline() {
        return tripped ? lastFailure + expire : Long.MAX_VALUE;
    }

    /** The failures within the window before {@code now} (as of the last call). */
    public int recentFailures() {
        return recent.size();
    }

    private void prune(long now) {
        while (!recent.isEmpty() && now - recent.peekFirst() >= window) {
            recent.removeFirst();
        }
    }

    private String describe() {
        return "service " + service + " failed " + spec.failures() + (spec.failures() == 1 ? " time" : " times")
            + " within " + Text.duration(spec.window()) + " (last: " + lastReason + "); "
            + spec.action().label() + " until " + Text.duration(spec.expire()) + " without a failure";
    }
}
