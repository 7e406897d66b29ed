package tandem.statesync;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tandem.conntrack.CtEntry;

/**
 * Sender and receiver driven the way the node drives them (peers forgotten after 3 s of silence, the
 * backlog dropped when none is left, resync requests through the policy, lost kernel events), under
 * seeded chaos: the master freezes for seconds (its inbox and the kernel's events pile up, events
 * beyond what its socket holds are lost), the standby restarts, datagrams are lost, delayed and
 * duplicated, the standby is slow. When the chaos stops, the standby's cache must equal the master's
 * table within a bounded time, and a resync must never be restarted by a request.
 */
class SyncChaosTest {
    static final long MS = 1_000_000L;
    static final long DEAD = 3_000 * MS;
    static final int KERNEL_BUFFER = 5_000;
    /** Datagrams the standby's socket holds (beyond: dropped, like a full receive buffer). */
    static final int RX_BUFFER = 4_000;

    record InFlight(long at, long order, boolean toReceiver, byte[] bytes) {
    }

    /** The master side as StateSync runs it. */
    static final class Master {
        final SyncSender tx = new SyncSender(4 << 20, 1400, 2 * MS, 200 * MS, 8_192);
        final Liveness heard = new Liveness(DEAD);
        /** Datagrams from the standby with their arrival times, read when the master runs. */
        long lastArrival;
        final Map<CtEntry.Key, CtEntry> table = new HashMap<>();
        final ArrayDeque<SyncMessage> inbox = new ArrayDeque<>();
        final ArrayDeque<Long> inboxArrival = new ArrayDeque<>();
        /** Changes of the kernel table whose notifications wait in the event socket (an entry, or a key: gone). */
        final List<Object> pendingEvents = new ArrayList<>();

        void apply(Object ev, boolean notified) {
            if (ev instanceof CtEntry e) {
                table.put(e.key(), e);
                if (notified) {
                    tx.upsert(e, 0);
                }
            } else {
                CtEntry.Key k = (CtEntry.Key) ev;
                table.remove(k);
                if (notified) {
                    tx.delete(k, 0);
                }
            }
        }
        long restartsByRequest;

        void receive(SyncMessage m, long arrival, long now) {
            heard.heard("fw2", arrival);
            switch (m) {
                case SyncMessage.Ack a -> tx.onAck("fw2", a.seq());
                case SyncMessage.Nack n -> {
                    if (!tx.onNack("fw2", n.from(), n.to(), now)) {
                        request(true, now);
                    }
                }
                case SyncMessage.ResyncRequest q -> request(true, now);
                default -> throw new AssertionError(m);
            }
        }

        void request(boolean joinable, long now) {
            boolean running = tx.resyncRunning();
            if (tx.requestResync(joinable, now) == SyncSender.ResyncDecision.START) {
                if (running && joinable) {
                    restartsByRequest++;
                }
                tx.resync(List.copyOf(table.values()), List.of(), now);
            }
        }

        void turn(long now) {
            for (String peer : heard.expire(now, lastArrival)) {
                tx.forgetPeer(peer);
            }
            if (heard.isEmpty() && tx.backlogSize() > 0) {
                tx.dropAll();
            }
            if (tx.resyncDue(now)) {
                tx.resync(List.copyOf(table.values()), List.of(), now);
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
    void theStandbyConvergesAfterFreezesLostEventsRestartsAndLoss(long seed) throws Exception {
        Random r = new Random(seed);
        Master m = new Master();
        SyncReceiver[] rx = {new SyncReceiver(20 * MS, 10 * MS, DEAD, 200_000, 2_000 * MS)};
        rx[0].reset(0);
        PriorityQueue<InFlight> net = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
            : Long.compare(a.order, b.order));
        long[] order = {0};
        ArrayDeque<byte[]> rxSocket = new ArrayDeque<>();
        double loss = r.nextDouble() * 0.2;
        int rxPerStep = 1 + r.nextInt(4);
        List<CtEntry.Key> keys = new ArrayList<>();
        long frozenUntil = -1;
        long busyUntil = -1;
        long now = 0;
        long chaosEnd = 10_000 * MS;
        long converged = -1;
        for (long step = 0; converged < 0; step++) {
            now += MS / 4;
            assertThat(now).as("converged within 30 s after the chaos (seed %d): %s %s", seed, rx[0], m.tx)
                .isLessThan(chaosEnd + 30_000 * MS);
            boolean chaos = now < chaosEnd;
            boolean frozen = now < frozenUntil;
            // the table changes (kernel events: queued while the master is frozen)
            if (chaos && r.nextInt(8) == 0) {
                for (int k = 0; k < 1 + r.nextInt(20); k++) {
                    if (keys.isEmpty() || r.nextInt(3) > 0) {
                        CtEntry e = Entries.random(r);
                        keys.add(e.key());
                        m.pendingEvents.add(e);
                    } else {
                        m.pendingEvents.add(keys.remove(r.nextInt(keys.size())));
                    }
                }
            }
            if (chaos && !frozen && r.nextInt(20_000) == 0) {
                frozenUntil = now + (500 + r.nextInt(5_000)) * MS; // SIGSTOP for up to 5.5 s
                frozen = true;
            }
            if (chaos && r.nextInt(40_000) == 0) {
                rx[0] = new SyncReceiver(20 * MS, 10 * MS, DEAD, 200_000, 2_000 * MS); // the standby restarts
                rx[0].reset(now);
                rxSocket.clear();
            }
            if (!frozen) {
                // events: what the socket held is read, the rest was lost (ENOBUFS): a resync
                boolean lost = m.pendingEvents.size() > KERNEL_BUFFER;
                if (!m.pendingEvents.isEmpty()) {
                    // reading a backlog of events keeps the master's loop busy: datagrams wait behind it
                    busyUntil = Math.max(busyUntil, now + m.pendingEvents.size() * 300_000L);
                }
                for (int i = 0; i < m.pendingEvents.size(); i++) {
                    // the kernel table has every change; the notifications beyond the buffer are gone
                    m.apply(m.pendingEvents.get(i), i < KERNEL_BUFFER);
                }
                m.pendingEvents.clear();
                // the worst order: the timers (forgetting silent peers) before the datagrams that
                // waited while the master was frozen
                m.turn(now);
                while (!m.inbox.isEmpty() && now >= busyUntil) {
                    m.receive(m.inbox.poll(), m.inboxArrival.poll(), now);
                }
                if (lost) {
                    m.request(false, now);
                }
                for (SyncMessage msg : m.tx.poll(now)) {
                    if (r.nextDouble() >= loss) {
                        int copies = r.nextInt(20) == 0 ? 2 : 1;
                        for (int c = 0; c < copies; c++) {
                            net.add(new InFlight(now + MS / 10 + r.nextInt(3) * MS, order[0]++, true, SyncCodec.encode(msg)));
                        }
                    }
                }
            }
            for (SyncMessage msg : rx[0].poll(now)) {
                if (r.nextDouble() >= loss) {
                    net.add(new InFlight(now + MS / 10, order[0]++, false, SyncCodec.encode(msg)));
                }
            }
            while (!net.isEmpty() && net.peek().at() <= now) {
                InFlight f = net.poll();
                if (!f.toReceiver()) {
                    m.inbox.add(SyncCodec.decode(f.bytes())); // read when the master is not frozen
                    m.inboxArrival.add(now);
                    m.lastArrival = now;
                } else if (rxSocket.size() < RX_BUFFER) {
                    rxSocket.add(f.bytes());
                }
            }
            for (int k = 0; k < rxPerStep && !rxSocket.isEmpty(); k++) { // a slow standby
                switch (SyncCodec.decode(rxSocket.poll())) {
                    case SyncMessage.Data d -> rx[0].onData(d, now);
                    case SyncMessage.Alive a -> rx[0].onAlive(a, now);
                    default -> throw new AssertionError();
                }
            }
            if (!chaos && !frozen && now >= busyUntil && m.pendingEvents.isEmpty() && rx[0].state(now) == SyncReceiver.State.SYNCHRONIZED
                && rx[0].cache().size() == m.table.size()
                && new java.util.HashSet<>(rx[0].cache().keys()).equals(m.table.keySet())) {
                converged = now;
            }
        }
        assertThat(m.restartsByRequest).as("a request restarted a running resync").isZero();
        assertThat(m.tx.resyncsRestarted()).isLessThanOrEqualTo(m.tx.resyncs());
        assertThat(rx[0].cache().size()).isEqualTo(m.table.size());
    }
}
