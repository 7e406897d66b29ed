package tandem.services;

/**
 * A token bucket for output lines, pure (time is passed in): up to {@code burst} lines at once, then
 * {@code perSecond}. Lines beyond it are counted, not logged: a service that prints in a loop cannot
 * flood the journal, and its pipe is still read, so it never blocks on a full pipe.
 */
final class LineLimiter {
    private final double perNano;
    private final double burst;
    private double tokens;
    private long last;
    private boolean started;
    private long suppressed;

    LineLimiter(int burst, int perSecond) {
        this.burst = burst;
        this.tokens = burst;
        this.perNano = perSecond / 1e9;
    }

    /** Whether a line at {@code now} may be logged; if not, it is counted as suppressed. */
    boolean allow(long now) {
        if (started) {
            tokens = Math.min(burst, tokens + (now - last) * perNano);
        }
        started = true;
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        suppressed++;
        return false;
    }

    /** Lines suppressed since the last call (and resets the count). */
    long takeSuppressed() {
        long s = suppressed;
        suppressed = 0;
        return s;
    }
}
