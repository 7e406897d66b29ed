package tandem.node.role;

/** What a group of virtual routers is on this node. */
public enum Role {
    /** Master of every member: holds the cluster addresses and runs what belongs to the active node. */
    ACTIVE,
    /** Anything else (backup, fault, starting, stopped). */
    STANDBY;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
