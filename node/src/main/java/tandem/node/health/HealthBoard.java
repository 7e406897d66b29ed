package tandem.node.health;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects every source's report per virtual router and tells the listener what they add up to:
 * a fault (the first faulting report's reason) and the sum of the demotion weights. Loop thread only.
 */
public final class HealthBoard implements HealthSink {
    /** What all reports about one instance add up to. */
    public record Verdict(String fault, int demotion, List<String> demotedBy) {
        public static final Verdict HEALTHY = new Verdict(null, 0, List.of());
    }

    /** Told when an instance's verdict changes. */
    @FunctionalInterface
    public interface Listener {
        void changed(String instance, Verdict verdict, String why);
    }

    /** One report as {@code tandem info} lists it. */
    public record Report(String instance, String source, Health health) {
    }

    private final Map<String, Map<String, Health>> reports = new LinkedHashMap<>();
    private final Map<String, Verdict> verdicts = new LinkedHashMap<>();
    private final Listener listener;

    public HealthBoard(Listener listener) {
        this.listener = listener;
    }

    @Override
    public void report(String instance, String source, Health health) {
        Map<String, Health> r = reports.computeIfAbsent(instance, k -> new LinkedHashMap<>());
        Health before = r.put(source, health);
        if (health.equals(before)) {
            return;
        }
        Verdict v = verdict(r);
        Verdict old = verdicts.getOrDefault(instance, Verdict.HEALTHY);
        if (!v.equals(old)) {
            verdicts.put(instance, v);
            listener.changed(instance, v, source + ": " + health.reason());
        }
    }

    /** Forgets an instance (removed by a reload). */
    public void forget(String instance) {
        reports.remove(instance);
        verdicts.remove(instance);
    }

    public Verdict verdict(String instance) {
        return verdicts.getOrDefault(instance, Verdict.HEALTHY);
    }

    public List<Report> reports() {
        return reports.entrySet().stream().flatMap(e -> e.getValue().entrySet().stream()
            .map(s -> new Report(e.getKey(), s.getKey(), s.getValue()))).toList();
    }

    private static Verdict verdict(Map<String, Health> r) {
        String fault = null;
        int demotion = 0;
        List<String> by = new java.util.ArrayList<>();
        for (Map.Entry<String, Health> e : r.entrySet()) {
            switch (e.getValue().state()) {
                case FAULT -> fault = fault != null ? fault : e.getValue().reason();
                case DEMOTE -> {
                    demotion += e.getValue().weight();
                    by.add(e.getValue().reason());
                }
                case OK -> {
                }
            }
        }
        return fault == null && demotion == 0 ? Verdict.HEALTHY : new Verdict(fault, demotion, List.copyOf(by));
    }
}
