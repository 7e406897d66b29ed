package tandem.node.vrrp;

import tandem.node.config.NodeConfig;

/** Adds and removes addresses on interfaces (rtnetlink on Linux). Failures are runtime exceptions naming the call. */
public interface AddressPort {
    /** Adds {@code address}; false when it was there already. */
    boolean add(int ifindex, NodeConfig.Cidr address);

    /** Removes {@code address}; false when it was not there. */
    boolean remove(int ifindex, NodeConfig.Cidr address);
}
