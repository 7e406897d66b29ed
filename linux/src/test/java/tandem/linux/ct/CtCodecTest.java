package tandem.linux.ct;

import tandem.conntrack.CtEntry;
import tandem.conntrack.CtTuple;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tandem.linux.Netlink;

class CtCodecTest {
    /**
     * A ctnetlink dump message body (from nfgenmsg) captured from Linux 6.18 in the lab: TCP
     * 192.0.2.100:40001 -> 203.0.113.100:5001 through fw1, SNAT'd to 203.0.113.1, ESTABLISHED.
     */
    static final byte[] KERNEL_TCP_SNAT = HexFormat.of().parseHex(
        "02000000340001801400018008000100c000026408000200cb0071641c0002800500010006000000060002009c410000"
            + "0600030013890000340002801400018008000100cb00716408000200cb0071011c000280050001000600000006000200"
            + "13890000060003009c410000080003000000019e080008000000000008000c0017b9bf3708000b000000000108000700"
            + "0006977f300004802c0001800500010003000000050002000a000000050003000a00000006000400230000000600050023000000");

    static ByteBuffer body(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
    }

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void decodesTheKernelsDumpOfASnatTcpEntry() throws Exception {
        CtEntry e = CtCodec.decode(body(KERNEL_TCP_SNAT));
        assertThat(e.orig()).isEqualTo(new CtTuple(ip("192.0.2.100"), ip("203.0.113.100"), 6, 40001, 5001));
        assertThat(e.reply()).isEqualTo(new CtTuple(ip("203.0.113.100"), ip("203.0.113.1"), 6, 5001, 40001));
        assertThat(e.status()).isEqualTo(0x19e); // SEEN_REPLY ASSURED CONFIRMED SRC_NAT SRC_NAT_DONE DST_NAT_DONE
        assertThat(e.timeout()).isEqualTo(431_999);
        assertThat(e.tcp()).isEqualTo(new CtEntry.Tcp(CtEntry.Tcp.ESTABLISHED, 10, 10, 0x23, 0x23));
        assertThat(e.srcNat()).isTrue();
        assertThat(e.dstNat()).isFalse();
        assertThat(e.untranslatedReply()).isEqualTo(e.orig().inverted());
    }

    /** Decodes the first message a writer produced (skipping its nlmsghdr). */
    static CtEntry reparse(Netlink.Writer w) throws Exception {
        byte[] m = w.toBytes();
        return CtCodec.decode(body(java.util.Arrays.copyOfRange(m, 16, m.length)));
    }

    @Test
    void aCreateMessageCarriesTheUntranslatedReplyAndTheNatRangeAnUpdateTheTranslatedOne() throws Exception {
        CtEntry e = CtCodec.decode(body(KERNEL_TCP_SNAT));
        Netlink.Writer create = new Netlink.Writer(512);
        CtCodec.writeNew(create, e, true, true, Netlink.NLM_F_REQUEST, 1);
        CtEntry c = reparse(create);
        assertThat(c.orig()).isEqualTo(e.orig());
        assertThat(c.reply()).as("the kernel translates from the untranslated reply").isEqualTo(e.orig().inverted());
        assertThat(c.status()).isEqualTo(CtEntry.SEEN_REPLY | CtEntry.ASSURED | CtEntry.CONFIRMED);
        assertThat(c.tcp()).isEqualTo(e.tcp());
        assertThat(HexFormat.of().formatHex(create.toBytes())).as("CTA_NAT_SRC with 203.0.113.1 port 40001")
            .contains("cb007101").contains("9c41");
        Netlink.Writer update = new Netlink.Writer(512);
        CtCodec.writeNew(update, e, false, true, Netlink.NLM_F_REQUEST, 2);
        assertThat(reparse(update).reply()).isEqualTo(e.reply());
    }

    @Test
    void seededRandomEntriesRoundTripThroughAnUpdateMessage() throws Exception {
        Random r = new Random(12);
        for (int i = 0; i < 500; i++) {
            boolean v6 = r.nextBoolean();
            int proto = r.nextInt(3) == 0 ? 17 : 6;
            byte[] a = new byte[v6 ? 16 : 4];
            r.nextBytes(a);
            InetAddress src = InetAddress.getByAddress(a);
            r.nextBytes(a);
            InetAddress dst = InetAddress.getByAddress(a);
            CtTuple orig = new CtTuple(src, dst, proto, r.nextInt(65536), r.nextInt(65536));
            CtEntry e = new CtEntry(orig, orig.inverted(), CtEntry.SEEN_REPLY | CtEntry.ASSURED | CtEntry.CONFIRMED,
                r.nextInt(1 << 20), r.nextInt(), r.nextInt(3) == 0 ? r.nextInt(65536) : 0,
                proto == 6 ? new CtEntry.Tcp(r.nextInt(10), r.nextInt(15), r.nextInt(15), r.nextInt(64), r.nextInt(64)) : null,
                r.nextBoolean() ? new CtEntry.SeqAdj(r.nextInt(), r.nextInt(), r.nextInt()) : null, null,
                r.nextBoolean() ? "ftp" : null, null, r.nextBoolean() ? new byte[16] : null);
            Netlink.Writer w = new Netlink.Writer(256);
            CtCodec.writeNew(w, e, false, true, Netlink.NLM_F_REQUEST, i);
            assertThat(reparse(w)).isEqualTo(e);
        }
    }

    @Test
    void anUpdateWithoutTcpStateMasterOrSequenceAdjustmentLeavesThemAsTheyWere() throws Exception {
        CtEntry full = CtExpectCodecTest.decodeEntry(CtExpectCodecTest.KERNEL_FTP_CONTROL);
        CtEntry partial = new CtEntry(full.orig(), full.reply(), full.status() | CtEntry.FIXED_TIMEOUT, 99, 7, 0,
            null, null, null, null, null, null);
        CtEntry merged = full.updatedBy(partial);
        assertThat(merged.tcp()).isEqualTo(full.tcp());
        assertThat(merged.seqAdjOrig()).isEqualTo(full.seqAdjOrig());
        assertThat(merged.helper()).isEqualTo("ftp");
        assertThat(merged.timeout()).isEqualTo(99);
        assertThat(merged.mark()).isEqualTo(7);
        assertThat(merged.status()).isEqualTo(partial.status());
        CtEntry.Tcp closing = new CtEntry.Tcp(7, 0, 0, 0, 0);
        assertThat(full.updatedBy(new CtEntry(full.orig(), full.reply(), 0, 1, 0, 0, closing, null, null, null, null, null))
            .tcp()).isEqualTo(closing);
        CtEntry data = CtExpectCodecTest.decodeEntry(CtExpectCodecTest.KERNEL_FTP_DATA);
        assertThat(data.updatedBy(new CtEntry(data.orig(), data.reply(), 0, 1, 0, 0, null, null, null, null, null, null))
            .master()).as("the master tuple comes only with NEW").isEqualTo(data.master());
    }

    @Test
    void aMessageWithoutTuplesIsRejectedSayingWhatIsMissing() {
        assertThatThrownBy(() -> CtCodec.decode(body(new byte[] {2, 0, 0, 0})))
            .hasMessage("conntrack message: no CTA_TUPLE_ORIG (expected: both tuples)");
    }
}
