package tandem.linux.icmp;

import java.nio.ByteBuffer;

/**
 * ICMP and ICMPv6 echo messages (RFC 792, RFC 4443 section 4). Pure.
 *
 * <pre>
 *  0       8       16              31
 * +-------+-------+---------------+
 * | type  | code  |   checksum    |   echo request: type 8 (ICMP) / 128 (ICMPv6), code 0
 * +-------+-------+---------------+   echo reply:   type 0 (ICMP) / 129 (ICMPv6)
 * |  identifier   |   sequence    |
 * +---------------+---------------+
 * |  data ...
 * </pre>
 *
 * An IPv4 raw socket delivers the IP header too (its IHL says how long it is); ICMPv6 raw sockets do
 * not, and the kernel computes the ICMPv6 checksum (it needs the pseudo header).
 */
public final class IcmpCodec {
    /** RFC 792: echo request and reply. */
    public static final int ECHO_REQUEST_V4 = 8;
    public static final int ECHO_REPLY_V4 = 0;
    /** RFC 4443 section 4.1 and 4.2. */
    public static final int ECHO_REQUEST_V6 = 128;
    public static final int ECHO_REPLY_V6 = 129;
    static final int HEADER = 8;

    /** An echo reply: who sent it, and the identifier and sequence number it echoes. */
    public record EchoReply(int identifier, int sequence) {
    }

    private IcmpCodec() {
    }

    /** An echo request (for IPv6 the checksum is left 0: the kernel fills it in). */
    public static byte[] echoRequest(boolean ipv6, int identifier, int sequence, byte[] data) {
        byte[] out = new byte[HEADER + data.length];
        ByteBuffer.wrap(out).put((byte) (ipv6 ? ECHO_REQUEST_V6 : ECHO_REQUEST_V4)).put((byte) 0).putShort((short) 0)
            .putShort((short) identifier).putShort((short) sequence).put(data);
        if (!ipv6) {
            int sum = checksum(out, 0, out.length);
            out[2] = (byte) (sum >>> 8);
            out[3] = (byte) sum;
        }
        return out;
    }

    /**
     * The echo reply in {@code b[0, length)} as the raw socket delivered it (IPv4: with its IP header).
     *
     * @throws IcmpDecodeException for anything else: short, another type, a bad checksum (IPv4)
     */
    public static EchoReply decodeReply(byte[] b, int length, boolean ipv6) throws IcmpDecodeException {
        if (length < 0 || length > b.length) {
            throw new IcmpDecodeException("packet: " + length + " octets in a buffer of " + b.length
                + " (expected: within the buffer)");
        }
        int off = 0;
        if (!ipv6) {
            if (length < 20 || (b[0] & 0xf0) != 0x40) {
                throw new IcmpDecodeException("IPv4 header: " + length + " octets, version " + ((b.length > 0 ? b[0] : 0) >> 4 & 0xf)
                    + " (expected: at least 20 octets, version 4)");
            }
            off = (b[0] & 0x0f) * 4;
            if (off < 20 || off > length) {
                throw new IcmpDecodeException("IPv4 header length: " + off + " octets of " + length
                    + " (expected: 20..60 and within the packet)");
            }
        }
        int len = length - off;
        if (len < HEADER) {
            throw new IcmpDecodeException("ICMP message: " + len + " octets (expected: at least " + HEADER + ")");
        }
        int type = b[off] & 0xff;
        int expected = ipv6 ? ECHO_REPLY_V6 : ECHO_REPLY_V4;
        if (type != expected || b[off + 1] != 0) {
            throw new IcmpDecodeException("ICMP type " + type + " code " + (b[off + 1] & 0xff) + " (expected: echo reply, type "
                + expected + " code 0)");
        }
        if (!ipv6 && checksum(b, off, len) != 0) {
            throw new IcmpDecodeException("ICMP checksum does not verify (expected: a valid checksum)");
        }
        ByteBuffer h = ByteBuffer.wrap(b, off + 4, 4);
        return new EchoReply(h.getShort() & 0xffff, h.getShort() & 0xffff);
    }

    /** The Internet checksum (RFC 1071) of {@code b[off, off+len)}; 0 when it verifies. */
    static int checksum(byte[] b, int off, int len) {
        long sum = 0;
        int i = off;
        for (; i + 1 < off + len; i += 2) {
            sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        }
        if (i < off + len) {
            sum += (b[i] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }
}
