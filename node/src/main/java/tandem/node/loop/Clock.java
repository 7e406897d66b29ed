package tandem.node.loop;

/**
 * Time for the node's loops, injected so their behaviour is tested on virtual time. {@link #nanos()}
 * is monotonic (deadlines, intervals); {@link #wallMillis()} is only for what a human reads (last
 * transition timestamps), never for ordering.
 */
public interface Clock {
    /** Monotonic nanoseconds (System.nanoTime's scale: only differences mean anything). */
    long nanos();

    /** Wall-clock milliseconds since the epoch. */
    long wallMillis();

    /** The system's clocks. */
    static Clock system() {
        return SystemClock.INSTANCE;
    }

    /** The system's clocks. */
    enum SystemClock implements Clock {
        INSTANCE;

        @Override
        public long nanos() {
            return System.nanoTime();
        }

        @Override
        public long wallMillis() {
            return System.currentTimeMillis();
        }
    }
}
