package tandem.conntrack;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * One direction of a connection as conntrack keys it (CTA_TUPLE_*): addresses, protocol and ports, or
 * ICMP id/type/code.
 *
 * @param src      source address
 * @param dst      destination address
 * @param protocol IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...)
 * @param srcPort  source port (TCP/UDP/SCTP/DCCP/UDPLITE), ICMP id, else 0
 * @param dstPort  destination port, or ICMP type &lt;&lt; 8 | code
 */
public record CtTuple(InetAddress src, InetAddress dst, int protocol, int srcPort, int dstPort) {
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int ICMP = 1;
    public static final int ICMPV6 = 58;

    public boolean ipv6() {
        return src instanceof Inet6Address;
    }

    public boolean icmp() {
        return protocol == ICMP || protocol == ICMPV6;
    }

    /** The tuple of the opposite direction when nothing is translated. */
    public CtTuple inverted() {
        return icmp() ? this : new CtTuple(dst, src, protocol, dstPort, srcPort);
    }

    @Override
    public String toString() {
        String p = switch (protocol) {
            case TCP -> "tcp";
            case UDP -> "udp";
            case ICMP -> "icmp";
            case ICMPV6 -> "icmpv6";
            default -> "proto " + protocol;
        };
        return p + " " + src.getHostAddress() + (icmp() ? "" : ":" + srcPort) + " > " + dst.getHostAddress()
            + (icmp() ? " id " + srcPort : ":" + dstPort);
    }
}
