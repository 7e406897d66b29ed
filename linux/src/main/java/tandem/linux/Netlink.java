package tandem.linux;

import tandem.conntrack.Addresses;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.ObjIntConsumer;

/**
 * Netlink attribute (struct nlattr) reading and writing, shared by rtnetlink and ctnetlink.
 *
 * <pre>
 * | u16 nla_len (header + payload) | u16 nla_type (bit 15 NESTED, bit 14 NET_BYTEORDER) | payload | pad to 4 |
 * </pre>
 */
public final class Netlink {
    public static final int NLA_F_NESTED = 0x8000;
    public static final int NLMSG_ERROR = 2;
    public static final int NLMSG_DONE = 3;
    public static final int NLM_F_REQUEST = 0x1;
    public static final int NLM_F_MULTI = 0x2;
    public static final int NLM_F_ACK = 0x4;
    public static final int NLM_F_DUMP = 0x300;
    public static final int NLM_F_EXCL = 0x200;
    public static final int NLM_F_CREATE = 0x400;

    private Netlink() {
    }

    /** Calls {@code visitor} with (value, type) for each attribute from {@code start}; stops at a malformed one. */
    public static void forEachAttribute(ByteBuffer body, int start, ObjIntConsumer<byte[]> visitor) {
        for (int off = start; off + 4 <= body.limit(); ) {
            int alen = body.getShort(off) & 0xffff;
            int atype = body.getShort(off + 2) & 0x3fff;
            if (alen < 4 || off + alen > body.limit()) {
                return;
            }
            byte[] v = new byte[alen - 4];
            body.get(off + 4, v);
            visitor.accept(v, atype);
            off += (alen + 3) & ~3;
        }
    }

    /** Attributes of a nested attribute's value. */
    public static void forEachNested(byte[] value, ObjIntConsumer<byte[]> visitor) {
        forEachAttribute(ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()), 0, visitor);
    }

    public static int be16(byte[] v) {
        return v.length < 2 ? 0 : ((v[0] & 0xff) << 8) | (v[1] & 0xff);
    }

    public static int be32(byte[] v) {
        return v.length < 4 ? 0 : ((v[0] & 0xff) << 24) | ((v[1] & 0xff) << 16) | ((v[2] & 0xff) << 8) | (v[3] & 0xff);
    }

    public static int u8(byte[] v) {
        return v.length < 1 ? 0 : v[0] & 0xff;
    }

    /** A NUL-terminated ASCII string attribute (NLA_NUL_STRING); the whole value when there is no NUL. */
    public static String string(byte[] v) {
        int z = 0;
        while (z < v.length && v[z] != 0) {
            z++;
        }
        return new String(v, 0, z, java.nio.charset.StandardCharsets.US_ASCII);
    }

    /**
     * A cursor over the attributes in {@code [from, to)} of a buffer, reading values in place (no
     * copies: the hot path decodes 100 000s of notifications per second). Attribute headers are in the
     * buffer's order, which must be the host's; values of netfilter attributes are big-endian
     * ({@link #be16}, {@link #be32}). A malformed attribute ends the walk, like the kernel's nla_ok.
     */
    public static final class Attrs {
        private final ByteBuffer b;
        private final int end;
        private int next;
        private int type;
        private int value;
        private int length;

        public Attrs(ByteBuffer b, int from, int to) {
            this.b = b;
            this.next = from;
            this.end = Math.min(to, b.limit());
        }

        /** The attributes of a message body from {@code from} (after the family header) to its end. */
        public static Attrs of(ByteBuffer body, int from) {
            return new Attrs(body, from, body.limit());
        }

        /**
         * Moves to the next attribute, like {@link #next()}, but a malformed rest - an attribute whose
         * nla_len is below its header or runs past the end, or 1 to 3 stray octets - is an error rather
         * than the end: the kernel never sends one, and a decoder that stopped there would return an
         * entry without the attributes after it.
         *
         * @param context what holds the attributes, for the message (e.g. "conntrack message")
         * @throws NetlinkDecodeException naming the offset, the length got and the octets left
         */
        public boolean nextValid(String context) throws NetlinkDecodeException {
            if (next >= end) {
                return false;
            }
            int left = end - next;
            int alen = left < 4 ? -1 : b.getShort(next) & 0xffff;
            if (alen < 4 || alen > left) {
                int at = next;
                next = end;
                throw new NetlinkDecodeException(context + ": " + (alen < 0 ? left + " stray octets at octet " + at
                    + " (expected: whole attributes)" : "attribute at octet " + at + " with nla_len " + alen + ", "
                    + left + " octets left (expected: 4.." + left + ")"));
            }
            type = b.getShort(next + 2) & 0x3fff;
            value = next + 4;
            length = alen - 4;
            next += (alen + 3) & ~3;
            return true;
        }

        /** Moves to the next attribute; false at the end or at a malformed one. */
        public boolean next() {
            if (next + 4 > end) {
                return false;
            }
            int alen = b.getShort(next) & 0xffff;
            if (alen < 4 || next + alen > end) {
                next = end;
                return false;
            }
            type = b.getShort(next + 2) & 0x3fff;
            value = next + 4;
            length = alen - 4;
            next += (alen + 3) & ~3;
            return true;
        }

        public int type() {
            return type;
        }

        public int length() {
            return length;
        }

        /** The attributes nested in the current one. */
        public Attrs nested() {
            return new Attrs(b, value, value + length);
        }

        /** Throws unless the current value has exactly {@code octets} octets. */
        public void requireLength(int octets, String name) throws NetlinkDecodeException {
            if (length != octets) {
                throw new NetlinkDecodeException(name + ": " + length + " octets (expected: " + octets + ")");
            }
        }

        /** A u8 value of exactly one octet; {@code name} (e.g. "conntrack CTA_PROTO_NUM") is for the message. */
        public int u8(String name) throws NetlinkDecodeException {
            requireLength(1, name);
            return b.get(value) & 0xff;
        }

        /** A big-endian u16 value of exactly two octets. */
        public int be16(String name) throws NetlinkDecodeException {
            requireLength(2, name);
            return be16();
        }

        /** A big-endian 32-bit value of exactly four octets. */
        public int be32(String name) throws NetlinkDecodeException {
            requireLength(4, name);
            return be32();
        }

        /** A 32-bit value of exactly four octets in the buffer's (the host's) order, as rtnetlink sends them. */
        public int int32(String name) throws NetlinkDecodeException {
            requireLength(4, name);
            return b.getInt(value);
        }

        /** An address of exactly {@code octets} (4 or 16) octets; IPv4 ones interned. */
        public java.net.InetAddress address(int octets, String name) throws NetlinkDecodeException {
            requireLength(octets, name);
            return address();
        }

        public int u8() {
            return length < 1 ? 0 : b.get(value) & 0xff;
        }

        public int be16() {
            return length < 2 ? 0 : ((b.get(value) & 0xff) << 8) | (b.get(value + 1) & 0xff);
        }

        public int be32() {
            if (length < 4) {
                return 0;
            }
            int v = b.getInt(value);
            return b.order() == ByteOrder.LITTLE_ENDIAN ? Integer.reverseBytes(v) : v;
        }

        public byte[] bytes() {
            byte[] v = new byte[length];
            b.get(value, v);
            return v;
        }

        /** A NUL-terminated ASCII string (NLA_NUL_STRING); the whole value when there is no NUL. */
        public String string() {
            int z = 0;
            while (z < length && b.get(value + z) != 0) {
                z++;
            }
            byte[] v = new byte[z];
            b.get(value, v);
            return new String(v, java.nio.charset.StandardCharsets.US_ASCII);
        }

        /**
         * An IPv4 (interned) or IPv6 address value; null for another length. Sixteen octets are always an
         * {@link java.net.Inet6Address}, an IPv4-mapped ::ffff:a.b.c.d included (InetAddress.getByAddress
         * would turn that into an IPv4 address, and an IPv6 flow into an IPv4 one).
         */
        public java.net.InetAddress address() {
            if (length == 4) {
                return Addresses.v4(be32());
            }
            if (length != 16) {
                return null;
            }
            try {
                return java.net.Inet6Address.getByAddress(null, bytes(), -1);
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError(e); // 16 octets
            }
        }
    }

    /** Builds netlink messages: header, fixed family header, attributes (nested with begin/end). */
    public static final class Writer {
        private ByteBuffer b;
        private final Deque<Integer> nests = new ArrayDeque<>();
        private int messageStart = -1;

        public Writer(int capacity) {
            b = ByteBuffer.allocate(capacity).order(ByteOrder.nativeOrder());
        }

        /** Starts a message: nlmsghdr with length filled in by {@link #endMessage}. */
        public Writer message(int type, int flags, int seq) {
            ensure(16);
            messageStart = b.position();
            b.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(0);
            return this;
        }

        /** Adds flags to the message last begun (e.g. NLM_F_ACK on the last of a batch). */
        public Writer addFlagsToLastMessage(int flags) {
            b.putShort(messageStart + 6, (short) (b.getShort(messageStart + 6) | flags));
            return this;
        }

        public Writer endMessage() {
            b.putInt(messageStart, b.position() - messageStart);
            return this;
        }

        public Writer raw(byte... bytes) {
            ensure(bytes.length);
            b.put(bytes);
            return this;
        }

        public Writer begin(int type) {
            ensure(4);
            nests.push(b.position());
            b.putShort((short) 0).putShort((short) (type | NLA_F_NESTED));
            return this;
        }

        public Writer end() {
            int start = nests.pop();
            b.putShort(start, (short) (b.position() - start));
            return this;
        }

        public Writer bytes(int type, byte[] value) {
            ensure(8 + value.length);
            b.putShort((short) (4 + value.length)).putShort((short) type).put(value);
            while ((b.position() & 3) != 0) {
                b.put((byte) 0);
            }
            return this;
        }

        public Writer u8(int type, int v) {
            return bytes(type, new byte[] {(byte) v});
        }

        public Writer be16(int type, int v) {
            return bytes(type, new byte[] {(byte) (v >>> 8), (byte) v});
        }

        public Writer be32(int type, int v) {
            return bytes(type, new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
        }

        public Writer string(int type, String s) {
            byte[] a = s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            return bytes(type, java.util.Arrays.copyOf(a, a.length + 1));
        }

        public int position() {
            return b.position();
        }

        public byte[] toBytes() {
            return java.util.Arrays.copyOf(b.array(), b.position());
        }

        public void reset() {
            b.clear();
            nests.clear();
        }

        private void ensure(int n) {
            if (b.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + n + 64))
                    .order(ByteOrder.nativeOrder());
                b.flip();
                bigger.put(b);
                b = bigger;
            }
        }
    }
}
