package tandem.node.health;

/**
 * What one health source says about one virtual router: fine, lower its priority by {@code weight},
 * or fault it (its whole sync group goes to FAULT and resigns).
 */
public record Health(State state, int weight, String reason) {
    public enum State { OK, DEMOTE, FAULT }

    public static final Health OK = new Health(State.OK, 0, "ok");

    public static Health demote(int weight, String reason) {
        return new Health(State.DEMOTE, weight, reason);
    }

    public static Health fault(String reason) {
        return new Health(State.FAULT, 0, reason);
    }
}
