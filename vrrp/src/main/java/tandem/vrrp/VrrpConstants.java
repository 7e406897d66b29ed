package tandem.vrrp;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Wire constants of VRRP, each with the section of the specification it comes from. */
public final class VrrpConstants {
    private VrrpConstants() {
    }

    /** IP protocol number assigned to VRRP (RFC 5798 section 5.1.1.4, RFC 3768 section 5.2.4). */
    public static final int IP_PROTOCOL = 112;

    /** Required IPv4 TTL / IPv6 Hop Limit of every advertisement (RFC 5798 sections 5.1.1.3, 5.1.2.3). */
    public static final int TTL = 255;

    /** The only defined VRRP packet type, ADVERTISEMENT (RFC 5798 section 5.2.2). */
    public static final int TYPE_ADVERTISEMENT = 1;

    /** Fixed part of the VRRP header in octets (RFC 5798 section 5.1). */
    public static final int HEADER_LENGTH = 8;

    /** Length of the VRRPv2 authentication data trailer (RFC 3768 section 5.3.10). */
    public static final int V2_AUTH_DATA_LENGTH = 8;

    /** Largest v3 Max Advertise Interval, 12 bits of centiseconds (RFC 5798 section 5.2.7). */
    public static final int V3_MAX_INTERVAL_CENTIS = 0xFFF;

    /** Priority of the IP address owner (RFC 5798 section 5.2.4). */
    public static final int PRIORITY_OWNER = 255;

    /** Priority that announces the master stops participating (RFC 5798 section 5.2.4). */
    public static final int PRIORITY_STOP = 0;

    /** IPv4 multicast group 224.0.0.18 (RFC 5798 section 5.1.1.2). */
    public static final Inet4Address IPV4_GROUP = (Inet4Address) literal(new byte[] {(byte) 224, 0, 0, 18});

    /** IPv6 multicast group ff02::12 (RFC 5798 section 5.1.2.2). */
    public static final Inet6Address IPV6_GROUP = (Inet6Address) literal(new byte[] {
        (byte) 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12});

    private static InetAddress literal(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
