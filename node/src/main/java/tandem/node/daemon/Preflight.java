package tandem.node.daemon;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import tandem.linux.Libc;
import tandem.linux.Rtnetlink;
import tandem.node.config.NodeConfig;
import tandem.node.vrrp.VrrpEngine;

/**
 * Checks a configuration against this node before anything is changed: every interface exists, an
 * IPv4 instance's interface has an address of its own to send adverts from. Returns where each
 * instance lives. Reads only.
 */
public final class Preflight {
    private Preflight() {
    }

    /**
     * Every problem of a configuration on this node (interfaces, source addresses, the sync-link
     * address), each as a line "file: instance NAME: ... (expected: ...)"; empty when it fits.
     * What {@code tandem check} reports (without {@code --offline}) and {@code tandem run} refuses.
     */
    public static java.util.List<String> problems(NodeConfig config) {
        java.util.List<String> out = new java.util.ArrayList<>();
        try (Rtnetlink rtnl = Rtnetlink.open()) {
            for (NodeConfig.Instance i : config.instances()) {
                // by name: check may run this on the parts of a file that validated, whose indexes differ
                String where = config.file() + ": instances (name: " + i.name() + ")";
                Rtnetlink.Link link = rtnl.link(i.interfaceName());
                if (link == null) {
                    out.add(where + ": interface " + i.interfaceName()
                        + ": no such interface on this node (expected: an existing interface)");
                } else if (!i.ipv6() && sourceAddress(rtnl, link.index(), i) == null) {
                    out.add(where + ": interface " + i.interfaceName() + " has no IPv4 address of its own (expected:"
                        + " a primary IPv4 address to send VRRP advertisements from, besides the virtual addresses)");
                }
                for (NodeConfig.Track t : i.tracks()) {
                    if (rtnl.link(t.interfaceName()) == null) {
                        out.add(where + ": track-interfaces: " + t.interfaceName()
                            + ": no such interface on this node (expected: an existing interface)");
                    }
                }
            }
            NodeConfig.StateSync ss = config.stateSync();
            if (ss != null) {
                boolean found = false;
                for (int family : new int[] {Libc.AF_INET, Libc.AF_INET6}) {
                    for (Rtnetlink.IfAddress a : rtnl.addresses(0, family)) {
                        found |= a.address().equals(ss.local());
                    }
                }
                if (!found) {
                    out.add(config.file() + ": statesync.local: " + tandem.vrrp.AddressText.format(ss.local())
                        + " is not an address of this node (expected: this node's sync-link address)");
                }
                if (ss.multicast() != null && rtnl.link(ss.interfaceName()) == null) {
                    out.add(config.file() + ": statesync.interface: " + ss.interfaceName()
                        + ": no such interface on this node (expected: the sync-link interface)");
                }
            }
            NodeConfig.Hotwire hw = config.replication() == null ? null : config.replication().hotwire();
            if (hw != null && rtnl.interfaceOf(hw.local()) == null) {
                out.add(config.file() + ": hotwire.local: " + tandem.vrrp.AddressText.format(hw.local())
                    + " is not an address of this node (expected: this node's address on the hotwire link)");
            }
            NodeConfig.Operations ops = config.operations();
            for (NodeConfig.Service sv : ops.services()) {
                for (String problem : tandem.services.ServiceHost.preflight(sv.spec())) {
                    out.add(config.file() + ": services (name: " + sv.name() + "): " + problem);
                }
            }
            for (NodeConfig.StandbyDown d : ops.standbyDown()) {
                if (rtnl.link(d.interfaceName()) == null) {
                    out.add(config.file() + ": standby-down-interfaces: " + d.interfaceName()
                        + ": no such interface on this node (expected: an existing interface)");
                }
            }
            for (NodeConfig.PingCheck c : ops.pingChecks()) {
                if (c.interfaceName() != null && rtnl.link(c.interfaceName()) == null) {
                    out.add(config.file() + ": ping-checks (name: " + c.name() + ").interface: " + c.interfaceName()
                        + ": no such interface on this node (expected: an existing interface)");
                }
            }
        } catch (tandem.linux.LinuxException e) {
            out.add("cannot read this node's interfaces: " + e.getMessage() + " (expected: CAP_NET_ADMIN, or --offline)");
        }
        return out;
    }

    static Map<String, VrrpEngine.Placement> check(NodeConfig config, Rtnetlink rtnl) throws Daemon.StartupException {
        Map<String, VrrpEngine.Placement> out = new LinkedHashMap<>();
        for (NodeConfig.Instance i : config.instances()) {
            Rtnetlink.Link link = rtnl.link(i.interfaceName());
            if (link == null) {
                throw new Daemon.StartupException(2, config.file() + ": instance " + i.name() + ": interface "
                    + i.interfaceName() + ": no such interface on this node (expected: an existing interface)");
            }
            for (NodeConfig.Track t : i.tracks()) {
                if (rtnl.link(t.interfaceName()) == null) {
                    throw new Daemon.StartupException(2, config.file() + ": instance " + i.name() + ": track-interfaces: "
                        + t.interfaceName() + ": no such interface on this node (expected: an existing interface)");
                }
            }
            InetAddress src = sourceAddress(rtnl, link.index(), i);
            if (src == null && !i.ipv6()) {
                throw new Daemon.StartupException(2, config.file() + ": instance " + i.name() + ": interface "
                    + i.interfaceName() + " has no IPv4 address of its own (expected: a primary IPv4 address to send"
                    + " VRRP advertisements from, besides the virtual addresses)");
            }
            out.put(i.name(), new VrrpEngine.Placement(link.index(), link.mac(), src));
        }
        return out;
    }

    /** IPv4: the first primary address that is not one of the VIPs (unless owner); IPv6: the link-local address. */
    static InetAddress sourceAddress(Rtnetlink rtnl, int ifindex, NodeConfig.Instance i) {
        Set<InetAddress> vips = new HashSet<>();
        i.virtualAddresses().forEach(c -> vips.add(c.address()));
        boolean owner = i.priority() == tandem.vrrp.VrrpConstants.PRIORITY_OWNER;
        for (Rtnetlink.IfAddress a : rtnl.addresses(ifindex, i.ipv6() ? Libc.AF_INET6 : Libc.AF_INET)) {
            if (i.ipv6()) {
                if (a.address().isLinkLocalAddress()) {
                    return a.address();
                }
            } else if (!a.secondary() && (owner || !vips.contains(a.address()))) {
                return a.address();
            }
        }
        return null;
    }

    /** The node's own addresses (all interfaces, both families) without the virtual ones. */
    static Set<InetAddress> ownAddresses(NodeConfig config, Rtnetlink rtnl) {
        Set<InetAddress> vips = new HashSet<>();
        config.instances().forEach(i -> i.virtualAddresses().forEach(c -> vips.add(c.address())));
        Set<InetAddress> own = new HashSet<>();
        for (int family : new int[] {Libc.AF_INET, Libc.AF_INET6}) {
            for (Rtnetlink.IfAddress a : rtnl.addresses(0, family)) {
                if (!vips.contains(a.address())) {
                    own.add(a.address());
                }
            }
        }
        return own;
    }
}
