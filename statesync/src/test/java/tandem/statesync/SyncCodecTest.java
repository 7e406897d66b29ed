package tandem.statesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SyncCodecTest {
    @Test
    void seededRandomEntriesRoundTripWithEveryOpKind() throws Exception {
        Random r = new Random(26);
        for (int i = 0; i < 300; i++) {
            List<SyncOp> ops = new ArrayList<>();
            for (int k = 0; k < 1 + r.nextInt(8); k++) {
                long seq = r.nextLong() & Long.MAX_VALUE;
                ops.add(switch (r.nextInt(8)) {
                    case 0 -> new SyncOp.Delete(seq, Entries.random(r).key());
                    case 1 -> new SyncOp.Skip(seq);
                    case 2 -> new SyncOp.ResyncBegin(seq);
                    case 3 -> new SyncOp.ResyncEnd(seq);
                    case 4 -> new SyncOp.ExpectUpsert(seq, Entries.randomExpect(r));
                    case 5 -> new SyncOp.ExpectDelete(seq, Entries.randomExpect(r).key());
                    case 6 -> new SyncOp.Update(seq, Entries.random(r));
                    default -> new SyncOp.Upsert(seq, Entries.random(r));
                });
            }
            SyncMessage m = new SyncMessage.Data(ops);
            byte[] bytes = SyncCodec.encode(m);
            assertThat(SyncCodec.decode(bytes)).isEqualTo(m);
            assertThat(bytes).as("batching relies on the computed size")
                .hasSize(3 + ops.stream().mapToInt(SyncCodec::size).sum());
        }
        for (SyncMessage m : List.of(new SyncMessage.Ack(7), new SyncMessage.Nack(3, 9),
            new SyncMessage.Alive(42, true), new SyncMessage.ResyncRequest())) {
            assertThat(SyncCodec.decode(SyncCodec.encode(m))).isEqualTo(m);
        }
    }

    @Test
    void aDatagramFullOfTheLargestEntriesIsEncodedWithoutOverflow() throws Exception {
        byte[] v6 = new byte[16];
        java.util.Arrays.fill(v6, (byte) 0x20);
        java.net.InetAddress a = java.net.InetAddress.getByAddress(v6);
        tandem.conntrack.CtTuple t = new tandem.conntrack.CtTuple(a, a, 6, 1, 2);
        tandem.conntrack.CtEntry big = new tandem.conntrack.CtEntry(t, t, 1, 2, 3, 4, new tandem.conntrack.CtEntry.Tcp(3, 7, 7, 1, 1),
            new tandem.conntrack.CtEntry.SeqAdj(1, 2, 3), new tandem.conntrack.CtEntry.SeqAdj(4, 5, 6), "sane-helper-15c", t,
            new byte[16]);
        List<SyncOp> ops = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            ops.add(new SyncOp.Upsert(i, big));
        }
        SyncMessage m = new SyncMessage.Data(ops);
        assertThat(SyncCodec.size(ops.getFirst())).isGreaterThan(190);
        assertThat(SyncCodec.decode(SyncCodec.encode(m))).isEqualTo(m);
    }

    @Test
    void truncatedOrUnknownMessagesAreDecodeErrorsSayingWhatWasExpected() {
        byte[] full = SyncCodec.encode(new SyncMessage.Data(List.of(new SyncOp.Upsert(1, Entries.random(new Random(1))))));
        for (int len = 0; len < full.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(full, len);
            assertThatThrownBy(() -> SyncCodec.decode(cut)).isInstanceOf(SyncException.class)
                .hasMessageContaining("expected");
        }
        assertThatThrownBy(() -> SyncCodec.decode(new byte[] {9})).hasMessage("message type: 9 (expected: 1..6)");
        assertThatThrownBy(() -> SyncCodec.decode(new byte[] {1, 0, 1, 9, 0, 0, 0, 0, 0, 0, 0, 1}))
            .hasMessage("op kind: 9 (expected: 1..8)");
        assertThatThrownBy(() -> SyncCodec.decode(SyncCodec.encode(new SyncMessage.Nack(5, 2))))
            .hasMessage("nack range: 5..2 (expected: from <= to)");
    }
}
