package tandem.statesync;

import java.net.InetAddress;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tandem.conntrack.CtEntry;
import tandem.conntrack.CtExpect;
import tandem.conntrack.CtTuple;

/**
 * The plaintext of a sync datagram (what {@link SyncCrypto} encrypts). All integers big-endian.
 *
 * <pre>
 * message:  | u8 type | body |
 *   1 DATA            | u16 count | op * count |
 *   2 ACK             | u64 seq |
 *   3 NACK            | u64 from | u64 to |
 *   4 ALIVE           | u64 next seq | u8 flags (bit 0: active) |
 *   5 RESYNC_REQUEST  |
 *   6 HELLO           | u8 count | (u8 family 4/6, address) * count |  (the handshake: the header echoes
 *                       the peer's session; the addresses are the sender's VRRP sources)
 * op:       | u8 kind | u64 seq | payload |
 *   1 UPSERT  entry          2 DELETE  key          3 SKIP, 4 RESYNC_BEGIN, 5 RESYNC_END: no payload
 *   6 EXPECT_UPSERT  expect  7 EXPECT_DELETE  key (the expected tuple)
 *   8 UPDATE  entry (absent optional fields: unchanged)
 * key:      | u8 flags (bit 0 IPv6) | tuple | u16 zone |
 * entry:    | u8 flags | tuple orig | tuple reply | u32 status | u32 timeout | u32 mark | u16 zone |
 *           [tcp: u8 state, u8 wscale orig, u8 wscale reply, u8 flags orig, u8 flags reply]
 *           [seqadj orig: 3 * u32] [seqadj reply: 3 * u32] [helper: u8 len, ascii]
 *           [master: tuple] [labels: u8 len, bytes]
 *   flags: bit 0 IPv6, 1 tcp, 2 seqadj orig, 3 seqadj reply, 4 helper, 5 master, 6 labels
 * expect:   | u8 flags | tuple master | tuple expected | tuple mask | u32 timeout | u32 flags |
 *           u32 class | u16 zone | [helper: u8 len, ascii] [function: u8 len, ascii]
 *           [nat: u8 dir, address (4/16), u16 port]
 *   flags: bit 0 IPv6, 1 helper, 2 function, 3 nat
 * tuple:    | u8 protocol | src (4/16) | dst (4/16) | u16 src port / ICMP id | u16 dst port / type&lt;&lt;8|code |
 * </pre>
 */
public final class SyncCodec {
    static final int DATA = 1;
    static final int ACK = 2;
    static final int NACK = 3;
    static final int ALIVE = 4;
    static final int RESYNC_REQUEST = 5;
    static final int HELLO = 6;
    static final int OP_UPSERT = 1;
    static final int OP_DELETE = 2;
    static final int OP_SKIP = 3;
    static final int OP_RESYNC_BEGIN = 4;
    static final int OP_RESYNC_END = 5;
    static final int OP_EXPECT_UPSERT = 6;
    static final int OP_EXPECT_DELETE = 7;
    static final int OP_UPDATE = 8;

    private SyncCodec() {
    }

    public static byte[] encode(SyncMessage m) {
        int size = switch (m) {
            case SyncMessage.Data d -> {
                int n = 3;
                for (SyncOp op : d.ops()) {
                    n += size(op);
                }
                yield n;
            }
            case SyncMessage.Ack a -> 9;
            case SyncMessage.Nack n -> 17;
            case SyncMessage.Alive a -> 10;
            case SyncMessage.ResyncRequest r -> 1;
            case SyncMessage.Hello h -> 2 + h.addresses().stream().mapToInt(a -> 1 + a.getAddress().length).sum();
        };
        ByteBuffer b = ByteBuffer.allocate(size);
        switch (m) {
            case SyncMessage.Data d -> {
                b.put((byte) DATA).putShort((short) d.ops().size());
                for (SyncOp op : d.ops()) {
                    op(b, op);
                }
            }
            case SyncMessage.Ack a -> b.put((byte) ACK).putLong(a.seq());
            case SyncMessage.Nack n -> b.put((byte) NACK).putLong(n.from()).putLong(n.to());
            case SyncMessage.Alive a -> b.put((byte) ALIVE).putLong(a.nextSeq()).put((byte) (a.active() ? 1 : 0));
            case SyncMessage.ResyncRequest r -> b.put((byte) RESYNC_REQUEST);
            case SyncMessage.Hello h -> {
                b.put((byte) HELLO).put((byte) h.addresses().size());
                for (java.net.InetAddress a : h.addresses()) {
                    b.put((byte) (a.getAddress().length == 16 ? 6 : 4)).put(a.getAddress());
                }
            }
        }
        return b.array();
    }

    /** Encoded size of one op, for batching into datagrams; computed, not encoded. */
    public static int size(SyncOp op) {
        return 9 + switch (op) {
            case SyncOp.Upsert u -> entrySize(u.entry());
            case SyncOp.Update u -> entrySize(u.changes());
            case SyncOp.Delete d -> 1 + tupleSize(d.key().orig()) + 2;
            case SyncOp.ExpectUpsert x -> expectSize(x.expect());
            case SyncOp.ExpectDelete x -> 1 + tupleSize(x.key().tuple()) + 2;
            case SyncOp.Skip s -> 0;
            case SyncOp.ResyncBegin r -> 0;
            case SyncOp.ResyncEnd r -> 0;
        };
    }

    static int tupleSize(CtTuple t) {
        return 5 + 2 * (t.ipv6() ? 16 : 4);
    }

    static int entrySize(CtEntry e) {
        int n = 1 + tupleSize(e.orig()) + tupleSize(e.reply()) + 14;
        if (e.tcp() != null) {
            n += 5;
        }
        n += (e.seqAdjOrig() != null ? 12 : 0) + (e.seqAdjReply() != null ? 12 : 0);
        if (e.helper() != null) {
            n += 1 + ascii(e.helper()).length;
        }
        if (e.master() != null) {
            n += tupleSize(e.master());
        }
        if (e.labels() != null) {
            n += 1 + e.labels().length;
        }
        return n;
    }

    private static int expectSize(CtExpect x) {
        int n = 1 + tupleSize(x.master()) + tupleSize(x.tuple()) + tupleSize(x.mask()) + 14;
        if (x.helper() != null) {
            n += 1 + ascii(x.helper()).length;
        }
        if (x.function() != null) {
            n += 1 + ascii(x.function()).length;
        }
        if (x.nat() != null) {
            n += 1 + x.nat().address().getAddress().length + 2;
        }
        return n;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static void op(ByteBuffer b, SyncOp op) {
        switch (op) {
            case SyncOp.Upsert u -> {
                b.put((byte) OP_UPSERT).putLong(u.seq());
                entry(b, u.entry());
            }
            case SyncOp.Update u -> {
                b.put((byte) OP_UPDATE).putLong(u.seq());
                entry(b, u.changes());
            }
            case SyncOp.Delete d -> {
                b.put((byte) OP_DELETE).putLong(d.seq());
                b.put((byte) (d.key().orig().ipv6() ? 1 : 0));
                tuple(b, d.key().orig());
                b.putShort((short) d.key().zone());
            }
            case SyncOp.ExpectUpsert x -> {
                b.put((byte) OP_EXPECT_UPSERT).putLong(x.seq());
                expect(b, x.expect());
            }
            case SyncOp.ExpectDelete x -> {
                b.put((byte) OP_EXPECT_DELETE).putLong(x.seq());
                b.put((byte) (x.key().tuple().ipv6() ? 1 : 0));
                tuple(b, x.key().tuple());
                b.putShort((short) x.key().zone());
            }
            case SyncOp.Skip s -> b.put((byte) OP_SKIP).putLong(s.seq());
            case SyncOp.ResyncBegin r -> b.put((byte) OP_RESYNC_BEGIN).putLong(r.seq());
            case SyncOp.ResyncEnd r -> b.put((byte) OP_RESYNC_END).putLong(r.seq());
        }
    }

    private static void expect(ByteBuffer b, CtExpect x) {
        int flags = (x.tuple().ipv6() ? 1 : 0) | (x.helper() != null ? 2 : 0) | (x.function() != null ? 4 : 0)
            | (x.nat() != null ? 8 : 0);
        b.put((byte) flags);
        tuple(b, x.master());
        tuple(b, x.tuple());
        tuple(b, x.mask());
        b.putInt(x.timeout()).putInt(x.flags()).putInt(x.expectClass()).putShort((short) x.zone());
        for (String s : new String[] {x.helper(), x.function()}) {
            if (s != null) {
                byte[] a = ascii(s);
                b.put((byte) a.length).put(a);
            }
        }
        if (x.nat() != null) {
            b.put((byte) x.nat().dir()).put(x.nat().address().getAddress()).putShort((short) x.nat().port());
        }
    }

    static void entry(ByteBuffer b, CtEntry e) {
        int flags = (e.orig().ipv6() ? 1 : 0) | (e.tcp() != null ? 2 : 0) | (e.seqAdjOrig() != null ? 4 : 0)
            | (e.seqAdjReply() != null ? 8 : 0) | (e.helper() != null ? 16 : 0) | (e.master() != null ? 32 : 0)
            | (e.labels() != null ? 64 : 0);
        b.put((byte) flags);
        tuple(b, e.orig());
        tuple(b, e.reply());
        b.putInt(e.status()).putInt(e.timeout()).putInt(e.mark()).putShort((short) e.zone());
        if (e.tcp() != null) {
            CtEntry.Tcp t = e.tcp();
            b.put((byte) t.state()).put((byte) t.wscaleOrig()).put((byte) t.wscaleReply()).put((byte) t.flagsOrig())
                .put((byte) t.flagsReply());
        }
        for (CtEntry.SeqAdj s : new CtEntry.SeqAdj[] {e.seqAdjOrig(), e.seqAdjReply()}) {
            if (s != null) {
                b.putInt(s.correctionPos()).putInt(s.offsetBefore()).putInt(s.offsetAfter());
            }
        }
        if (e.helper() != null) {
            byte[] h = ascii(e.helper());
            b.put((byte) h.length).put(h);
        }
        if (e.master() != null) {
            tuple(b, e.master());
        }
        if (e.labels() != null) {
            b.put((byte) e.labels().length).put(e.labels());
        }
    }

    static void tuple(ByteBuffer b, CtTuple t) {
        b.put((byte) t.protocol()).put(t.src().getAddress()).put(t.dst().getAddress())
            .putShort((short) t.srcPort()).putShort((short) t.dstPort());
    }

    /**
     * Decodes a plaintext message.
     *
     * @throws SyncException {@link SyncException.Reason#DECODE} naming what was wrong
     */
    public static SyncMessage decode(byte[] data) throws SyncException {
        return decode(data, data.length);
    }

    /** Decodes the plaintext message in {@code data[0, length)}. */
    public static SyncMessage decode(byte[] data, int length) throws SyncException {
        ByteBuffer b = ByteBuffer.wrap(data, 0, length);
        try {
            int type = b.get() & 0xff;
            SyncMessage m = switch (type) {
                case DATA -> {
                    int n = b.getShort() & 0xffff;
                    List<SyncOp> ops = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        ops.add(op(b));
                    }
                    yield new SyncMessage.Data(ops);
                }
                case ACK -> new SyncMessage.Ack(b.getLong());
                case NACK -> {
                    long from = b.getLong();
                    long to = b.getLong();
                    if (to < from) {
                        throw new SyncException(SyncException.Reason.DECODE, "nack range: " + from + ".." + to
                            + " (expected: from <= to)");
                    }
                    yield new SyncMessage.Nack(from, to);
                }
                case ALIVE -> new SyncMessage.Alive(b.getLong(), (b.get() & 1) != 0);
                case RESYNC_REQUEST -> new SyncMessage.ResyncRequest();
                case HELLO -> {
                    int n = b.get() & 0xff;
                    List<InetAddress> addresses = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        int family = b.get() & 0xff;
                        if (family != 4 && family != 6) {
                            throw new SyncException(SyncException.Reason.DECODE, "hello address family: " + family
                                + " (expected: 4 or 6)");
                        }
                        addresses.add(address(b, family == 6));
                    }
                    yield new SyncMessage.Hello(addresses);
                }
                default -> throw new SyncException(SyncException.Reason.DECODE, "message type: " + type
                    + " (expected: 1..6)");
            };
            if (b.hasRemaining()) {
                throw new SyncException(SyncException.Reason.DECODE, "message: " + b.remaining()
                    + " trailing octets (expected: none)");
            }
            return m;
        } catch (BufferUnderflowException e) {
            throw new SyncException(SyncException.Reason.DECODE, "message: truncated at octet " + b.position()
                + " of " + length + " (expected: a complete message)");
        }
    }

    private static SyncOp op(ByteBuffer b) throws SyncException {
        int kind = b.get() & 0xff;
        long seq = b.getLong();
        return switch (kind) {
            case OP_UPSERT -> new SyncOp.Upsert(seq, entry(b));
            case OP_UPDATE -> new SyncOp.Update(seq, entry(b));
            case OP_DELETE -> {
                boolean v6 = (b.get() & 1) != 0;
                CtTuple t = tuple(b, v6);
                yield new SyncOp.Delete(seq, new CtEntry.Key(t, b.getShort() & 0xffff));
            }
            case OP_EXPECT_UPSERT -> new SyncOp.ExpectUpsert(seq, expect(b));
            case OP_EXPECT_DELETE -> {
                boolean v6 = (b.get() & 1) != 0;
                CtTuple t = tuple(b, v6);
                yield new SyncOp.ExpectDelete(seq, new CtExpect.Key(t, b.getShort() & 0xffff));
            }
            case OP_SKIP -> new SyncOp.Skip(seq);
            case OP_RESYNC_BEGIN -> new SyncOp.ResyncBegin(seq);
            case OP_RESYNC_END -> new SyncOp.ResyncEnd(seq);
            default -> throw new SyncException(SyncException.Reason.DECODE, "op kind: " + kind + " (expected: 1..8)");
        };
    }

    static CtEntry entry(ByteBuffer b) throws SyncException {
        int flags = b.get() & 0xff;
        boolean v6 = (flags & 1) != 0;
        CtTuple orig = tuple(b, v6);
        CtTuple reply = tuple(b, v6);
        int status = b.getInt();
        int timeout = b.getInt();
        int mark = b.getInt();
        int zone = b.getShort() & 0xffff;
        CtEntry.Tcp tcp = (flags & 2) == 0 ? null
            : new CtEntry.Tcp(b.get() & 0xff, b.get() & 0xff, b.get() & 0xff, b.get() & 0xff, b.get() & 0xff);
        CtEntry.SeqAdj so = (flags & 4) == 0 ? null : new CtEntry.SeqAdj(b.getInt(), b.getInt(), b.getInt());
        CtEntry.SeqAdj sr = (flags & 8) == 0 ? null : new CtEntry.SeqAdj(b.getInt(), b.getInt(), b.getInt());
        String helper = null;
        if ((flags & 16) != 0) {
            helper = string(b);
        }
        CtTuple master = (flags & 32) == 0 ? null : tuple(b, v6);
        byte[] labels = null;
        if ((flags & 64) != 0) {
            labels = new byte[b.get() & 0xff];
            b.get(labels);
        }
        return new CtEntry(orig, reply, status, timeout, mark, zone, tcp, so, sr, helper, master, labels);
    }

    private static CtExpect expect(ByteBuffer b) throws SyncException {
        int flags = b.get() & 0xff;
        boolean v6 = (flags & 1) != 0;
        CtTuple master = tuple(b, v6);
        CtTuple tuple = tuple(b, v6);
        CtTuple mask = tuple(b, v6);
        int timeout = b.getInt();
        int xflags = b.getInt();
        int xclass = b.getInt();
        int zone = b.getShort() & 0xffff;
        String helper = (flags & 2) == 0 ? null : string(b);
        String function = (flags & 4) == 0 ? null : string(b);
        CtExpect.Nat nat = null;
        if ((flags & 8) != 0) {
            int dir = b.get() & 0xff;
            nat = new CtExpect.Nat(dir, address(b, v6), b.getShort() & 0xffff);
        }
        return new CtExpect(master, tuple, mask, timeout, xflags, xclass, zone, helper, function, nat);
    }

    /** A length-prefixed name (helper, expectation function): printable ASCII, as the kernel's are. */
    private static String string(ByteBuffer b) throws SyncException {
        byte[] a = new byte[b.get() & 0xff];
        b.get(a);
        for (byte c : a) {
            if (c < 0x20 || c > 0x7e) {
                throw new SyncException(SyncException.Reason.DECODE, String.format(
                    "name: octet 0x%02x (expected: printable ASCII, like the kernel's helper names)", c & 0xff));
            }
        }
        return new String(a, StandardCharsets.US_ASCII);
    }

    static CtTuple tuple(ByteBuffer b, boolean v6) {
        int proto = b.get() & 0xff;
        InetAddress s = address(b, v6);
        InetAddress d = address(b, v6);
        return new CtTuple(s, d, proto, b.getShort() & 0xffff, b.getShort() & 0xffff);
    }

    /** IPv4 addresses come interned (a cache of 100 000s of entries shares few addresses). */
    private static InetAddress address(ByteBuffer b, boolean v6) {
        if (v6) {
            byte[] a = new byte[16];
            b.get(a);
            return tandem.conntrack.Addresses.of(a, 0, 16);
        }
        return tandem.conntrack.Addresses.v4(b.getInt());
    }
}
