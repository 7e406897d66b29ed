package tandem.node.daemon;

import java.net.InetAddress;
import tandem.node.config.NodeConfig;
import tandem.vrrp.fsm.VrrpRouter;

/** Per-instance state the daemon keeps beside the pure state machine: where it lives and its timers. */
final class InstanceRuntime {
    NodeConfig.Instance config;
    final VrrpRouter router;
    Channel channel;
    int ifindex;
    byte[] mac = new byte[0];
    /** IPv4: primary address the adverts are sent from; IPv6: the link-local address (for the tie-break). */
    InetAddress source;
    int garpRemaining;
    long garpNext = VrrpRouter.NEVER;
    long refreshNext = VrrpRouter.NEVER;
    long lastTransitionWallMillis;
    String faultReason;

    InstanceRuntime(NodeConfig.Instance config, VrrpRouter router) {
        this.config = config;
        this.router = router;
    }

    String name() {
        return config.name();
    }
}
