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
}
