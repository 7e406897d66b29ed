package tandem.node.ops;

/** Sets interfaces administratively up or down (rtnetlink on a node, memory in tests). */
@FunctionalInterface
public interface LinkPort {
    /** Sets {@code ifname} up or down; throws when it cannot (no such interface, no permission). */
    void setUp(String ifname, boolean up);
}
