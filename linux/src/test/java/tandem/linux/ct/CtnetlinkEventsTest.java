package tandem.linux.ct;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tandem.linux.Netlink;
import tandem.linux.NetlinkFuzz;
import tandem.linux.NetlinkSocket;
import tandem.testkit.LengthField;

/** What readEvents makes of a recvmmsg batch, without the socket: each datagram goes to a Batch. */
class CtnetlinkEventsTest {
    static Ctnetlink.Batch read(byte[]... datagrams) {
        Ctnetlink.Batch batch = new Ctnetlink.Batch();
        byte[] all = new byte[java.util.Arrays.stream(datagrams).mapToInt(d -> d.length).sum()];
        int at = 0;
        List<NetlinkSocket.Message> scratch = new ArrayList<>();
        for (byte[] d : datagrams) {
            System.arraycopy(d, 0, all, at, d.length);
            NetlinkSocket.deliver(all, at, at + d.length, scratch, batch);
            at += d.length;
        }
        return batch;
    }

    @Test
    void oneUndecodableNotificationInABatchLosesOnlyItselfAndTakesItsPlace() throws Exception {
        byte[] created = NetlinkFuzz.message(CtnetlinkFuzzTest.CT_NEW, Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL, 0, 0,
            CtCodecTest.KERNEL_TCP_SNAT);
        byte[] noTuples = NetlinkFuzz.message(CtnetlinkFuzzTest.CT_NEW, 0, 0, 99, new byte[] {2, 0, 0, 0});
        byte[] destroyed = NetlinkFuzz.message(CtnetlinkFuzzTest.CT_DELETE, 0, 0, 0, CtCodecTest.KERNEL_TCP_SNAT);
        byte[] expected = NetlinkFuzz.message(CtnetlinkFuzzTest.EXP_NEW, 0, 0, 0, CtExpectCodecTest.KERNEL_FTP_EXPECT);
        Ctnetlink.Batch b = read(created, noTuples, destroyed, expected);
        assertThat(b.events).hasSize(4);
        assertThat(b.events.get(0)).isInstanceOfSatisfying(Ctnetlink.CtEvent.class,
            e -> assertThat(e.type()).isEqualTo(Ctnetlink.EventType.NEW));
        assertThat(b.events.get(1)).isEqualTo(new Ctnetlink.Undecodable(CtnetlinkFuzzTest.CT_NEW,
            "conntrack message: no CTA_TUPLE_ORIG (expected: both tuples)", 99));
        assertThat(b.events.get(2)).isInstanceOfSatisfying(Ctnetlink.CtEvent.class,
            e -> assertThat(e.type()).isEqualTo(Ctnetlink.EventType.DESTROY));
        assertThat(b.events.get(3)).isInstanceOf(Ctnetlink.ExpectEvent.class);
        assertThat(b.undecodable).isEqualTo(1);
    }

    @Test
    void aNotificationWhoseLengthLiesIsUndecodableInItsPlace() {
        byte[] created = NetlinkFuzz.message(CtnetlinkFuzzTest.CT_NEW, 0, 0, 0, CtCodecTest.KERNEL_TCP_SNAT);
        byte[] lying = created.clone();
        LengthField.u32le(0).write(lying, 0xffff_fff0L);
        Ctnetlink.Batch b = read(created, lying, created);
        assertThat(b.events).hasSize(3);
        assertThat(b.events.get(1)).isEqualTo(new Ctnetlink.Undecodable(-1, "netlink datagram: nlmsg_len 4294967280"
            + " at octet 0, " + created.length + " octets left (expected: 16.." + created.length + ")", 0));
        assertThat(b.events.get(2)).isEqualTo(b.events.get(0));
        assertThat(b.lastReason).contains("nlmsg_len 4294967280");
    }

    @Test
    void aTruncatedTupleIsRejectedNamingTheAttributeItsLengthAndTheExpectedOne() {
        byte[] body = CtCodecTest.KERNEL_TCP_SNAT.clone();
        // the first CTA_IP_V4_SRC (at octet 12 of the body) claims 6 octets of value: 2 more than IPv4 has
        LengthField.u16le(12).write(body, 10);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> CtCodec.decode(NetlinkFuzz.buffer(body)))
            .isInstanceOf(tandem.linux.NetlinkDecodeException.class)
            .hasMessage("conntrack CTA_TUPLE_ORIG CTA_IP_V4_SRC: 6 octets (expected: 4)");
    }
}
