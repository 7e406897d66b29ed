package tandem.node.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PingCheckStateTest {
    @Test
    void aCheckFailsAfterItsMissesInARowAndRecoversAfterItsSuccessesInARow() {
        PingCheckState s = new PingCheckState(3, 2);
        assertThat(s.round(false)).isFalse();
        assertThat(s.round(false)).isFalse();
        assertThat(s.round(true)).isFalse(); // an answer in between starts the count again
        assertThat(s.round(false)).isFalse();
        assertThat(s.round(false)).isFalse();
        assertThat(s.round(false)).isTrue();
        assertThat(s.failing()).isTrue();
        assertThat(s.round(true)).isFalse();
        assertThat(s.round(false)).isFalse(); // one answer does not bring it back
        assertThat(s.round(true)).isFalse();
        assertThat(s.round(true)).isTrue();
        assertThat(s.failing()).isFalse();
    }

    @Test
    void theVerdictMatchesASimpleModelForRandomRounds() {
        for (long seed = 1; seed <= 50; seed++) {
            Random r = new Random(seed);
            int misses = 1 + r.nextInt(5);
            int successes = 1 + r.nextInt(5);
            PingCheckState s = new PingCheckState(misses, successes);
            boolean failing = false;
            int run = 0;
            boolean last = true;
            for (int i = 0; i < 2_000; i++) {
                boolean answered = r.nextInt(100) < 60;
                run = answered == last ? run + 1 : 1;
                last = answered;
                boolean before = failing;
                if (!failing && !answered && run >= misses) {
                    failing = true;
                } else if (failing && answered && run >= successes) {
                    failing = false;
                }
                assertThat(s.round(answered)).as("seed %d round %d", seed, i).isEqualTo(before != failing);
                assertThat(s.failing()).isEqualTo(failing);
            }
        }
    }

    @Test
    void countsBelowOneAreRefused() {
        assertThatThrownBy(() -> new PingCheckState(0, 1)).hasMessageContaining("misses 0, successes 1 (expected: at least 1 each)");
    }
}
