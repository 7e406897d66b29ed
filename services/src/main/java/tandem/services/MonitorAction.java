package tandem.services;

import java.util.Locale;

/**
 * What a tripped service monitor does to the service's group on this node: lower its priority by
 * {@code weight} (the standby with a working service becomes the better master) or fault it (the
 * group resigns at once). {@code weight} is 0 for a fault.
 */
public record MonitorAction(Verdict.State state, int weight) {
    public static final MonitorAction FAULT = new MonitorAction(Verdict.State.FAULT, 0);

    public MonitorAction {
        if (state == Verdict.State.OK) {
            throw new IllegalArgumentException("action: got ok, expected demote WEIGHT or fault");
        }
        if (state == Verdict.State.DEMOTE && (weight < 1 || weight > 254)) {
            throw new IllegalArgumentException("action: got demote " + weight + ", expected a weight of 1 to 254");
        }
        if (state == Verdict.State.FAULT && weight != 0) {
            throw new IllegalArgumentException("action: got fault with weight " + weight + ", expected no weight");
        }
    }

    public static MonitorAction demote(int weight) {
        return new MonitorAction(Verdict.State.DEMOTE, weight);
    }

    /** "fault" or "demote 20" (case-insensitive). */
    public static MonitorAction parse(String s) {
        String t = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        if (t.equals("fault")) {
            return FAULT;
        }
        if (t.startsWith("demote")) {
            String w = t.substring(6).trim();
            try {
                return demote(Integer.parseInt(w));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("action: got " + Text.got(s) + ", expected demote WEIGHT (1 to 254) or fault");
            }
        }
        throw new IllegalArgumentException("action: got " + Text.got(s) + ", expected demote WEIGHT (1 to 254) or fault");
    }

    public String label() {
        return state == Verdict.State.FAULT ? "fault" : "demote " + weight;
    }
}
