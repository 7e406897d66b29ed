package tandem.node.ops;

import tandem.node.config.NodeConfig;

/** Adds and removes routes (rtnetlink on a node, memory in tests); both idempotent. */
public interface RoutePort {
    /** Adds the route; false when it was there already. */
    boolean add(NodeConfig.StandbyRoute route);

    /** Removes the route; false when there was none. */
    boolean remove(NodeConfig.StandbyRoute route);
}
