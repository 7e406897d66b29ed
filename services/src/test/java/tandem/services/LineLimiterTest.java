package tandem.services;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LineLimiterTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void aBurstPassesThenLinesAreCountedNotLoggedUntilTheRateRefillsTheBucket() {
        LineLimiter l = new LineLimiter(5, 2);
        int passed = 0;
        for (int i = 0; i < 20; i++) {
            if (l.allow(0)) {
                passed++;
            }
        }
        assertThat(passed).isEqualTo(5);
        assertThat(l.takeSuppressed()).isEqualTo(15);
        assertThat(l.takeSuppressed()).isZero();
        assertThat(l.allow(SECOND / 4)).isFalse();
        assertThat(l.allow(SECOND / 2)).isTrue();
        assertThat(l.allow(100 * SECOND)).isTrue();
        int after = 0;
        for (int i = 0; i < 10; i++) {
            if (l.allow(100 * SECOND)) {
                after++;
            }
        }
        assertThat(after).isEqualTo(4); // refilled to the burst, not beyond
    }
}
