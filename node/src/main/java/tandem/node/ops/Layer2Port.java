package tandem.node.ops;

/**
 * Layer-2 takeover (nftables on a node): while a group is standby its cluster addresses stay configured
 * but ARP and Neighbor Discovery for them (and with layer2-drop: all, every other packet arriving on the
 * group's interfaces but VRRP) are dropped; the active node lifts the drop.
 */
@FunctionalInterface
public interface Layer2Port {
    /** Installs ({@code drop}) or lifts the drop of {@code group}, in one transaction. */
    void drop(String group, boolean drop);
}
