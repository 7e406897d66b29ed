package tandem.testkit;

import java.util.List;

/**
 * SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast generator whose whole state is one long, so a fuzz
 * run reseeds one instance per iteration and any iteration can be replayed from its seed alone.
 */
public final class Rng {
    private static final long GOLDEN = 0x9e3779b97f4a7c15L;
    private long state;

    public Rng(long seed) {
        state = seed;
    }

    /** Starts over from {@code seed}. */
    public void reseed(long seed) {
        state = seed;
    }

    /** The SplitMix64 output function: a bijective mix of all 64 bits. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    public long nextLong() {
        state += GOLDEN;
        return mix(state);
    }

    public int nextInt() {
        return (int) (nextLong() >>> 32);
    }

    /** Uniform in [0, n), n &gt; 0 (Lemire's multiply-shift; the bias is below 2^-32). */
    public int below(int n) {
        return (int) (((nextLong() >>> 32) * n) >>> 32);
    }

    /** Uniform in [lo, hi], both included. */
    public int between(int lo, int hi) {
        return lo + below(hi - lo + 1);
    }

    /** True with probability 1/n. */
    public boolean oneIn(int n) {
        return below(n) == 0;
    }

    public boolean nextBoolean() {
        return nextLong() < 0;
    }

    public <T> T pick(List<T> items) {
        return items.get(below(items.size()));
    }

    public int pick(int... values) {
        return values[below(values.length)];
    }

    public void nextBytes(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            long r = nextLong();
            for (int k = 0; k < 8 && i < end; k++, r >>>= 8) {
                b[i++] = (byte) r;
            }
        }
    }

    public byte[] bytes(int len) {
        byte[] b = new byte[len];
        nextBytes(b, 0, len);
        return b;
    }
}
