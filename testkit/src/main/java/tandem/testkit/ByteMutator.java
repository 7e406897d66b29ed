package tandem.testkit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Mutated inputs built from a corpus of valid ones (golden captures): bit flips, octets set to
 * interesting values, truncation, extension with random octets, length-field lies, deletions,
 * duplications, splices of two inputs, and now and then an input of random octets. One to four
 * mutations per input, stacked.
 *
 * <p>Length-field lies need to know where the lengths are: {@link #lengthFields} takes a function that
 * finds them in the (already mutated) input, e.g. by walking netlink headers and attributes, so lies
 * can also land on fields a previous mutation moved.
 */
public final class ByteMutator implements Function<Rng, byte[]> {
    private static final int[] INTERESTING_8 = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
    private static final long[] INTERESTING_16 = {0, 1, 3, 4, 5, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffc, 0xffff};
    private static final long[] INTERESTING_32 = {0, 1, 3, 4, 15, 16, 17, 0x7fffffffL, 0x80000000L, 0xfffffff0L,
        0xffffffffL, 0x10000, 0xffff};

    private final List<byte[]> corpus;
    private final int maxLength;
    private Function<byte[], List<LengthField>> lengthFields = b -> List.of();

    public ByteMutator(List<byte[]> corpus) {
        if (corpus.isEmpty()) {
            throw new IllegalArgumentException("corpus: empty (expected: at least one valid input)");
        }
        this.corpus = List.copyOf(corpus.stream().map(byte[]::clone).toList());
        this.maxLength = corpus.stream().mapToInt(b -> b.length).max().orElse(16);
    }

    /** Where the length and count fields of an input are (for length-field lies). */
    public ByteMutator lengthFields(Function<byte[], List<LengthField>> finder) {
        this.lengthFields = finder;
        return this;
    }

    public List<byte[]> corpus() {
        return corpus;
    }

    @Override
    public byte[] apply(Rng rng) {
        if (rng.oneIn(64)) {
            return rng.bytes(rng.below(2 * maxLength + 1));
        }
        byte[] b = rng.pick(corpus).clone();
        int n = rng.oneIn(8) ? rng.between(5, 8) : rng.between(1, 4);
        for (int i = 0; i < n; i++) {
            b = mutate(b, rng);
        }
        return b;
    }

    /** One mutation of {@code b} (which it may change in place); returns the result. */
    public byte[] mutate(byte[] b, Rng rng) {
        switch (rng.below(12)) {
            case 0, 1 -> flipBits(b, rng);
            case 2 -> {
                if (b.length > 0) {
                    b[rng.below(b.length)] = (byte) rng.pick(INTERESTING_8);
                }
            }
            case 3 -> {
                if (b.length > 0) {
                    b[rng.below(b.length)] = (byte) rng.nextInt();
                }
            }
            case 4 -> interestingWord(b, rng);
            case 5 -> b = Arrays.copyOf(b, b.length == 0 ? 0 : rng.below(b.length));
            case 6 -> {
                int old = b.length;
                b = Arrays.copyOf(b, old + rng.between(1, 64));
                rng.nextBytes(b, old, b.length - old);
            }
            case 7, 8 -> lie(b, rng);
            case 9 -> b = splice(b, rng.pick(corpus), rng);
            case 10 -> b = delete(b, rng);
            default -> b = duplicate(b, rng);
        }
        return b;
    }

    private static void flipBits(byte[] b, Rng rng) {
        if (b.length == 0) {
            return;
        }
        int n = rng.between(1, 3);
        for (int i = 0; i < n; i++) {
            b[rng.below(b.length)] ^= (byte) (1 << rng.below(8));
        }
    }

    private static void interestingWord(byte[] b, Rng rng) {
        boolean wide = rng.nextBoolean();
        int width = wide ? 4 : 2;
        if (b.length < width) {
            return;
        }
        LengthField f = new LengthField(rng.below(b.length - width + 1), width, rng.nextBoolean());
        f.write(b, wide ? INTERESTING_32[rng.below(INTERESTING_32.length)] : INTERESTING_16[rng.below(INTERESTING_16.length)]);
    }

    /** Sets a length field to a lie: 0, 3, 4, odd, one off, huge, the rest of the input, random. */
    private void lie(byte[] b, Rng rng) {
        List<LengthField> fields = lengthFields.apply(b);
        if (fields.isEmpty()) {
            interestingWord(b, rng);
            return;
        }
        LengthField f = rng.pick(fields);
        long old = f.read(b);
        long max = f.width() == 4 ? 0xffffffffL : f.width() == 2 ? 0xffff : 0xff;
        long v = switch (rng.below(12)) {
            case 0 -> 0;
            case 1 -> 3;
            case 2 -> 4;
            case 3 -> old | 1;
            case 4 -> old + 1;
            case 5 -> old - 1;
            case 6 -> old + 4;
            case 7 -> old - 4;
            case 8 -> max;
            case 9 -> max / 2 + rng.below(2);
            case 10 -> b.length - f.offset() + rng.between(-4, 4);
            default -> rng.nextLong();
        };
        f.write(b, v & max);
    }

    private static byte[] splice(byte[] a, byte[] other, Rng rng) {
        int cut = rng.below(a.length + 1);
        int from = rng.below(other.length + 1);
        byte[] out = Arrays.copyOf(a, cut + other.length - from);
        System.arraycopy(other, from, out, cut, other.length - from);
        return out;
    }

    private static byte[] delete(byte[] b, Rng rng) {
        if (b.length == 0) {
            return b;
        }
        int from = rng.below(b.length);
        int n = rng.between(1, Math.min(16, b.length - from));
        byte[] out = new byte[b.length - n];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(b, from + n, out, from, b.length - from - n);
        return out;
    }

    /** Copies a chunk of the input to another place in it (repeats attributes, headers, lines). */
    private static byte[] duplicate(byte[] b, Rng rng) {
        if (b.length == 0) {
            return b;
        }
        int from = rng.below(b.length);
        int n = rng.between(1, Math.min(32, b.length - from));
        int at = rng.below(b.length + 1);
        byte[] out = new byte[b.length + n];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(b, from, out, at, n);
        System.arraycopy(b, at, out, at + n, b.length - at);
        return out;
    }

    /** Inputs as a mutable list (for corpora built in a test). */
    public static List<byte[]> list(byte[]... inputs) {
        return new ArrayList<>(Arrays.asList(inputs));
    }
}
