package tandem.services;

/**
 * What a service monitor says about the service's group on this node, shaped like the node's
 * health reports: fine, lower the priority by {@code weight}, or fault.
 */
public record Verdict(State state, int weight, String reason) {
    public enum State { OK, DEMOTE, FAULT }

    public static final Verdict OK = new Verdict(State.OK, 0, "ok");

    public boolean ok() {
        return state == State.OK;
    }

    /** Same state and weight (the reason may differ): no news for the health board. */
    public boolean sameAs(Verdict other) {
        return other != null && state == other.state && weight == other.weight;
    }
}
