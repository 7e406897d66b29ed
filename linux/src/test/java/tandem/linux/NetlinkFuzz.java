package tandem.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import tandem.testkit.LengthField;

/** Netlink helpers for the fuzz tests: where the length fields are, and messages from bodies. */
public final class NetlinkFuzz {
    private static final boolean BIG = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN;
    private static final int MAX_DEPTH = 8;

    private NetlinkFuzz() {
    }

    /**
     * The nla_len fields of the attributes in {@code b[from, to)}, and of the attributes nested in them:
     * in those flagged NLA_F_NESTED, and in those whose value happens to be an exact sequence of
     * attributes (rtnetlink nests without the flag).
     */
    public static void attributes(byte[] b, int from, int to, List<LengthField> out) {
        attributes(b, from, Math.min(to, b.length), out, 0);
    }

    private static void attributes(byte[] b, int from, int to, List<LengthField> out, int depth) {
        int off = from;
        while (off >= 0 && off + 4 <= to) {
            int len = u16(b, off);
            int type = u16(b, off + 2);
            out.add(new LengthField(off, 2, BIG));
            if (len < 4 || len > to - off) {
                return;
            }
            if (depth < MAX_DEPTH && len > 4 && ((type & 0x8000) != 0 || exact(b, off + 4, off + len))) {
                attributes(b, off + 4, off + len, out, depth + 1);
            }
            off += (len + 3) & ~3;
        }
    }

    /** Whether {@code b[from, to)} is a sequence of well-formed attributes ending exactly at {@code to}. */
    private static boolean exact(byte[] b, int from, int to) {
        int off = from;
        while (off + 4 <= to) {
            int len = u16(b, off);
            if (len < 4 || len > to - off) {
                return false;
            }
            off += (len + 3) & ~3;
        }
        return off == to || off - to < 4 && off > to;
    }

    /** Length fields of a body: the attributes after a family header of {@code familyHeader} octets. */
    public static List<LengthField> body(byte[] b, int familyHeader) {
        List<LengthField> out = new ArrayList<>();
        attributes(b, familyHeader, b.length, out);
        return out;
    }

    /** Length fields of a datagram: each nlmsg_len and the attributes of each message's body. */
    public static List<LengthField> datagram(byte[] b, int familyHeader) {
        List<LengthField> out = new ArrayList<>();
        int off = 0;
        while (off + 16 <= b.length) {
            out.add(new LengthField(off, 4, BIG));
            long len = out.getLast().read(b);
            if (len < 16 || len > b.length - off) {
                return out;
            }
            attributes(b, off + 16 + familyHeader, off + (int) len, out);
            off += (int) ((len + 3) & ~3);
        }
        return out;
    }

    /** A message: nlmsghdr and body. */
    public static byte[] message(int type, int flags, int seq, int portId, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(16 + body.length).order(ByteOrder.nativeOrder());
        b.putInt(16 + body.length).putShort((short) type).putShort((short) flags).putInt(seq).putInt(portId).put(body);
        return b.array();
    }

    /** The body of a message (after its nlmsghdr). */
    public static byte[] body(byte[] message) {
        return Arrays.copyOfRange(message, 16, message.length);
    }

    /** A body as the decoders take it: host order. */
    public static ByteBuffer buffer(byte[] body) {
        return ByteBuffer.wrap(body).order(ByteOrder.nativeOrder());
    }

    /**
     * The message a datagram's first 16 octets announce, over the rest as body whatever nlmsg_len says
     * (for decoders fuzzed without the datagram split); null when there are fewer than 16 octets.
     */
    public static NetlinkSocket.Message asMessage(byte[] b) {
        if (b.length < 16) {
            return null;
        }
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
        return new NetlinkSocket.Message(h.getShort(4) & 0xffff, h.getShort(6) & 0xffff, h.getInt(8), h.getInt(12),
            buffer(body(b)));
    }

    private static int u16(byte[] b, int off) {
        return BIG ? ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff) : (b[off] & 0xff) | ((b[off + 1] & 0xff) << 8);
    }
}
