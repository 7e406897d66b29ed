package tandem.statesync;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tandem.conntrack.CtEntry;

/** The sender's backlog: retransmission, superseding, acknowledgement and eviction. */
class SyncSenderTest {
    static final long MS = 1_000_000L;

    /** Everything the sender emits at {@code now}, as ops. */
    static List<SyncOp> drain(SyncSender tx, long now) {
        List<SyncOp> out = new ArrayList<>();
        for (SyncMessage m : tx.poll(now + 10 * MS)) {
            if (m instanceof SyncMessage.Data d) {
                out.addAll(d.ops());
            }
        }
        return out;
    }

    /** Upserts {@code n} random entries drawn from a generator seeded with {@code seed}; returns the generator. */
    static Random upsertRandom(SyncSender tx, int n, long seed) {
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            tx.upsert(Entries.random(r), 0);
        }
        return r;
    }

    @Test
    void aNackedRangeIsSentAgainWithSkipsForSupersededOps() {
        SyncSender tx = new SyncSender(100_000, 1400, 2 * MS, 200 * MS, 32_768);
        Random r = new Random(1);
        CtEntry a = Entries.random(r);
        CtEntry b = Entries.random(r);
        tx.upsert(a, 0);               // 1
        tx.upsert(b, 0);               // 2
        tx.delete(a.key(), 0);         // 3 supersedes 1
        drain(tx, 0);
        assertThat(tx.backlogSize()).isEqualTo(2);
        assertThat(tx.onNack("fw2", 1, 3, 0)).isTrue();
        assertThat(drain(tx, 0)).containsExactly(new SyncOp.Skip(1), new SyncOp.Upsert(2, b), new SyncOp.Delete(3, a.key()));
    }

    @Test
    void theRingGrowsAndKeepsEveryUnacknowledgedOp() {
        SyncSender tx = new SyncSender(100_000, 1400, 2 * MS, 200 * MS, 32_768);
        Random r = new Random(2);
        List<CtEntry> sent = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            CtEntry e = Entries.random(r);
            sent.add(e);
            tx.upsert(e, 0);
        }
        drain(tx, 0);
        assertThat(tx.onNack("fw2", 4000, 4002, 0)).isTrue();
        assertThat(drain(tx, 0)).containsExactly(new SyncOp.Upsert(4000, sent.get(3999)),
            new SyncOp.Upsert(4001, sent.get(4000)), new SyncOp.Upsert(4002, sent.get(4001)));
        tx.onAck("fw2", 4500);
        assertThat(tx.backlogSize()).isEqualTo(500);
    }

    @Test
    void aNackForAnEvictedOpAsksForAResync() {
        SyncSender tx = new SyncSender(1024, 1400, 2 * MS, 200 * MS, 32_768);
        upsertRandom(tx, 3000, 3);
        drain(tx, 0);
        assertThat(tx.backlogSize()).isEqualTo(1024);
        assertThat(tx.onNack("fw2", 10, 20, 0)).as("evicted").isFalse();
        assertThat(tx.onNack("fw2", 2990, 2991, 0)).isTrue();
    }

    @Test
    void aLateNackOfAcknowledgedOpsSendsNothingToAKnownReceiverButAnUnknownOneMustResync() {
        SyncSender tx = new SyncSender(100_000, 1400, 2 * MS, 200 * MS, 32_768);
        upsertRandom(tx, 10, 4);
        drain(tx, 0);
        tx.onAck("fw2", 8);
        assertThat(tx.onNack("fw2", 5, 9, 0)).isTrue();
        assertThat(drain(tx, 0)).extracting(SyncOp::seq).containsExactly(9L);
        assertThat(tx.onNack("fw3", 5, 9, 0)).as("fw3 never acknowledged: 5..8 are gone for it").isFalse();
    }

    @Test
    void anUpdateSupersedingAnUnacknowledgedUpsertCarriesItsState() {
        SyncSender tx = new SyncSender(100_000, 1400, 2 * MS, 200 * MS, 32_768);
        CtEntry e = Entries.random(new Random(5));
        CtEntry change = new CtEntry(e.orig(), e.reply(), 0x1ff, 7, 0, e.zone(), null, null, null, null, null, null);
        tx.upsert(e, 0);
        tx.update(change, 0);
        drain(tx, 0);
        assertThat(tx.onNack("fw2", 1, 2, 0)).isTrue();
        assertThat(drain(tx, 0)).containsExactly(new SyncOp.Skip(1), new SyncOp.Upsert(2, e.updatedBy(change)));
    }

    @Test
    void atMostTheWindowIsInFlightUntilAcknowledged() {
        SyncSender tx = new SyncSender(100_000, 1400, 2 * MS, 200 * MS, 100);
        upsertRandom(tx, 1000, 6);
        List<SyncOp> first = drain(tx, 0);
        assertThat(first).extracting(SyncOp::seq).containsExactlyElementsOf(range(1, 100));
        assertThat(drain(tx, 20 * MS)).as("window full: nothing more until an ACK").isEmpty();
        assertThat(tx.nextDeadline()).as("no busy wait while the window is full").isGreaterThan(0);
        tx.onAck("fw2", 60);
        assertThat(drain(tx, 20 * MS)).extracting(SyncOp::seq).containsExactlyElementsOf(range(101, 160));
        // the ALIVE tells the receiver what was transmitted, not what waits behind the window
        SyncMessage.Alive alive = tx.poll(1_000 * MS).stream().filter(m -> m instanceof SyncMessage.Alive)
            .map(m -> (SyncMessage.Alive) m).findFirst().orElseThrow();
        assertThat(alive.nextSeq()).isEqualTo(161);
    }

    static List<Long> range(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long s = from; s <= to; s++) {
            out.add(s);
        }
        return out;
    }

    @Test
    void withoutAnyReceiverTheBacklogIsDroppedAndAReturningReceiverMustResync() {
        SyncSender tx = new SyncSender(100_000, 1400, 2 * MS, 200 * MS, 32_768);
        Random r = upsertRandom(tx, 50, 7);
        drain(tx, 0);
        tx.dropAll();
        assertThat(tx.backlogSize()).isZero();
        assertThat(tx.onNack("fw2", 1, 50, 0)).isFalse();
        tx.upsert(Entries.random(r), 0);
        assertThat(drain(tx, 0)).extracting(SyncOp::seq).containsExactly(51L);
    }
}
