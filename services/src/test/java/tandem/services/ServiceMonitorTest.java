package tandem.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The pure monitor on virtual time (nanoseconds from 0). */
class ServiceMonitorTest {
    private static final long S = 1_000_000_000L;
    private static final MonitorSpec SPEC = new MonitorSpec(3, Duration.ofSeconds(60), Duration.ofSeconds(300), MonitorAction.demote(50));

    @Test
    void failuresBelowTheCountWithinTheWindowLeaveTheVerdictOk() {
        ServiceMonitor m = new ServiceMonitor("dhcp", SPEC);
        assertThat(m.failed(0, "exited with status 1").ok()).isTrue();
        assertThat(m.failed(10 * S, "exited with status 1").ok()).isTrue();
        assertThat(m.deadline()).isEqualTo(Long.MAX_VALUE);
        assertThat(m.recentFailures()).isEqualTo(2);
    }

    @Test
    void theNthFailureWithinTheWindowTripsTheMonitorWithTheConfiguredAction() {
        ServiceMonitor m = new ServiceMonitor("dhcp", SPEC);
        m.failed(0, "a");
        m.failed(10 * S, "b");
        Verdict v = m.failed(59 * S, "exited with status 2");
        assertThat(v.state()).isEqualTo(Verdict.State.DEMOTE);
        assertThat(v.weight()).isEqualTo(50);
        assertThat(v.reason()).isEqualTo("service dhcp failed 3 times within 1 min (last: exited with status 2); demote 50 until 5 min without a failure");
        assertThat(m.deadline()).isEqualTo(59 * S + 300 * S);
    }

    @Test
    void failuresOutsideTheWindowDoNotCount() {
        ServiceMonitor m = new ServiceMonitor("dhcp", SPEC);
        m.failed(0, "a");
        m.failed(30 * S, "b");
        assertThat(m.failed(60 * S, "c").ok()).isTrue(); // the first is exactly one window old: gone
        assertThat(m.failed(61 * S, "d").ok()).isFalse(); // 30, 60, 61
    }

    @Test
    void theVerdictExpiresExactlyExpireAfterTheLastFailureAndEachFailureExtendsIt() {
        ServiceMonitor m = new ServiceMonitor("dhcp", SPEC);
        m.failed(0, "a");
        m.failed(1 * S, "b");
        m.failed(2 * S, "c");
        m.failed(100 * S, "d"); // still failing: the hold goes on
        assertThat(m.advance(301 * S).ok()).isFalse();
        assertThat(m.advance(400 * S - 1).ok()).isFalse();
        assertThat(m.advance(400 * S).ok()).isTrue();
        assertThat(m.deadline()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void afterRecoveryItTakesTheFullCountAgainToTrip() {
        ServiceMonitor m = new ServiceMonitor("vpn", new MonitorSpec(2, Duration.ofSeconds(600), Duration.ofSeconds(60), MonitorAction.FAULT));
        m.failed(0, "a");
        assertThat(m.failed(1 * S, "b").state()).isEqualTo(Verdict.State.FAULT);
        assertThat(m.advance(61 * S).ok()).isTrue();
        // within the (long) window of the old failures, yet one new failure does not trip: the history was forgotten
        assertThat(m.failed(62 * S, "c").ok()).isTrue();
        assertThat(m.failed(63 * S, "d").state()).isEqualTo(Verdict.State.FAULT);
    }

    @Test
    void aSingleFailureTripsWhenTheCountIsOne() {
        ServiceMonitor m = new ServiceMonitor("x", new MonitorSpec(1, Duration.ofSeconds(1), Duration.ofSeconds(10), MonitorAction.FAULT));
        assertThat(m.failed(5, "gone").state()).isEqualTo(Verdict.State.FAULT);
        assertThat(m.advance(5 + 10 * S).ok()).isTrue();
    }

    @Test
    void timeMustNotGoBack() {
        ServiceMonitor m = new ServiceMonitor("x", SPEC);
        m.advance(10);
        assertThatThrownBy(() -> m.advance(9)).hasMessage("time went backwards: got 9, expected at least 10");
    }

    /**
     * The monitor, called only at failures and at its own deadlines, against a model that recomputes
     * from the whole history at every millisecond: the verdicts agree at every millisecond, so both
     * the transitions and the deadlines are right.
     */
    @Test
    void agreesWithASimpleModelOnSeededRandomFailureSequences() {
        int allTransitions = 0;
        for (long seed = 1; seed <= 60; seed++) {
            Random rnd = new Random(seed);
            int failures = 1 + rnd.nextInt(4);
            long windowMs = 50 + rnd.nextInt(400);
            long expireMs = 20 + rnd.nextInt(600);
            MonitorSpec spec = new MonitorSpec(failures, Duration.ofMillis(windowMs), Duration.ofMillis(expireMs),
                rnd.nextBoolean() ? MonitorAction.FAULT : MonitorAction.demote(1 + rnd.nextInt(254)));
            ServiceMonitor m = new ServiceMonitor("s" + seed, spec);
            Model model = new Model(failures, windowMs, expireMs);
            int transitions = 0;
            boolean last = false;
            double rate = 0.002 + rnd.nextDouble() * 0.05; // failures per ms: from rare to bursts
            for (long t = 0; t < 20_000; t++) {
                long now = t * 1_000_000L;
                boolean fails = rnd.nextDouble() < rate;
                model.at(t, fails);
                if (now >= m.deadline()) {
                    m.advance(now);
                }
                if (fails) {
                    m.failed(now, "failure at " + t);
                }
                assertThat(!m.verdict().ok()).as("seed %d at %d ms", seed, t).isEqualTo(model.tripped);
                if (!m.verdict().ok()) {
                    assertThat(m.verdict().state()).isEqualTo(spec.action().state());
                    assertThat(m.verdict().weight()).isEqualTo(spec.action().weight());
                }
                if (model.tripped != last) {
                    transitions++;
                    last = model.tripped;
                }
            }
            allTransitions += transitions;
        }
        assertThat(allTransitions).as("the sequences trip and expire the monitor many times").isGreaterThan(500);
    }

    /** The rules read literally, recomputed from the full history each millisecond. */
    private static final class Model {
        final int failures;
        final long window;
        final long expire;
        final List<Long> history = new ArrayList<>();
        boolean tripped;
        long last = -1;

        Model(int failures, long window, long expire) {
            this.failures = failures;
            this.window = window;
            this.expire = expire;
        }

        void at(long t, boolean fails) {
            if (tripped && t - last >= expire) {
                tripped = false;
                history.clear();
            }
            if (fails) {
                history.add(t);
                last = t;
                long inWindow = history.stream().filter(f -> t - f < window).count();
                if (inWindow >= failures) {
                    tripped = true;
                }
            }
        }
    }
}
