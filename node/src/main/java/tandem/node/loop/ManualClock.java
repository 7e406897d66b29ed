package tandem.node.loop;

import java.time.Duration;

/** A clock that moves only when told: virtual time for tests and simulations. */
public final class ManualClock implements Clock {
    private static final long WALL_EPOCH_MILLIS = 1_800_000_000_000L;
    private volatile long nanos;

    public ManualClock(long startNanos) {
        this.nanos = startNanos;
    }

    @Override
    public long nanos() {
        return nanos;
    }

    @Override
    public long wallMillis() {
        return WALL_EPOCH_MILLIS + nanos / 1_000_000;
    }

    /** Moves to {@code t}; never backwards. */
    public void set(long t) {
        if (t < nanos) {
            throw new IllegalArgumentException("time: " + t + " (expected: not before " + nanos + ")");
        }
        nanos = t;
    }

    public void advance(Duration d) {
        set(nanos + d.toNanos());
    }
}
