package tandem.node.daemon;

import tandem.linux.Announcer;
import tandem.linux.Rtnetlink;
import tandem.node.config.NodeConfig;
import tandem.node.vrrp.AddressPort;
import tandem.node.vrrp.AnnouncePort;

/** The core's ports on Linux: addresses through rtnetlink, announcements through a packet socket. */
final class LinuxPorts {
    private LinuxPorts() {
    }

    static AddressPort addresses(Rtnetlink rtnl) {
        return new AddressPort() {
            @Override
            public boolean add(int ifindex, NodeConfig.Cidr a) {
                return rtnl.addAddress(ifindex, a.address(), a.prefixLength());
            }

            @Override
            public boolean remove(int ifindex, NodeConfig.Cidr a) {
                return rtnl.removeAddress(ifindex, a.address(), a.prefixLength());
            }
        };
    }

    static AnnouncePort announcer(Announcer announcer) {
        return announcer::announce;
    }

    static tandem.node.ops.LinkPort links(Rtnetlink rtnl) {
        return (ifname, up) -> {
            Rtnetlink.Link l = rtnl.link(ifname);
            if (l == null) {
                throw new IllegalStateException("interface " + ifname + ": no such interface");
            }
            rtnl.setLinkUp(l.index(), up);
        };
    }

    static tandem.node.ops.RoutePort routes(Rtnetlink rtnl) {
        return new tandem.node.ops.RoutePort() {
            @Override
            public boolean add(NodeConfig.StandbyRoute r) {
                return rtnl.addRoute(r.destination().address(), r.destination().prefixLength(), r.via(), 0, r.metric());
            }

            @Override
            public boolean remove(NodeConfig.StandbyRoute r) {
                return rtnl.removeRoute(r.destination().address(), r.destination().prefixLength(), r.via(), 0, r.metric());
            }
        };
    }
}
