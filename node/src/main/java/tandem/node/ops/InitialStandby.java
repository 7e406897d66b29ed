package tandem.node.ops;

/**
 * A role-bound component whose standby side is a state of its own that must be made at start (an
 * interface set down, a route added, a drop installed, a standby service started), not only on release:
 * the node starts with every group standby.
 */
public interface InitialStandby {
    /** Makes the standby state, on the loop, before any group becomes active. */
    void standbyAtStart();
}
