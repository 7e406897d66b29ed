package tandem.node.health;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import tandem.node.loop.EventLoop;

/**
 * The per-trigger hold-down (Securepoint UPDATE_TRIGGER_DELAY): a report that demotes or faults, from a
 * trigger that is not a link loss, reaches the health board only when it still stands after the
 * hold-down (default 2 s), so a check that fails for a moment does not move the master; a report that
 * improves, or comes back to what the board has, passes at once and cancels what was held. Loop thread
 * only; link tracking reports to the board directly (link loss stays immediate).
 */
public final class HoldDown implements HealthSink {
    private final EventLoop loop;
    private final HealthSink target;
    private Duration hold;
    /** What the board was told, per instance and source. */
    private final Map<String, Health> told = new HashMap<>();
    private final Map<String, Held> held = new HashMap<>();

    /** A report waiting for its hold-down, and since when (for info). */
    public record Held(Health health, long sinceNanos, EventLoop.Timer timer) {
    }

    public HoldDown(EventLoop loop, HealthSink target, Duration hold) {
        this.loop = loop;
        this.target = target;
        this.hold = hold;
    }

    /** A reload changed the hold-down (reports already held keep theirs). */
    public void hold(Duration d) {
        hold = d;
    }

    @Override
    public void report(String instance, String source, Health health) {
        String key = instance + "\0" + source;
        boolean known = told.containsKey(key);
        Health now = told.getOrDefault(key, Health.OK);
        Held h = held.get(key);
        if (health.state() == Health.State.OK || health.equals(now) || hold.isZero()) {
            if (h != null) {
                h.timer().cancel();
                held.remove(key);
            }
            // the first report passes even when it is OK: the board lists every trigger
            if (!health.equals(now) || !known) {
                told.put(key, health);
                target.report(instance, source, health);
            }
            return;
        }
        if (h != null && h.health().equals(health)) {
            return;
        }
        if (h != null) {
            h.timer().cancel();
        }
        long since = loop.now();
        EventLoop.Timer t = loop.schedule(since + hold.toNanos(), "hold-down " + source, () -> {
            held.remove(key);
            told.put(key, health);
            target.report(instance, source, health);
        });
        held.put(key, new Held(health, since, t));
    }

    /** The reports held now (source -> held), for info. */
    public Map<String, Held> held() {
        Map<String, Held> out = new HashMap<>();
        held.forEach((k, v) -> out.put(k.substring(k.indexOf('\0') + 1), v));
        return out;
    }
}
