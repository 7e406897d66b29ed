package tandem.linux;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Tells the segment where a virtual address now lives: gratuitous ARP (RFC 5227 section 3, an ARP
 * request with sender and target IP set to the address, broadcast) over AF_PACKET, and unsolicited
 * Neighbor Advertisements (RFC 4861 section 7.2.6, to ff02::1, Override and Router flags set, with the
 * target link-layer address option) over a raw ICMPv6 socket with hop limit 255. The kernel fills in
 * the ICMPv6 checksum. Both sockets are send-only.
 */
public final class Announcer implements AutoCloseable {
    private static final int ETH_P_ARP = 0x0806;
    private static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    private static final InetAddress ALL_NODES = SockAddr.address(new byte[] {
        (byte) 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});

    private final Arena arena = Arena.ofShared();
    private final int packetFd;
    private final int icmp6Fd;
    private final MemorySegment frame = arena.allocate(128, 8);

    public Announcer() {
        int p = Libc.socket(Libc.AF_PACKET, Libc.SOCK_RAW, 0, "AF_PACKET gratuitous ARP");
        int i = -1;
        try {
            i = Libc.socket(Libc.AF_INET6, Libc.SOCK_RAW, Libc.IPPROTO_ICMPV6, "ICMPv6 neighbor advertisement");
            MemorySegment blockAll = arena.allocate(32, 4);
            blockAll.fill((byte) 0xff);
            Libc.setsockopt(i, Libc.IPPROTO_ICMPV6, Libc.ICMP6_FILTER, blockAll, "ICMP6_FILTER block all");
            Libc.setsockopt(i, Libc.IPPROTO_IPV6, Libc.IPV6_MULTICAST_HOPS, 255, "NA IPV6_MULTICAST_HOPS");
        } catch (RuntimeException e) {
            Libc.close(p);
            Libc.close(i);
            arena.close();
            throw e;
        }
        packetFd = p;
        icmp6Fd = i;
    }

    /** Sends one announcement for {@code address} out of {@code ifindex} with link address {@code mac}. */
    public synchronized void announce(int ifindex, byte[] mac, InetAddress address) {
        if (address instanceof Inet4Address) {
            gratuitousArp(ifindex, mac, address.getAddress());
        } else {
            neighborAdvertisement(ifindex, mac, address);
        }
    }

    /** Builds the Ethernet frame of a gratuitous ARP request. Visible for tests. */
    static byte[] arpFrame(byte[] mac, byte[] ip) {
        byte[] f = new byte[42];
        System.arraycopy(BROADCAST, 0, f, 0, 6);
        System.arraycopy(mac, 0, f, 6, 6);
        f[12] = 0x08;
        f[13] = 0x06;
        f[14] = 0; f[15] = 1;           // htype Ethernet
        f[16] = 0x08; f[17] = 0x00;     // ptype IPv4
        f[18] = 6; f[19] = 4;           // hlen, plen
        f[20] = 0; f[21] = 1;           // op request
        System.arraycopy(mac, 0, f, 22, 6);
        System.arraycopy(ip, 0, f, 28, 4);
        // target hardware address stays zero (RFC 5227 section 3)
        System.arraycopy(ip, 0, f, 38, 4);
        return f;
    }

    /** Builds the ICMPv6 Neighbor Advertisement body (checksum left to the kernel). Visible for tests. */
    static byte[] naMessage(byte[] mac, byte[] target) {
        byte[] m = new byte[32];
        m[0] = (byte) 136;               // type NA
        m[4] = (byte) 0xa0;              // R=1, S=0, O=1
        System.arraycopy(target, 0, m, 8, 16);
        m[24] = 2;                       // option: target link-layer address
        m[25] = 1;                       // length in units of 8 octets
        System.arraycopy(mac, 0, m, 26, 6);
        return m;
    }

    private void gratuitousArp(int ifindex, byte[] mac, byte[] ip) {
        byte[] f = arpFrame(mac, ip);
        MemorySegment.copy(f, 0, frame, JAVA_BYTE, 0, f.length);
        try (Arena a = Arena.ofConfined()) {
            Libc.sendto(packetFd, frame, f.length, SockAddr.link(a, ifindex, ETH_P_ARP, BROADCAST),
                "gratuitous ARP ifindex " + ifindex);
        }
    }

    private void neighborAdvertisement(int ifindex, byte[] mac, InetAddress target) {
        byte[] m = naMessage(mac, target.getAddress());
        MemorySegment.copy(m, 0, frame, JAVA_BYTE, 0, m.length);
        try (Arena a = Arena.ofConfined()) {
            Libc.setsockopt(icmp6Fd, Libc.IPPROTO_IPV6, Libc.IPV6_MULTICAST_IF, ifindex, "NA IPV6_MULTICAST_IF");
            Libc.sendto(icmp6Fd, frame, m.length, SockAddr.inet(a, ALL_NODES, ifindex),
                "unsolicited NA ifindex " + ifindex);
        }
    }

    @Override
    public void close() {
        Libc.close(packetFd);
        Libc.close(icmp6Fd);
        arena.close();
    }
}
