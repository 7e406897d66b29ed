package tandem.node.vrrp;

import java.net.InetAddress;

/** Sends a gratuitous ARP (IPv4) or an unsolicited Neighbor Advertisement (IPv6) for an address. */
@FunctionalInterface
public interface AnnouncePort {
    void announce(int ifindex, byte[] mac, InetAddress address);
}
