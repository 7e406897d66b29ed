package tandem.statesync;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tandem.conntrack.CtEntry;

/** The receiving half on virtual time, driven message by message (no loss). */
class SyncReceiverTest {
    static final long MS = 1_000_000L;

    long now;

    /** Delivers everything the sender has due to the receiver and the receiver's answers back, until quiet. */
    void exchange(SyncSender tx, SyncReceiver rx, List<CtEntry> table, List<SyncMessage> toSender) throws SyncException {
        for (int round = 0; round < 2_000; round++) {
            now += MS;
            for (SyncMessage m : tx.poll(now)) {
                switch (SyncCodec.decode(SyncCodec.encode(m))) {
                    case SyncMessage.Data d -> rx.onData(d, now);
                    case SyncMessage.Alive a -> rx.onAlive(a, now);
                    default -> throw new AssertionError(m);
                }
            }
            for (SyncMessage m : rx.poll(now)) {
                toSender.add(m);
                SyncConvergenceTest.atSender(tx, "fw2", m, now, table, List.of());
            }
        }
    }

    @Test
    void aReceiverFollowingARestartedSenderWhoseNumbersStartAgainIsSynchronizedAfterItsResync() throws Exception {
        Random r = new Random(7);
        SyncReceiver rx = new SyncReceiver(20 * MS, 10 * MS, 3_000 * MS, 50_000);
        rx.reset(now);
        // the first sender's stream: 200 flows, a resync, then 100 more changes (numbers beyond 300)
        SyncSender first = new SyncSender(100_000, 1400, 2 * MS, 200 * MS, 32_768);
        List<CtEntry> table = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            CtEntry e = Entries.random(r);
            table.add(e);
            first.upsert(e, now);
        }
        exchange(first, rx, table, new ArrayList<>());
        assertThat(rx.state(now)).isEqualTo(SyncReceiver.State.SYNCHRONIZED);
        assertThat(first.nextSeq()).isGreaterThan(200);

        // that node restarts (a new session): its numbers start from 1 again, its table has 5 flows; the
        // receiver starts over with the new stream (what the service does when another session sends)
        SyncSender second = new SyncSender(100_000, 1400, 2 * MS, 200 * MS, 32_768);
        List<CtEntry> small = new ArrayList<>(table.subList(0, 5));
        rx.reset(now);
        List<SyncMessage> asked = new ArrayList<>();
        exchange(second, rx, small, asked);

        assertThat(asked).as("the receiver asked for the new stream's resync").anyMatch(m -> m instanceof SyncMessage.ResyncRequest);
        assertThat(second.nextSeq()).as("the new stream is shorter than the old one").isLessThan(20);
        assertThat(rx.state(now)).as(rx.toString()).isEqualTo(SyncReceiver.State.SYNCHRONIZED);
        assertThat(rx.cache().size()).isEqualTo(5);
        assertThat(asked).as("no NACK of numbers only the old stream had").noneMatch(m -> m instanceof SyncMessage.Nack);
    }
}
