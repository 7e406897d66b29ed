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
                ops.add(switch (r.nextInt(5)) {
                    case 0 -> new SyncOp.Delete(seq, Entries.random(r).key());
                    case 1 -> new SyncOp.Skip(seq);
                    case 2 -> new SyncOp.ResyncBegin(seq);
                    case 3 -> new SyncOp.ResyncEnd(seq);
                    default -> new SyncOp.Upsert(seq, Entries.random(r));
                });
            }
            SyncMessage m = new SyncMessage.Data(ops);
            assertThat(SyncCodec.decode(SyncCodec.encode(m))).isEqualTo(m);
        }
        for (SyncMessage m : List.of(new SyncMessage.Ack(7), new SyncMessage.Nack(3, 9),
            new SyncMessage.Alive(42, true), new SyncMessage.ResyncRequest())) {
            assertThat(SyncCodec.decode(SyncCodec.encode(m))).isEqualTo(m);
        }
    }

    @Test
    void truncatedOrUnknownMessagesAreDecodeErrorsSayingWhatWasExpected() {
        byte[] full = SyncCodec.encode(new SyncMessage.Data(List.of(new SyncOp.Upsert(1, Entries.random(new Random(1))))));
        for (int len = 0; len < full.length; len++) {
            byte[] cut = java.util.Arrays.copyOf(full, len);
            assertThatThrownBy(() -> SyncCodec.decode(cut)).isInstanceOf(SyncException.class)
                .hasMessageContaining("expected");
        }
        assertThatThrownBy(() -> SyncCodec.decode(new byte[] {9})).hasMessage("message type: 9 (expected: 1..5)");
        assertThatThrownBy(() -> SyncCodec.decode(SyncCodec.encode(new SyncMessage.Nack(5, 2))))
            .hasMessage("nack range: 5..2 (expected: from <= to)");
    }
}
