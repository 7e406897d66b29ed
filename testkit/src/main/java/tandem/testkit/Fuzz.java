package tandem.testkit;

import java.util.HexFormat;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A seeded, reproducible fuzz loop: generates {@code iterations} inputs, each from its own seed
 * (derived from {@link #BASE_SEED}, the target's name and the iteration), and feeds them to a decoder.
 * The only allowed outcomes are a normal return (a valid result, which the target may check for
 * plausibility) and the decoder's own exception type; any other throwable - an assertion of the target
 * included - fails the run with the seed, the iteration and a hex dump of the input.
 *
 * <p>Replay: {@code -Dfuzz.seed=<the hex seed of the report>} (e.g.
 * {@code mvn -B test -pl linux -Dtest=CtnetlinkFuzzTest -Dfuzz.seed=0x1234abcd}) runs that one input in
 * every fuzz target instead of the whole run; {@code -Dfuzz.iterations=N} changes the count.
 */
public final class Fuzz {
    /** The base seed of every run; change it to explore other inputs (runs stay reproducible). */
    public static final long BASE_SEED = 0x7a4de45eed2026L;
    public static final String SEED_PROPERTY = "fuzz.seed";
    public static final String ITERATIONS_PROPERTY = "fuzz.iterations";
    private static final int DUMP_LIMIT = 4096;

    private Fuzz() {
    }

    /** A decoder under test: returns normally for a valid input, throws for an invalid one. */
    @FunctionalInterface
    public interface Target {
        void accept(byte[] input) throws Throwable;
    }

    /**
     * What a run did.
     *
     * @param accepted inputs the decoder returned a result for
     * @param rejected inputs it threw its own exception for
     * @param replay   true when this was the replay of one seed ({@value #SEED_PROPERTY})
     */
    public record Report(String name, long iterations, long accepted, long rejected, long nanos, boolean replay) {
        /**
         * Checks the run did its job: at least {@code minIterations} inputs (fewer when
         * {@value Fuzz#ITERATIONS_PROPERTY} asks for fewer), and both outcomes seen (an all-rejected run
         * exercised nothing but the first check, an all-accepted one no check at all). Nothing to check
         * for a replay.
         */
        public Report requireBothOutcomes(long minIterations) {
            if (replay) {
                return this;
            }
            long min = Math.min(minIterations, Fuzz.iterations((int) Math.min(Integer.MAX_VALUE, minIterations)));
            if (iterations < min || accepted == 0 || rejected == 0) {
                throw new AssertionError("fuzz " + name + ": " + this + " (expected: at least " + min
                    + " inputs, some accepted and some rejected)");
            }
            return this;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%,d inputs (%,d accepted, %,d rejected) in %.2f s, %,.0f/s",
                iterations, accepted, rejected, nanos / 1e9, iterations / Math.max(nanos / 1e9, 1e-9));
        }
    }

    /** Threads for a run: one per processor. */
    public static int threads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** The seed of iteration {@code i} of the target named {@code name}. */
    public static long seedOf(String name, long i) {
        return Rng.mix(Rng.mix(BASE_SEED ^ name.hashCode()) + i * 0x9e3779b97f4a7c15L);
    }

    /** The iteration count: {@code defaultIterations} unless {@value #ITERATIONS_PROPERTY} says otherwise. */
    public static int iterations(int defaultIterations) {
        String s = System.getProperty(ITERATIONS_PROPERTY);
        return s == null || s.isBlank() ? defaultIterations : Integer.parseInt(s.strip().replace("_", ""));
    }

    /**
     * Runs the target; an allowed exception's message must satisfy {@code messageCheck} (e.g. say what
     * was expected).
     */
    public static Report run(String name, int iterations, Function<Rng, byte[]> generator,
                             Class<? extends Throwable> allowed, Predicate<String> messageCheck, Target target) {
        return run(name, iterations, 1, generator, allowed, messageCheck, target);
    }

    /**
     * {@link #run(String, int, Function, Class, Predicate, Target)} on {@code threads} threads, thread
     * {@code t} taking iterations t, t + threads, ... (for slow decoders; generator and target must be
     * thread-safe). The inputs and the counts are those of a run on one thread; of several failures the
     * one of the lowest iteration is reported.
     */
    public static Report run(String name, int iterations, int threads, Function<Rng, byte[]> generator,
                             Class<? extends Throwable> allowed, Predicate<String> messageCheck, Target target) {
        String replay = System.getProperty(SEED_PROPERTY);
        boolean replaying = replay != null && !replay.isBlank();
        long n = replaying ? 1 : iterations(iterations);
        int ways = replaying ? 1 : Math.max(1, threads);
        long start = System.nanoTime();
        long[] accepted = new long[ways];
        long[] rejected = new long[ways];
        AssertionError[] failed = new AssertionError[ways];
        long[] failedAt = new long[ways];
        java.util.concurrent.atomic.AtomicLong firstFailure = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
        Runnable[] parts = new Runnable[ways];
        for (int w = 0; w < ways; w++) {
            int way = w;
            parts[w] = () -> {
                Rng rng = new Rng(0);
                for (long i = way; i < n && i < firstFailure.get(); i += ways) {
                    long seed = replaying ? parseSeed(replay) : seedOf(name, i);
                    rng.reseed(seed);
                    byte[] input;
                    try {
                        input = generator.apply(rng);
                    } catch (RuntimeException | Error e) {
                        failed[way] = new AssertionError("fuzz " + name + ": the generator failed at iteration " + i
                            + ", seed " + hexSeed(seed), e);
                        failedAt[way] = i;
                        firstFailure.accumulateAndGet(i, Math::min);
                        return;
                    }
                    if (replaying) {
                        System.out.println("fuzz " + name + ": replaying seed " + hexSeed(seed) + ", input of "
                            + input.length + " octets:\n" + dump(input));
                    }
                    AssertionError f = null;
                    try {
                        target.accept(input);
                        accepted[way]++;
                    } catch (Throwable t) {
                        if (!allowed.isInstance(t)) {
                            f = failure(name, i, seed, input, "unexpected " + t, t);
                        } else if (!messageCheck.test(t.getMessage())) {
                            f = failure(name, i, seed, input, "message of " + t.getClass().getSimpleName()
                                + " does not say what was got and what was expected: \"" + t.getMessage() + "\"", t);
                        } else {
                            rejected[way]++;
                        }
                    }
                    if (f != null) {
                        failed[way] = f;
                        failedAt[way] = i;
                        firstFailure.accumulateAndGet(i, Math::min);
                        return;
                    }
                }
            };
        }
        if (ways == 1) {
            parts[0].run();
        } else {
            java.util.List<Thread> running = new java.util.ArrayList<>();
            for (Runnable part : parts) {
                running.add(Thread.ofPlatform().name("fuzz-" + name).start(part));
            }
            for (Thread t : running) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("fuzz " + name + ": interrupted", e);
                }
            }
        }
        AssertionError first = null;
        long firstAt = Long.MAX_VALUE;
        for (int w = 0; w < ways; w++) {
            if (failed[w] != null && failedAt[w] < firstAt) {
                first = failed[w];
                firstAt = failedAt[w];
            }
        }
        if (first != null) {
            throw first;
        }
        Report r = new Report(name, n, java.util.Arrays.stream(accepted).sum(), java.util.Arrays.stream(rejected).sum(),
            System.nanoTime() - start, replaying);
        System.out.println("fuzz " + name + ": " + r);
        return r;
    }

    /** {@link #run} requiring the messages of rejections to say what was expected. */
    public static Report run(String name, int iterations, Function<Rng, byte[]> generator,
                             Class<? extends Throwable> allowed, Target target) {
        return run(name, iterations, generator, allowed, m -> m != null && m.contains("expected"), target);
    }

    /** {@link #run(String, int, Function, Class, Target)} on one thread per processor ({@link #threads()}). */
    public static Report runParallel(String name, int iterations, Function<Rng, byte[]> generator,
                                     Class<? extends Throwable> allowed, Target target) {
        return run(name, iterations, threads(), generator, allowed, m -> m != null && m.contains("expected"), target);
    }

    private static AssertionError failure(String name, long i, long seed, byte[] input, String what, Throwable t) {
        return new AssertionError("fuzz " + name + ": " + what + "\n  iteration " + i + ", seed " + hexSeed(seed)
            + " (replay: -D" + SEED_PROPERTY + "=" + hexSeed(seed) + ")\n  input, " + input.length + " octets:\n"
            + dump(input), t);
    }

    private static String hexSeed(long seed) {
        return "0x" + Long.toHexString(seed);
    }

    static long parseSeed(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        return t.startsWith("0x") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
    }

    /** A hex dump, 16 octets a line with offset and ASCII, cut after {@value #DUMP_LIMIT} octets. */
    public static String dump(byte[] b) {
        StringBuilder sb = new StringBuilder();
        HexFormat hex = HexFormat.of();
        int end = Math.min(b.length, DUMP_LIMIT);
        for (int off = 0; off < end; off += 16) {
            sb.append(String.format(Locale.ROOT, "  %04x  ", off));
            StringBuilder ascii = new StringBuilder();
            for (int i = off; i < off + 16; i++) {
                if (i < end) {
                    sb.append(hex.toHexDigits(b[i])).append(' ');
                    ascii.append(b[i] >= 0x20 && b[i] < 0x7f ? (char) b[i] : '.');
                } else {
                    sb.append("   ");
                }
                if (i == off + 7) {
                    sb.append(' ');
                }
            }
            sb.append(' ').append(ascii).append('\n');
        }
        if (end < b.length) {
            sb.append("  ... ").append(b.length - end).append(" more octets\n");
        }
        sb.append("  hex: ").append(hex.formatHex(b, 0, end)).append('\n');
        return sb.toString();
    }
}
