package tandem.node.ops;

import tandem.node.config.NodeConfig;

/** Sends the echo requests of a ping check (ICMP sockets on a node). Blocking: never called on the loop. */
@FunctionalInterface
public interface Prober {
    /**
     * One round: an echo request to every target of {@code check} (through its interface, if it names
     * one), waiting up to its timeout; true when any target answered.
     *
     * @throws Exception when the round could not be sent at all (it counts as a miss; the message is shown)
     */
    boolean round(NodeConfig.PingCheck check, int sequence) throws Exception;
}
