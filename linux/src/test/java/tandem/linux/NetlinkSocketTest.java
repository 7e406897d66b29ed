package tandem.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetlinkSocketTest {
    @Test
    void aSequenceRangeWithoutWrapHoldsItsEndsAndNothingElse() {
        assertThat(NetlinkSocket.inRange(5, 5, 5)).isTrue();
        assertThat(NetlinkSocket.inRange(4, 5, 5)).isFalse();
        assertThat(NetlinkSocket.inRange(6, 5, 5)).isFalse();
        assertThat(NetlinkSocket.inRange(1000, 1, 1000)).isTrue();
        assertThat(NetlinkSocket.inRange(1001, 1, 1000)).isFalse();
        assertThat(NetlinkSocket.inRange(0, 1, 1000)).isFalse();
    }

    @Test
    void aSequenceRangeThroughIntegerMaxValueHoldsTheNegativeNumbersAfterIt() {
        int first = Integer.MAX_VALUE - 1;
        int last = Integer.MIN_VALUE + 1;
        for (int s : new int[] {Integer.MAX_VALUE - 1, Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE + 1}) {
            assertThat(NetlinkSocket.inRange(s, first, last)).as("seq %d", s).isTrue();
        }
        assertThat(NetlinkSocket.inRange(Integer.MAX_VALUE - 2, first, last)).isFalse();
        assertThat(NetlinkSocket.inRange(Integer.MIN_VALUE + 2, first, last)).isFalse();
        assertThat(NetlinkSocket.inRange(0, first, last)).isFalse();
    }

    @Test
    void aSequenceRangeThroughZeroHoldsMinusOneZeroAndOne() {
        for (int s : new int[] {-2, -1, 0, 1}) {
            assertThat(NetlinkSocket.inRange(s, -2, 1)).as("seq %d", s).isTrue();
        }
        assertThat(NetlinkSocket.inRange(-3, -2, 1)).isFalse();
        assertThat(NetlinkSocket.inRange(2, -2, 1)).isFalse();
        assertThat(NetlinkSocket.inRange(Integer.MIN_VALUE, -2, 1)).isFalse();
    }

    /** Records what a batch delivers. */
    static final class Recorder implements NetlinkSocket.Sink {
        final List<String> seen = new ArrayList<>();

        @Override
        public void message(NetlinkSocket.Message m) {
            seen.add("type " + m.type() + " seq " + m.seq());
        }

        @Override
        public void malformed(NetlinkDecodeException e) {
            seen.add("malformed: " + e.getMessage());
        }
    }

    @Test
    void aDatagramWithALyingLengthLosesOnlyItsRestNotTheOtherDatagramsOfTheBatch() {
        byte[] a = NetlinkFuzz.message(20, 0, 1, 0, new byte[8]);
        byte[] b = NetlinkFuzz.message(21, 0, 2, 0, new byte[8]);
        byte[] lying = RtnetlinkFuzzTest.concat(b, NetlinkFuzz.message(16, 0, 3, 0, new byte[16]));
        tandem.testkit.LengthField.u32le(24).write(lying, 4000);
        byte[] batch = RtnetlinkFuzzTest.concat(a, lying, b);
        Recorder r = new Recorder();
        List<NetlinkSocket.Message> scratch = new ArrayList<>();
        NetlinkSocket.deliver(batch, 0, a.length, scratch, r);
        NetlinkSocket.deliver(batch, a.length, a.length + lying.length, scratch, r);
        NetlinkSocket.deliver(batch, a.length + lying.length, batch.length, scratch, r);
        assertThat(r.seen).containsExactly("type 20 seq 1", "type 21 seq 2",
            "malformed: netlink datagram: nlmsg_len 4000 at octet 24, 32 octets left (expected: 16..32)",
            "type 21 seq 2");
    }
}
