package tandem.linux.ct;

import tandem.conntrack.CtTuple;
import tandem.conntrack.CtExpect;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import tandem.conntrack.Addresses;
import tandem.linux.Netlink;
import tandem.linux.NetlinkDecodeException;

/**
 * ctnetlink expectation messages (NFNL_SUBSYS_CTNETLINK_EXP, include/uapi/linux/netfilter/
 * nfnetlink_conntrack.h) to and from {@link CtExpect}. Pure: no sockets.
 *
 * <pre>
 * nlmsghdr | nfgenmsg: u8 family, u8 version (0), be16 res_id (0) | attributes (values big-endian)
 *   CTA_EXPECT_MASTER / CTA_EXPECT_TUPLE / CTA_EXPECT_MASK (nested tuples, as in CtCodec)
 *   CTA_EXPECT_TIMEOUT be32, CTA_EXPECT_ID be32 (not replicated), CTA_EXPECT_FLAGS be32,
 *   CTA_EXPECT_CLASS be32, CTA_EXPECT_ZONE be16, CTA_EXPECT_HELP_NAME string, CTA_EXPECT_FN string
 *   CTA_EXPECT_NAT (nested): CTA_EXPECT_NAT_DIR be32,
 *                            CTA_EXPECT_NAT_TUPLE (nested tuple: source = saved address and port)
 * </pre>
 *
 * <p>Creating: the kernel needs TUPLE, MASK and MASTER, and the master connection must exist with a
 * helper attached. It takes only the source fields of the mask, ignores the timeout of a helper's
 * expectation (the helper's policy sets it) and refuses NF_CT_EXPECT_USERSPACE. The helper name is not
 * sent: since Linux 6.x a name given on create is the helper assigned to the expected connection, while
 * a dump reports the master's helper.
 */
public final class CtExpectCodec {
    public static final int NFNL_SUBSYS_CTNETLINK_EXP = 2;
    public static final int IPCTNL_MSG_EXP_NEW = 0;
    public static final int IPCTNL_MSG_EXP_GET = 1;
    public static final int IPCTNL_MSG_EXP_DELETE = 2;

    static final int CTA_EXPECT_MASTER = 1;
    static final int CTA_EXPECT_TUPLE = 2;
    static final int CTA_EXPECT_MASK = 3;
    static final int CTA_EXPECT_TIMEOUT = 4;
    static final int CTA_EXPECT_HELP_NAME = 6;
    static final int CTA_EXPECT_ZONE = 7;
    static final int CTA_EXPECT_FLAGS = 8;
    static final int CTA_EXPECT_CLASS = 9;
    static final int CTA_EXPECT_NAT = 10;
    static final int CTA_EXPECT_FN = 11;
    static final int CTA_EXPECT_NAT_DIR = 1;
    static final int CTA_EXPECT_NAT_TUPLE = 2;

    private CtExpectCodec() {
    }

    /** nlmsg_type of an expectation message. */
    public static int type(int msg) {
        return (NFNL_SUBSYS_CTNETLINK_EXP << 8) | msg;
    }

    /** Appends a message that creates {@code x} (flags decide create-only / update). */
    public static void writeNew(Netlink.Writer w, CtExpect x, int flags, int seq) {
        w.message(type(IPCTNL_MSG_EXP_NEW), flags, seq).raw(CtCodec.nfgenmsg(x.tuple().ipv6() ? 10 : 2));
        CtCodec.tuple(w, CTA_EXPECT_MASTER, x.master());
        CtCodec.tuple(w, CTA_EXPECT_TUPLE, x.tuple());
        CtCodec.tuple(w, CTA_EXPECT_MASK, x.mask());
        w.be32(CTA_EXPECT_TIMEOUT, x.timeout());
        w.be32(CTA_EXPECT_FLAGS, x.flags() & ~CtExpect.USERSPACE);
        w.be32(CTA_EXPECT_CLASS, x.expectClass());
        if (x.zone() != 0) {
            w.be16(CTA_EXPECT_ZONE, x.zone());
        }
        if (x.function() != null) {
            w.string(CTA_EXPECT_FN, x.function());
        }
        if (x.nat() != null) {
            InetAddress any = x.nat().address().getAddress().length == 16 ? Addresses.of(new byte[16], 0, 16)
                : Addresses.v4(0);
            w.begin(CTA_EXPECT_NAT).be32(CTA_EXPECT_NAT_DIR, x.nat().dir());
            CtCodec.tuple(w, CTA_EXPECT_NAT_TUPLE, new CtTuple(x.nat().address(), any, x.tuple().protocol(),
                x.nat().port(), 0));
            w.end();
        }
        w.endMessage();
    }

    /** Appends a message that deletes the expectation with this key. */
    public static void writeDelete(Netlink.Writer w, CtExpect.Key key, int flags, int seq) {
        w.message(type(IPCTNL_MSG_EXP_DELETE), flags, seq).raw(CtCodec.nfgenmsg(key.tuple().ipv6() ? 10 : 2));
        CtCodec.tuple(w, CTA_EXPECT_TUPLE, key.tuple());
        if (key.zone() != 0) {
            w.be16(CTA_EXPECT_ZONE, key.zone());
        }
        w.endMessage();
    }

    /** The longest CTA_EXPECT_FN taken (the kernel's are names like "nat-follow-master"). */
    static final int MAX_FUNCTION_NAME = 64;

    /**
     * Decodes an expectation message body (starting at nfgenmsg), from a dump or a NEW/DELETE event.
     * Attributes of a known type must have the kernel's length, all tuples one address family.
     *
     * @throws NetlinkDecodeException naming what was got and what was expected, e.g. what is missing
     */
    public static CtExpect decode(ByteBuffer body) throws NetlinkDecodeException {
        CtCodec.requireNfgenmsg(body, "expectation message");
        CtTuple master = null;
        CtTuple tuple = null;
        CtTuple mask = null;
        int timeout = 0;
        int flags = 0;
        int xclass = 0;
        int zone = 0;
        String helper = null;
        String function = null;
        CtExpect.Nat nat = null;
        Netlink.Attrs a = Netlink.Attrs.of(body, 4);
        while (a.nextValid("expectation message")) {
            switch (a.type()) {
                case CTA_EXPECT_MASTER -> master = CtCodec.tuple(a.nested(), "expectation CTA_EXPECT_MASTER");
                case CTA_EXPECT_TUPLE -> tuple = CtCodec.tuple(a.nested(), "expectation CTA_EXPECT_TUPLE");
                case CTA_EXPECT_MASK -> mask = CtCodec.tuple(a.nested(), "expectation CTA_EXPECT_MASK");
                case CTA_EXPECT_TIMEOUT -> timeout = a.be32("expectation CTA_EXPECT_TIMEOUT");
                case CTA_EXPECT_FLAGS -> flags = a.be32("expectation CTA_EXPECT_FLAGS");
                case CTA_EXPECT_CLASS -> xclass = a.be32("expectation CTA_EXPECT_CLASS");
                case CTA_EXPECT_ZONE -> zone = a.be16("expectation CTA_EXPECT_ZONE");
                case CTA_EXPECT_HELP_NAME -> helper = CtCodec.helperName(a, "expectation CTA_EXPECT_HELP_NAME");
                case CTA_EXPECT_FN -> function = CtCodec.name(a, MAX_FUNCTION_NAME, "expectation CTA_EXPECT_FN");
                case CTA_EXPECT_NAT -> nat = nat(a.nested());
                default -> {
                }
            }
        }
        String missing = master == null ? "CTA_EXPECT_MASTER" : tuple == null ? "CTA_EXPECT_TUPLE"
            : mask == null ? "CTA_EXPECT_MASK" : null;
        if (missing != null) {
            throw new NetlinkDecodeException("expectation message: no " + missing + " (expected: master, tuple and mask)");
        }
        CtCodec.sameFamily("expectation message", master, tuple, "CTA_EXPECT_TUPLE");
        CtCodec.sameFamily("expectation message", master, mask, "CTA_EXPECT_MASK");
        if (nat != null && (nat.address() instanceof java.net.Inet6Address) != master.ipv6()) {
            throw new NetlinkDecodeException("expectation message: CTA_EXPECT_NAT_TUPLE of "
                + (master.ipv6() ? "IPv4" : "IPv6") + " (expected: " + (master.ipv6() ? "IPv6" : "IPv4")
                + " like the first tuple)");
        }
        return new CtExpect(master, tuple, mask, timeout, flags, xclass, zone, helper, function, nat);
    }

    private static CtExpect.Nat nat(Netlink.Attrs a) throws NetlinkDecodeException {
        int dir = -1;
        CtTuple t = null;
        while (a.nextValid("expectation CTA_EXPECT_NAT")) {
            if (a.type() == CTA_EXPECT_NAT_DIR) {
                dir = a.be32("expectation CTA_EXPECT_NAT_DIR");
                if (dir != 0 && dir != 1) {
                    throw new NetlinkDecodeException("expectation CTA_EXPECT_NAT_DIR: " + Integer.toUnsignedString(dir)
                        + " (expected: 0 original or 1 reply)");
                }
            } else if (a.type() == CTA_EXPECT_NAT_TUPLE) {
                t = CtCodec.tuple(a.nested(), "expectation CTA_EXPECT_NAT_TUPLE");
            }
        }
        if (dir < 0 || t == null) {
            throw new NetlinkDecodeException("expectation CTA_EXPECT_NAT: " + (t == null ? "no CTA_EXPECT_NAT_TUPLE"
                : "no CTA_EXPECT_NAT_DIR") + " (expected: direction and tuple)");
        }
        return new CtExpect.Nat(dir, t.src(), t.srcPort());
    }
}
