package tandem.linux.ct;

import tandem.conntrack.CtEntry;
import tandem.conntrack.CtTuple;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import tandem.linux.Netlink;
import tandem.linux.NetlinkDecodeException;

/**
 * ctnetlink messages (include/uapi/linux/netfilter/nfnetlink_conntrack.h) to and from {@link CtEntry}.
 * Pure: no sockets.
 *
 * <pre>
 * nlmsghdr | nfgenmsg: u8 family, u8 version (0), be16 res_id (0) | attributes (values big-endian)
 *   CTA_TUPLE_ORIG / CTA_TUPLE_REPLY / CTA_TUPLE_MASTER (nested)
 *     CTA_TUPLE_IP (nested): CTA_IP_V4_SRC/DST or CTA_IP_V6_SRC/DST
 *     CTA_TUPLE_PROTO (nested): CTA_PROTO_NUM u8, CTA_PROTO_SRC_PORT/DST_PORT be16,
 *                               CTA_PROTO_ICMP[V6]_ID be16, _TYPE u8, _CODE u8
 *   CTA_STATUS be32, CTA_TIMEOUT be32, CTA_MARK be32, CTA_ZONE be16, CTA_LABELS bytes
 *   CTA_PROTOINFO (nested) / CTA_PROTOINFO_TCP (nested): STATE u8, WSCALE_ORIGINAL u8,
 *       WSCALE_REPLY u8, FLAGS_ORIGINAL {u8 flags, u8 mask}, FLAGS_REPLY {u8 flags, u8 mask}
 *   CTA_HELP (nested): CTA_HELP_NAME string
 *   CTA_SEQ_ADJ_ORIG / _REPLY (nested): CORRECTION_POS, OFFSET_BEFORE, OFFSET_AFTER be32
 *   CTA_NAT_SRC / CTA_NAT_DST (nested, create only): CTA_NAT_V4_MINIP/MAXIP or V6_MINIP/MAXIP,
 *       CTA_NAT_PROTO (nested): CTA_PROTONAT_PORT_MIN/MAX be16
 * </pre>
 */
public final class CtCodec {
    public static final int NFNL_SUBSYS_CTNETLINK = 1;
    public static final int IPCTNL_MSG_CT_NEW = 0;
    public static final int IPCTNL_MSG_CT_GET = 1;
    public static final int IPCTNL_MSG_CT_DELETE = 2;

    static final int CTA_TUPLE_ORIG = 1;
    static final int CTA_TUPLE_REPLY = 2;
    static final int CTA_STATUS = 3;
    static final int CTA_PROTOINFO = 4;
    static final int CTA_HELP = 5;
    static final int CTA_NAT_SRC = 6;
    static final int CTA_TIMEOUT = 7;
    static final int CTA_MARK = 8;
    static final int CTA_NAT_DST = 13;
    static final int CTA_TUPLE_MASTER = 14;
    static final int CTA_SEQ_ADJ_ORIG = 15;
    static final int CTA_SEQ_ADJ_REPLY = 16;
    static final int CTA_ZONE = 18;
    static final int CTA_LABELS = 22;
    static final int CTA_TUPLE_IP = 1;
    static final int CTA_TUPLE_PROTO = 2;
    static final int CTA_IP_V4_SRC = 1;
    static final int CTA_IP_V4_DST = 2;
    static final int CTA_IP_V6_SRC = 3;
    static final int CTA_IP_V6_DST = 4;
    static final int CTA_PROTO_NUM = 1;
    static final int CTA_PROTO_SRC_PORT = 2;
    static final int CTA_PROTO_DST_PORT = 3;
    static final int CTA_PROTO_ICMP_ID = 4;
    static final int CTA_PROTO_ICMP_TYPE = 5;
    static final int CTA_PROTO_ICMP_CODE = 6;
    static final int CTA_PROTO_ICMPV6_ID = 7;
    static final int CTA_PROTO_ICMPV6_TYPE = 8;
    static final int CTA_PROTO_ICMPV6_CODE = 9;
    static final int CTA_PROTOINFO_TCP = 1;
    static final int CTA_PROTOINFO_TCP_STATE = 1;
    static final int CTA_PROTOINFO_TCP_WSCALE_ORIGINAL = 2;
    static final int CTA_PROTOINFO_TCP_WSCALE_REPLY = 3;
    static final int CTA_PROTOINFO_TCP_FLAGS_ORIGINAL = 4;
    static final int CTA_PROTOINFO_TCP_FLAGS_REPLY = 5;
    static final int CTA_HELP_NAME = 1;
    static final int CTA_SEQADJ_CORRECTION_POS = 1;
    static final int CTA_SEQADJ_OFFSET_BEFORE = 2;
    static final int CTA_SEQADJ_OFFSET_AFTER = 3;
    static final int CTA_NAT_V4_MINIP = 1;
    static final int CTA_NAT_V4_MAXIP = 2;
    static final int CTA_NAT_PROTO = 3;
    static final int CTA_NAT_V6_MINIP = 4;
    static final int CTA_NAT_V6_MAXIP = 5;
    static final int CTA_PROTONAT_PORT_MIN = 1;
    static final int CTA_PROTONAT_PORT_MAX = 2;

    private CtCodec() {
    }

    /** nlmsg_type of a ctnetlink message. */
    public static int type(int msg) {
        return (NFNL_SUBSYS_CTNETLINK << 8) | msg;
    }

    /** The nfgenmsg header for a family (AF_UNSPEC = 0 for all). */
    public static byte[] nfgenmsg(int family) {
        return new byte[] {(byte) family, 0, 0, 0};
    }

    /**
     * Appends a message that creates {@code e} (NAT from the tuples, master tuple included) when
     * {@code create}, or updates an existing entry (no NAT, no master: the kernel allows those only at
     * creation). {@code confirmed} adds IPS_CONFIRMED to the status (always for updates).
     */
    public static void writeNew(Netlink.Writer w, CtEntry e, boolean create, boolean confirmed, int flags, int seq) {
        w.message(type(IPCTNL_MSG_CT_NEW), flags, seq).raw(nfgenmsg(e.orig().ipv6() ? 10 : 2));
        tuple(w, CTA_TUPLE_ORIG, e.orig());
        boolean nat = create && (e.srcNat() || e.dstNat());
        tuple(w, CTA_TUPLE_REPLY, nat ? e.untranslatedReply() : e.reply());
        // The kernel refuses (EBUSY) a status that would flip IPS_CONFIRMED: existing entries and, since
        // Linux 6.3, entries being created are confirmed before CTA_STATUS is applied.
        w.be32(CTA_STATUS, (e.status() & CtEntry.SETTABLE) | (confirmed ? CtEntry.CONFIRMED : 0));
        w.be32(CTA_TIMEOUT, e.timeout());
        w.be32(CTA_MARK, e.mark());
        if (e.zone() != 0) {
            w.be16(CTA_ZONE, e.zone());
        }
        if (e.tcp() != null) {
            CtEntry.Tcp t = e.tcp();
            w.begin(CTA_PROTOINFO).begin(CTA_PROTOINFO_TCP)
                .u8(CTA_PROTOINFO_TCP_STATE, t.state())
                .u8(CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, t.wscaleOrig())
                .u8(CTA_PROTOINFO_TCP_WSCALE_REPLY, t.wscaleReply())
                .bytes(CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, new byte[] {(byte) t.flagsOrig(), (byte) t.flagsOrig()})
                .bytes(CTA_PROTOINFO_TCP_FLAGS_REPLY, new byte[] {(byte) t.flagsReply(), (byte) t.flagsReply()})
                .end().end();
        }
        if (e.helper() != null) {
            w.begin(CTA_HELP).string(CTA_HELP_NAME, e.helper()).end();
        }
        seqAdj(w, CTA_SEQ_ADJ_ORIG, e.seqAdjOrig());
        seqAdj(w, CTA_SEQ_ADJ_REPLY, e.seqAdjReply());
        if (e.labels() != null) {
            w.bytes(CTA_LABELS, e.labels());
        }
        if (create) {
            if (e.srcNat()) {
                // for ICMP the "port" of the NAT range is the echo id
                nat(w, CTA_NAT_SRC, e.reply().dst(), e.orig().icmp() ? e.reply().srcPort() : e.reply().dstPort());
            }
            if (e.dstNat()) {
                nat(w, CTA_NAT_DST, e.reply().src(), e.orig().icmp() ? -1 : e.reply().srcPort());
            }
            if (e.master() != null) {
                tuple(w, CTA_TUPLE_MASTER, e.master());
            }
        }
        w.endMessage();
    }

    /** Appends a message that deletes the entry with this key. */
    public static void writeDelete(Netlink.Writer w, CtEntry.Key key, int flags, int seq) {
        w.message(type(IPCTNL_MSG_CT_DELETE), flags, seq).raw(nfgenmsg(key.orig().ipv6() ? 10 : 2));
        tuple(w, CTA_TUPLE_ORIG, key.orig());
        if (key.zone() != 0) {
            w.be16(CTA_ZONE, key.zone());
        }
        w.endMessage();
    }

    /** Appends a nested tuple attribute (also used for expectations). */
    static void tuple(Netlink.Writer w, int type, CtTuple t) {
        w.begin(type).begin(CTA_TUPLE_IP);
        if (t.ipv6()) {
            w.bytes(CTA_IP_V6_SRC, t.src().getAddress()).bytes(CTA_IP_V6_DST, t.dst().getAddress());
        } else {
            w.bytes(CTA_IP_V4_SRC, t.src().getAddress()).bytes(CTA_IP_V4_DST, t.dst().getAddress());
        }
        w.end().begin(CTA_TUPLE_PROTO).u8(CTA_PROTO_NUM, t.protocol());
        if (t.protocol() == CtTuple.ICMP) {
            w.be16(CTA_PROTO_ICMP_ID, t.srcPort()).u8(CTA_PROTO_ICMP_TYPE, t.dstPort() >>> 8)
                .u8(CTA_PROTO_ICMP_CODE, t.dstPort() & 0xff);
        } else if (t.protocol() == CtTuple.ICMPV6) {
            w.be16(CTA_PROTO_ICMPV6_ID, t.srcPort()).u8(CTA_PROTO_ICMPV6_TYPE, t.dstPort() >>> 8)
                .u8(CTA_PROTO_ICMPV6_CODE, t.dstPort() & 0xff);
        } else {
            w.be16(CTA_PROTO_SRC_PORT, t.srcPort()).be16(CTA_PROTO_DST_PORT, t.dstPort());
        }
        w.end().end();
    }

    private static void seqAdj(Netlink.Writer w, int type, CtEntry.SeqAdj s) {
        if (s != null) {
            w.begin(type).be32(CTA_SEQADJ_CORRECTION_POS, s.correctionPos())
                .be32(CTA_SEQADJ_OFFSET_BEFORE, s.offsetBefore()).be32(CTA_SEQADJ_OFFSET_AFTER, s.offsetAfter()).end();
        }
    }

    private static void nat(Netlink.Writer w, int type, InetAddress to, int port) {
        w.begin(type);
        if (to.getAddress().length == 16) {
            w.bytes(CTA_NAT_V6_MINIP, to.getAddress()).bytes(CTA_NAT_V6_MAXIP, to.getAddress());
        } else {
            w.bytes(CTA_NAT_V4_MINIP, to.getAddress()).bytes(CTA_NAT_V4_MAXIP, to.getAddress());
        }
        if (port >= 0) {
            w.begin(CTA_NAT_PROTO).be16(CTA_PROTONAT_PORT_MIN, port).be16(CTA_PROTONAT_PORT_MAX, port).end();
        }
        w.end();
    }

    /** NF_CT_HELPER_NAME_LEN less the NUL: the longest helper name the kernel has. */
    static final int MAX_HELPER_NAME = 15;
    /** NF_CT_LABELS_MAX_SIZE: 128 label bits. */
    static final int MAX_LABELS = 16;

    /**
     * Decodes a ctnetlink conntrack message body (starting at nfgenmsg), reading attributes in place.
     * Attributes of a known type must have the kernel's length, tuples one address family, and the
     * attributes must fill the body exactly.
     *
     * @throws NetlinkDecodeException naming what was got and what was expected, e.g. when the message
     *     has no usable tuples
     */
    public static CtEntry decode(ByteBuffer body) throws NetlinkDecodeException {
        requireNfgenmsg(body, "conntrack message");
        CtTuple orig = null;
        CtTuple reply = null;
        CtTuple master = null;
        int status = 0;
        int timeout = 0;
        int mark = 0;
        int zone = 0;
        CtEntry.Tcp tcp = null;
        CtEntry.SeqAdj adjOrig = null;
        CtEntry.SeqAdj adjReply = null;
        String helper = null;
        byte[] labels = null;
        Netlink.Attrs a = Netlink.Attrs.of(body, 4);
        while (a.nextValid("conntrack message")) {
            switch (a.type()) {
                case CTA_TUPLE_ORIG -> orig = tuple(a.nested(), "conntrack CTA_TUPLE_ORIG");
                case CTA_TUPLE_REPLY -> reply = tuple(a.nested(), "conntrack CTA_TUPLE_REPLY");
                case CTA_TUPLE_MASTER -> master = tuple(a.nested(), "conntrack CTA_TUPLE_MASTER");
                case CTA_STATUS -> status = a.be32("conntrack CTA_STATUS");
                case CTA_TIMEOUT -> timeout = a.be32("conntrack CTA_TIMEOUT");
                case CTA_MARK -> mark = a.be32("conntrack CTA_MARK");
                case CTA_ZONE -> zone = a.be16("conntrack CTA_ZONE");
                case CTA_PROTOINFO -> {
                    Netlink.Attrs p = a.nested();
                    while (p.nextValid("conntrack CTA_PROTOINFO")) {
                        if (p.type() == CTA_PROTOINFO_TCP) {
                            tcp = tcp(p.nested());
                        }
                    }
                }
                case CTA_HELP -> {
                    Netlink.Attrs h = a.nested();
                    while (h.nextValid("conntrack CTA_HELP")) {
                        if (h.type() == CTA_HELP_NAME) {
                            helper = helperName(h, "conntrack CTA_HELP_NAME");
                        }
                    }
                }
                case CTA_SEQ_ADJ_ORIG -> adjOrig = seqAdj(a.nested(), "conntrack CTA_SEQ_ADJ_ORIG");
                case CTA_SEQ_ADJ_REPLY -> adjReply = seqAdj(a.nested(), "conntrack CTA_SEQ_ADJ_REPLY");
                case CTA_LABELS -> {
                    if (a.length() > MAX_LABELS) {
                        throw new NetlinkDecodeException("conntrack CTA_LABELS: " + a.length()
                            + " octets (expected: at most " + MAX_LABELS + ")");
                    }
                    labels = a.bytes();
                }
                default -> {
                }
            }
        }
        if (orig == null || reply == null) {
            throw new NetlinkDecodeException("conntrack message: " + (orig == null ? "no CTA_TUPLE_ORIG"
                : "no CTA_TUPLE_REPLY") + " (expected: both tuples)");
        }
        sameFamily("conntrack message", orig, reply, "CTA_TUPLE_REPLY");
        if (master != null) {
            sameFamily("conntrack message", orig, master, "CTA_TUPLE_MASTER");
        }
        return new CtEntry(orig, reply, status, timeout, mark, zone, tcp, adjOrig, adjReply, helper, master, labels);
    }

    /**
     * Only the original tuple and zone, e.g. of a DESTROY event.
     *
     * @throws NetlinkDecodeException naming what was got and what was expected
     */
    public static CtEntry.Key decodeKey(ByteBuffer body) throws NetlinkDecodeException {
        requireNfgenmsg(body, "conntrack message");
        CtTuple orig = null;
        int zone = 0;
        Netlink.Attrs a = Netlink.Attrs.of(body, 4);
        while (a.nextValid("conntrack message")) {
            if (a.type() == CTA_TUPLE_ORIG) {
                orig = tuple(a.nested(), "conntrack CTA_TUPLE_ORIG");
            } else if (a.type() == CTA_ZONE) {
                zone = a.be16("conntrack CTA_ZONE");
            }
        }
        if (orig == null) {
            throw new NetlinkDecodeException("conntrack message: no CTA_TUPLE_ORIG (expected: the original tuple)");
        }
        return new CtEntry.Key(orig, zone);
    }

    /** Throws unless the body holds at least the 4-octet nfgenmsg. */
    static void requireNfgenmsg(ByteBuffer body, String what) throws NetlinkDecodeException {
        if (body.limit() < 4) {
            throw new NetlinkDecodeException(what + ": " + body.limit() + " octets (expected: at least the"
                + " 4-octet nfgenmsg)");
        }
    }

    /** Throws unless {@code other} is of the address family of {@code first}. */
    static void sameFamily(String what, CtTuple first, CtTuple other, String otherName) throws NetlinkDecodeException {
        if (first.ipv6() != other.ipv6()) {
            throw new NetlinkDecodeException(what + ": " + otherName + " of " + (other.ipv6() ? "IPv6" : "IPv4")
                + " (expected: " + (first.ipv6() ? "IPv6" : "IPv4") + " like the first tuple)");
        }
    }

    /** A helper name (NUL-terminated) of at most {@value #MAX_HELPER_NAME} printable ASCII characters. */
    static String helperName(Netlink.Attrs a, String name) throws NetlinkDecodeException {
        return name(a, MAX_HELPER_NAME, name);
    }

    /**
     * A name (NUL-terminated string attribute) of at most {@code max} printable ASCII characters: the
     * kernel's helper and function names are, and a peer's kernel would look up nothing else.
     */
    static String name(Netlink.Attrs a, int max, String name) throws NetlinkDecodeException {
        String s = a.string();
        if (s.length() > max) {
            throw new NetlinkDecodeException(name + ": " + s.length() + " characters (expected: at most " + max + ")");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new NetlinkDecodeException(String.format("%s: character U+%04X at %d (expected: printable ASCII)",
                    name, (int) c, i));
            }
        }
        return s;
    }

    /**
     * Decodes the attributes of a nested tuple (CTA_TUPLE_IP and CTA_TUPLE_PROTO); {@code name} (e.g.
     * "conntrack CTA_TUPLE_ORIG") begins the message of an error.
     */
    static CtTuple tuple(Netlink.Attrs t, String name) throws NetlinkDecodeException {
        try {
            return tuple(t);
        } catch (NetlinkDecodeException e) {
            throw new NetlinkDecodeException(name + e.getMessage());
        }
    }

    private static CtTuple tuple(Netlink.Attrs t) throws NetlinkDecodeException {
        java.net.InetAddress src = null;
        java.net.InetAddress dst = null;
        int proto = 0;
        int sport = 0;
        int dport = 0;
        int id = 0;
        int icmpType = 0;
        int icmpCode = 0;
        while (t.nextValid("")) {
            if (t.type() == CTA_TUPLE_IP) {
                Netlink.Attrs ip = t.nested();
                while (ip.nextValid(" CTA_TUPLE_IP")) {
                    switch (ip.type()) {
                        case CTA_IP_V4_SRC -> src = ip.address(4, " CTA_IP_V4_SRC");
                        case CTA_IP_V4_DST -> dst = ip.address(4, " CTA_IP_V4_DST");
                        case CTA_IP_V6_SRC -> src = ip.address(16, " CTA_IP_V6_SRC");
                        case CTA_IP_V6_DST -> dst = ip.address(16, " CTA_IP_V6_DST");
                        default -> {
                        }
                    }
                }
            } else if (t.type() == CTA_TUPLE_PROTO) {
                Netlink.Attrs p = t.nested();
                while (p.nextValid(" CTA_TUPLE_PROTO")) {
                    switch (p.type()) {
                        case CTA_PROTO_NUM -> proto = p.u8(" CTA_PROTO_NUM");
                        case CTA_PROTO_SRC_PORT -> sport = p.be16(" CTA_PROTO_SRC_PORT");
                        case CTA_PROTO_DST_PORT -> dport = p.be16(" CTA_PROTO_DST_PORT");
                        case CTA_PROTO_ICMP_ID, CTA_PROTO_ICMPV6_ID -> id = p.be16(" CTA_PROTO_ICMP_ID");
                        case CTA_PROTO_ICMP_TYPE, CTA_PROTO_ICMPV6_TYPE -> icmpType = p.u8(" CTA_PROTO_ICMP_TYPE");
                        case CTA_PROTO_ICMP_CODE, CTA_PROTO_ICMPV6_CODE -> icmpCode = p.u8(" CTA_PROTO_ICMP_CODE");
                        default -> {
                        }
                    }
                }
            }
        }
        if (src == null || dst == null) {
            throw new NetlinkDecodeException(": no " + (src == null ? "source" : "destination")
                + " address (expected: CTA_TUPLE_IP with source and destination)");
        }
        boolean v6 = src instanceof java.net.Inet6Address;
        if (v6 != dst instanceof java.net.Inet6Address) {
            throw new NetlinkDecodeException(": " + (v6 ? "IPv6" : "IPv4") + " source and " + (v6 ? "IPv4" : "IPv6")
                + " destination (expected: one address family)");
        }
        boolean icmp = proto == CtTuple.ICMP || proto == CtTuple.ICMPV6;
        return new CtTuple(src, dst, proto, icmp ? id : sport, icmp ? (icmpType << 8) | icmpCode : dport);
    }

    private static CtEntry.Tcp tcp(Netlink.Attrs t) throws NetlinkDecodeException {
        int state = 0;
        int wsOrig = 0;
        int wsReply = 0;
        int flOrig = 0;
        int flReply = 0;
        while (t.nextValid("conntrack CTA_PROTOINFO_TCP")) {
            switch (t.type()) {
                case CTA_PROTOINFO_TCP_STATE -> state = t.u8("conntrack CTA_PROTOINFO_TCP_STATE");
                case CTA_PROTOINFO_TCP_WSCALE_ORIGINAL -> wsOrig = t.u8("conntrack CTA_PROTOINFO_TCP_WSCALE_ORIGINAL");
                case CTA_PROTOINFO_TCP_WSCALE_REPLY -> wsReply = t.u8("conntrack CTA_PROTOINFO_TCP_WSCALE_REPLY");
                case CTA_PROTOINFO_TCP_FLAGS_ORIGINAL -> {
                    // struct nf_ct_tcp_flags {u8 flags; u8 mask}
                    t.requireLength(2, "conntrack CTA_PROTOINFO_TCP_FLAGS_ORIGINAL");
                    flOrig = t.u8();
                }
                case CTA_PROTOINFO_TCP_FLAGS_REPLY -> {
                    t.requireLength(2, "conntrack CTA_PROTOINFO_TCP_FLAGS_REPLY");
                    flReply = t.u8();
                }
                default -> {
                }
            }
        }
        return new CtEntry.Tcp(state, wsOrig, wsReply, flOrig, flReply);
    }

    private static CtEntry.SeqAdj seqAdj(Netlink.Attrs a, String name) throws NetlinkDecodeException {
        int pos = 0;
        int before = 0;
        int after = 0;
        while (a.nextValid(name)) {
            switch (a.type()) {
                case CTA_SEQADJ_CORRECTION_POS -> pos = a.be32("conntrack CTA_SEQADJ_CORRECTION_POS");
                case CTA_SEQADJ_OFFSET_BEFORE -> before = a.be32("conntrack CTA_SEQADJ_OFFSET_BEFORE");
                case CTA_SEQADJ_OFFSET_AFTER -> after = a.be32("conntrack CTA_SEQADJ_OFFSET_AFTER");
                default -> {
                }
            }
        }
        return new CtEntry.SeqAdj(pos, before, after);
    }
}
