package tandem.node.role;

/**
 * The order in which role-bound components take over; release runs the reverse. The connection
 * state is in the kernel before the addresses attract traffic, the addresses before interfaces and
 * services that bind to them, and the announcements (gratuitous ARP / unsolicited NA) last, when
 * everything that answers on the addresses is up.
 */
public enum Phase {
    /** Replicated connection state committed into the kernel. */
    STATE,
    /** The cluster (virtual) addresses, or the lifting of the layer-2 drop. */
    ADDRESSES,
    /** Interfaces that are down while standby (e.g. a PPPoE uplink). */
    INTERFACES,
    /** Services that run on the active node only. */
    SERVICES,
    /** Gratuitous ARP and unsolicited Neighbor Advertisements for the addresses. */
    ANNOUNCE;

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
