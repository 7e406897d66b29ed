package tandem.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FuzzTest {
    static final byte[] GOLDEN = {16, 0, 0, 0, 1, 0, 0, 0, 8, 0, 1, 0, 1, 2, 3, 4};

    @Test
    void theSameSeedGivesTheSameInputAndOtherSeedsOtherInputs() {
        ByteMutator m = new ByteMutator(List.of(GOLDEN)).lengthFields(b -> List.of(LengthField.u32le(0), LengthField.u16le(8)));
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            long seed = Fuzz.seedOf("t", i);
            byte[] a = m.apply(new Rng(seed));
            byte[] b = m.apply(new Rng(seed));
            assertThat(a).isEqualTo(b);
            seen.add(Arrays.toString(a));
        }
        assertThat(seen).as("distinct inputs").hasSizeGreaterThan(900);
    }

    @Test
    void lengthLiesLandOnTheFieldsTheFinderNames() {
        ByteMutator m = new ByteMutator(List.of(GOLDEN)).lengthFields(b -> List.of(LengthField.u16le(8)));
        Rng rng = new Rng(1);
        Set<Long> values = new HashSet<>();
        for (int i = 0; i < 5000; i++) {
            byte[] b = GOLDEN.clone();
            b = m.mutate(b, rng);
            if (b.length == GOLDEN.length) {
                values.add(LengthField.u16le(8).read(b));
            }
        }
        assertThat(values).contains(0L, 3L, 4L, 9L, 0xffffL);
    }

    @Test
    void anUnexpectedThrowableFailsWithSeedIterationAndHexDump() {
        assertThatThrownBy(() -> Fuzz.run("boom", 100, new ByteMutator(List.of(GOLDEN)), IllegalStateException.class,
            in -> {
                if (in.length > 0 && in[0] != 16) {
                    throw new ArrayIndexOutOfBoundsException(7);
                }
            }))
            .isInstanceOf(AssertionError.class)
            .hasMessageContaining("fuzz boom: unexpected java.lang.ArrayIndexOutOfBoundsException")
            .hasMessageContaining("iteration ").hasMessageContaining("-Dfuzz.seed=0x").hasMessageContaining("  0000  ");
    }

    @Test
    void allowedExceptionsMustSayWhatWasExpected() {
        assertThatThrownBy(() -> Fuzz.run("quiet", 10, new ByteMutator(List.of(GOLDEN)), IllegalStateException.class,
            in -> {
                throw new IllegalStateException("bad");
            }))
            .hasMessageContaining("does not say what was got and what was expected: \"bad\"");
        Fuzz.Report r = Fuzz.run("loud", 1000, new ByteMutator(List.of(GOLDEN)), IllegalStateException.class, in -> {
            if (in.length != GOLDEN.length) {
                throw new IllegalStateException("length " + in.length + " (expected: 16)");
            }
        });
        assertThat(r.iterations()).isEqualTo(1000);
        assertThat(r.accepted() + r.rejected()).isEqualTo(1000);
        r.requireBothOutcomes(1000);
    }

    @Test
    void aRunOnSeveralThreadsSeesTheInputsAndCountsOfARunOnOne() {
        ByteMutator m = new ByteMutator(List.of(GOLDEN)).lengthFields(b -> List.of(LengthField.u32le(0)));
        Fuzz.Target target = in -> {
            if (in.length < 16 || LengthField.u32le(0).read(in) != in.length) {
                throw new IllegalStateException("length " + in.length + " (expected: as the header says)");
            }
        };
        Fuzz.Report one = Fuzz.run("threads", 20_000, m, IllegalStateException.class, target);
        Fuzz.Report three = Fuzz.run("threads", 20_000, 3, m, IllegalStateException.class,
            msg -> msg.contains("expected"), target);
        assertThat(three.accepted()).isEqualTo(one.accepted());
        assertThat(three.rejected()).isEqualTo(one.rejected());
        assertThatThrownBy(() -> Fuzz.run("threads", 20_000, 3, m, IllegalStateException.class, msg -> true, in -> {
            if (in.length == 7) {
                throw new NullPointerException();
            }
        })).hasMessageContaining("unexpected java.lang.NullPointerException")
            .hasMessageContaining("iteration " + firstOfLength(m, 7) + ",");
    }

    /** The first iteration of the run "threads" whose input has {@code length} octets. */
    private static long firstOfLength(ByteMutator m, int length) {
        for (long i = 0; ; i++) {
            if (m.apply(new Rng(Fuzz.seedOf("threads", i))).length == length) {
                return i;
            }
        }
    }

    @Test
    void aReplayedSeedReproducesTheInputOfItsIteration() {
        ByteMutator m = new ByteMutator(List.of(GOLDEN));
        List<byte[]> inputs = new ArrayList<>();
        Fuzz.run("replay", 50, m, IllegalStateException.class, inputs::add);
        long seed = Fuzz.seedOf("replay", 37);
        System.setProperty(Fuzz.SEED_PROPERTY, "0x" + Long.toHexString(seed));
        try {
            List<byte[]> again = new ArrayList<>();
            Fuzz.Report r = Fuzz.run("replay", 50, m, IllegalStateException.class, again::add);
            assertThat(r.replay()).isTrue();
            assertThat(again).hasSize(1);
            assertThat(again.getFirst()).isEqualTo(inputs.get(37));
        } finally {
            System.clearProperty(Fuzz.SEED_PROPERTY);
        }
    }
}
