package tandem.linux.ct;

import static tandem.linux.Netlink.be16;
import static tandem.linux.Netlink.be32;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import tandem.linux.Addresses;
import tandem.linux.Netlink;

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

    /**
     * Decodes an expectation message body (starting at nfgenmsg), from a dump or a NEW/DELETE event.
     *
     * @throws IllegalArgumentException naming what is missing
     */
    public static CtExpect decode(ByteBuffer body) {
        CtTuple[] tuples = new CtTuple[3]; // master, tuple, mask
        int[] ints = new int[4]; // timeout, flags, class, zone
        String[] names = new String[2]; // helper, function
        CtExpect.Nat[] nat = new CtExpect.Nat[1];
        Netlink.forEachAttribute(body, 4, (v, type) -> {
            switch (type) {
                case CTA_EXPECT_MASTER -> tuples[0] = CtCodec.tuple(v);
                case CTA_EXPECT_TUPLE -> tuples[1] = CtCodec.tuple(v);
                case CTA_EXPECT_MASK -> tuples[2] = CtCodec.tuple(v);
                case CTA_EXPECT_TIMEOUT -> ints[0] = be32(v);
                case CTA_EXPECT_FLAGS -> ints[1] = be32(v);
                case CTA_EXPECT_CLASS -> ints[2] = be32(v);
                case CTA_EXPECT_ZONE -> ints[3] = be16(v);
                case CTA_EXPECT_HELP_NAME -> names[0] = Netlink.string(v);
                case CTA_EXPECT_FN -> names[1] = Netlink.string(v);
                case CTA_EXPECT_NAT -> nat[0] = nat(v);
                default -> {
                }
            }
        });
        for (int i = 0; i < 3; i++) {
            if (tuples[i] == null) {
                throw new IllegalArgumentException("expectation message: no " + new String[] {"CTA_EXPECT_MASTER",
                    "CTA_EXPECT_TUPLE", "CTA_EXPECT_MASK"}[i] + " (expected: master, tuple and mask)");
            }
        }
        return new CtExpect(tuples[0], tuples[1], tuples[2], ints[0], ints[1], ints[2], ints[3], names[0], names[1], nat[0]);
    }

    private static CtExpect.Nat nat(byte[] value) {
        int[] dir = {-1};
        CtTuple[] t = new CtTuple[1];
        Netlink.forEachNested(value, (v, type) -> {
            if (type == CTA_EXPECT_NAT_DIR) {
                dir[0] = be32(v);
            } else if (type == CTA_EXPECT_NAT_TUPLE) {
                t[0] = CtCodec.tuple(v);
            }
        });
        if (dir[0] < 0 || t[0] == null) {
            throw new IllegalArgumentException("expectation NAT: " + (t[0] == null ? "no CTA_EXPECT_NAT_TUPLE"
                : "no CTA_EXPECT_NAT_DIR") + " (expected: direction and tuple)");
        }
        return new CtExpect.Nat(dir[0], t[0].src(), t[0].srcPort());
    }
}
