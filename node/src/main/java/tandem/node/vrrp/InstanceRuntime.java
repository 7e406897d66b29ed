package tandem.node.vrrp;

import java.net.InetAddress;
import tandem.node.config.NodeConfig;
import tandem.vrrp.fsm.VrrpRouter;

/** Per-instance state the engine keeps beside the pure state machine: where it lives. Loop thread only. */
public final class InstanceRuntime {
    NodeConfig.Instance config;
    final VrrpRouter router;
    String channelKey;
    int ifindex;
    byte[] mac = new byte[0];
    /** IPv4: primary address the adverts are sent from; IPv6: the link-local address (for the tie-break). */
    InetAddress source;
    long lastTransitionWallMillis = -1;
    String group;

    InstanceRuntime(NodeConfig.Instance config, VrrpRouter router) {
        this.config = config;
        this.router = router;
    }

    public String name() {
        return config.name();
    }

    public NodeConfig.Instance config() {
        return config;
    }

    public int ifindex() {
        return ifindex;
    }

    public byte[] mac() {
        return mac;
    }

    public VrrpRouter router() {
        return router;
    }

    /** The address owner (priority 255): its addresses are real, never added or removed by tandem. */
    public boolean owner() {
        return config.priority() == tandem.vrrp.VrrpConstants.PRIORITY_OWNER;
    }

    static String channelKey(String ifname, boolean ipv6) {
        return ifname + (ipv6 ? "/ipv6" : "/ipv4");
    }
}
