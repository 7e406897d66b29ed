package tandem.linux.ct;

import tandem.conntrack.CtEntry;
import tandem.conntrack.CtTuple;
import tandem.conntrack.CtExpect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tandem.linux.Netlink;

class CtExpectCodecTest {
    /**
     * An expectation dump message body (from nfgenmsg) captured from Linux 6.18 in the lab: active FTP
     * from 192.0.2.10 through fw1 (SNAT to 203.0.113.1, nf_nat_ftp rewrote the PORT command), the
     * server 203.0.113.100 is expected to connect to 203.0.113.1:57613, translated back by
     * "nat-follow-master" to the client's port 57613.
     */
    static final byte[] KERNEL_FTP_EXPECT = HexFormat.of().parseHex(
        "02000000340002801400018008000100cb00716408000200cb0071011c00028005000100060000000600020000000000"
            + "06000300e10d0000340003801400018008000100ffffffff08000200ffffffff1c000280050001000600000006000200"
            + "0000000006000300ffff0000340001801400018008000100c000020a08000200cb0071641c0002800500010006000000"
            + "06000200d0a10000060003000015000040000a8008000100000000013400028014000180080001000000000008000200"
            + "000000001c000280050001000600000006000200e10d00000600030000000000080004000000012b0800050090d87b43"
            + "08000800000000000800090000000000080006006674700016000b006e61742d666f6c6c6f772d6d6173746572000000");

    /** The FTP control connection of that session: helper "ftp", sequence adjustment +1 (PORT grew by one octet). */
    static final byte[] KERNEL_FTP_CONTROL = HexFormat.of().parseHex(
        "02000000340001801400018008000100c000020a08000200cb0071641c000280050001000600000006000200d0a10000"
            + "0600030000150000340002801400018008000100cb00716408000200cb0071011c000280050001000600000006000200"
            + "0015000006000300d0a1000008000300000021de080008000000000008000c00d5594f8708000b000000000208000700"
            + "0006977e300004802c0001800500010003000000050002000a000000050003000a000000060004002300000006000500"
            + "230000000c00058008000100667470001c000f80080001001c29541b080002000000000008000300000000011c001080"
            + "080001000000000008000200000000000800030000000000");

    /** The data connection that matched the expectation: related (master tuple), DNAT'd back to the client. */
    static final byte[] KERNEL_FTP_DATA = HexFormat.of().parseHex(
        "02000000340001801400018008000100cb00716408000200cb0071011c00028005000100060000000600020000140000"
            + "06000300e10d0000340002801400018008000100c000020a08000200cb0071641c000280050001000600000006000200"
            + "e10d0000060003000014000008000300000001af080008000000000008000c00320402fc08000b000000000134000e80"
            + "1400018008000100c000020a08000200cb0071641c000280050001000600000006000200d0a100000600030000150000"
            + "080007000006977f300004802c0001800500010003000000050002000a000000050003000a0000000600040023000000"
            + "0600050023000000");

    static ByteBuffer body(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    }

    static CtEntry decodeEntry(byte[] b) throws Exception {
        return CtCodec.decode(body(b));
    }

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void decodesTheKernelsDumpOfAnNatFtpExpectation() throws Exception {
        CtExpect x = CtExpectCodec.decode(body(KERNEL_FTP_EXPECT));
        assertThat(x.master()).isEqualTo(new CtTuple(ip("192.0.2.10"), ip("203.0.113.100"), 6, 53409, 21));
        assertThat(x.tuple()).isEqualTo(new CtTuple(ip("203.0.113.100"), ip("203.0.113.1"), 6, 0, 57613));
        assertThat(x.mask()).as("source address exact, source port any")
            .isEqualTo(new CtTuple(ip("255.255.255.255"), ip("255.255.255.255"), 6, 0, 65535));
        assertThat(x.timeout()).isEqualTo(299);
        assertThat(x.flags()).isZero();
        assertThat(x.expectClass()).isZero();
        assertThat(x.zone()).isZero();
        assertThat(x.helper()).isEqualTo("ftp");
        assertThat(x.function()).isEqualTo("nat-follow-master");
        assertThat(x.nat()).isEqualTo(new CtExpect.Nat(1, ip("0.0.0.0"), 57613));
        assertThat(x.masterKey()).isEqualTo(new CtEntry.Key(x.master(), 0));
    }

    @Test
    void decodesTheFtpControlConnectionWithItsHelperAndSequenceAdjustment() throws Exception {
        CtEntry c = CtCodec.decode(body(KERNEL_FTP_CONTROL));
        assertThat(c.helper()).isEqualTo("ftp");
        assertThat(c.seqAdjOrig()).isEqualTo(new CtEntry.SeqAdj(0x1c29541b, 0, 1));
        assertThat(c.seqAdjReply()).isEqualTo(new CtEntry.SeqAdj(0, 0, 0));
        assertThat(c.status() & 0x2000).as("IPS_SEQ_ADJUST").isNotZero();
        assertThat(c.srcNat()).isTrue();
        assertThat(c.master()).isNull();
    }

    @Test
    void decodesTheRelatedDataConnectionWithItsMasterTuple() throws Exception {
        CtEntry d = CtCodec.decode(body(KERNEL_FTP_DATA));
        CtExpect x = CtExpectCodec.decode(body(KERNEL_FTP_EXPECT));
        assertThat(d.master()).isEqualTo(x.master());
        assertThat(d.status() & 0x1).as("IPS_EXPECTED").isNotZero();
        assertThat(d.dstNat()).as("translated back to the client").isTrue();
        assertThat(d.srcNat()).isFalse();
        assertThat(d.reply().src()).isEqualTo(ip("192.0.2.10"));
        assertThat(d.helper()).isNull();
    }

    /** Decodes the first message a writer produced (skipping its nlmsghdr). */
    static CtExpect reparse(Netlink.Writer w) throws Exception {
        byte[] m = w.toBytes();
        return CtExpectCodec.decode(body(Arrays.copyOfRange(m, 16, m.length)));
    }

    @Test
    void aCreateMessageCarriesEverythingButTheHelperName() throws Exception {
        CtExpect x = CtExpectCodec.decode(body(KERNEL_FTP_EXPECT));
        Netlink.Writer w = new Netlink.Writer(512);
        CtExpectCodec.writeNew(w, x, Netlink.NLM_F_REQUEST | Netlink.NLM_F_CREATE, 1);
        byte[] m = w.toBytes();
        assertThat(m[4] & 0xff | (m[5] & 0xff) << 8).as("nlmsg_type EXP_NEW").isEqualTo(0x200);
        CtExpect back = reparse(w);
        assertThat(back).isEqualTo(new CtExpect(x.master(), x.tuple(), x.mask(), x.timeout(), x.flags(),
            x.expectClass(), x.zone(), null, x.function(), x.nat()));
    }

    @Test
    void theUserspaceFlagIsNeverSentTheKernelWouldRefuseIt() throws Exception {
        CtExpect x = CtExpectCodec.decode(body(KERNEL_FTP_EXPECT));
        CtExpect u = new CtExpect(x.master(), x.tuple(), x.mask(), 10, CtExpect.USERSPACE | CtExpect.PERMANENT, 0, 0,
            null, null, null);
        Netlink.Writer w = new Netlink.Writer(512);
        CtExpectCodec.writeNew(w, u, Netlink.NLM_F_REQUEST, 1);
        assertThat(reparse(w).flags()).isEqualTo(CtExpect.PERMANENT);
    }

    @Test
    void aDeleteMessageNamesTheExpectedTupleAndZone() throws Exception {
        CtExpect x = CtExpectCodec.decode(body(KERNEL_FTP_EXPECT));
        Netlink.Writer w = new Netlink.Writer(256);
        CtExpectCodec.writeDelete(w, new CtExpect.Key(x.tuple(), 7), Netlink.NLM_F_REQUEST, 3);
        byte[] m = w.toBytes();
        assertThat(m[4] & 0xff | (m[5] & 0xff) << 8).as("nlmsg_type EXP_DELETE").isEqualTo(0x202);
        CtTuple tuple = null;
        int zone = 0;
        Netlink.Attrs a = Netlink.Attrs.of(body(Arrays.copyOfRange(m, 16, m.length)), 4);
        while (a.next()) {
            if (a.type() == 2) {
                tuple = CtCodec.tuple(a.nested(), "test tuple");
            } else if (a.type() == 7) {
                zone = a.be16();
            }
        }
        assertThat(tuple).isEqualTo(x.tuple());
        assertThat(zone).isEqualTo(7);
    }

    @Test
    void seededRandomExpectationsRoundTripThroughACreateMessage() throws Exception {
        Random r = new Random(21);
        for (int i = 0; i < 500; i++) {
            boolean v6 = r.nextBoolean();
            int proto = r.nextBoolean() ? 6 : 17;
            byte[] a = new byte[v6 ? 16 : 4];
            InetAddress[] ips = new InetAddress[4];
            for (int k = 0; k < ips.length; k++) {
                r.nextBytes(a);
                ips[k] = InetAddress.getByAddress(a);
            }
            byte[] ones = new byte[a.length];
            Arrays.fill(ones, (byte) 0xff);
            InetAddress all = InetAddress.getByAddress(ones);
            CtTuple master = new CtTuple(ips[0], ips[1], proto, r.nextInt(65536), r.nextInt(65536));
            CtTuple tuple = new CtTuple(ips[1], ips[2], proto, 0, r.nextInt(65536));
            CtTuple mask = new CtTuple(all, all, proto, r.nextBoolean() ? 0 : 0xffff, 0xffff);
            CtExpect x = new CtExpect(master, tuple, mask, r.nextInt(1000), r.nextInt(4) & ~CtExpect.USERSPACE,
                r.nextInt(3), r.nextInt(3) == 0 ? r.nextInt(65536) : 0, null,
                r.nextBoolean() ? "nat-follow-master" : null,
                r.nextBoolean() ? new CtExpect.Nat(r.nextInt(2), ips[3], r.nextInt(65536)) : null);
            Netlink.Writer w = new Netlink.Writer(512);
            CtExpectCodec.writeNew(w, x, Netlink.NLM_F_REQUEST, i);
            assertThat(reparse(w)).isEqualTo(x);
        }
    }

    @Test
    void aMessageWithoutTheMaskIsRejectedSayingWhatIsMissing() {
        byte[] m = KERNEL_FTP_EXPECT.clone();
        // turn CTA_EXPECT_MASK (type 3, the second attribute) into an unknown type 99
        ByteBuffer b = body(m);
        int second = 4 + (b.getShort(4) & 0xffff);
        b.putShort(second + 2, (short) (0x8000 | 99));
        assertThatThrownBy(() -> CtExpectCodec.decode(body(m)))
            .hasMessage("expectation message: no CTA_EXPECT_MASK (expected: master, tuple and mask)");
    }
}
