package tandem.vrrp;

import java.net.Inet4Address;
import java.net.InetAddress;

/** The 16-bit one's complement Internet checksum (RFC 1071), optionally over an IP pseudo-header. */
public final class InternetChecksum {
    private InternetChecksum() {
    }

    /** Checksum of {@code len} octets, without pseudo-header. */
    public static int of(byte[] buf, int off, int len) {
        return fold(sum(0, buf, off, len));
    }

    /**
     * Checksum of an upper-layer payload with the pseudo-header of RFC 768 (IPv4) or RFC 8200 section 8.1
     * (IPv6) for the given source, destination and protocol.
     */
    public static int withPseudoHeader(InetAddress src, InetAddress dst, int protocol, byte[] buf, int off, int len) {
        byte[] s = src.getAddress();
        byte[] d = dst.getAddress();
        long sum = sum(0, s, 0, s.length);
        sum = sum(sum, d, 0, d.length);
        if (src instanceof Inet4Address) {
            sum += protocol;
            sum += len;
        } else {
            sum += (len >>> 16) + (len & 0xffff);
            sum += protocol;
        }
        return fold(sum(sum, buf, off, len));
    }

    private static long sum(long sum, byte[] buf, int off, int len) {
        int i = off;
        int end = off + len;
        for (; i + 1 < end; i += 2) {
            sum += ((buf[i] & 0xff) << 8) | (buf[i + 1] & 0xff);
        }
        if (i < end) {
            sum += (buf[i] & 0xff) << 8;
        }
        return sum;
    }

    private static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
