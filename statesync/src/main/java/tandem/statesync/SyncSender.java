package tandem.statesync;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tandem.linux.ct.CtEntry;
import tandem.linux.ct.CtExpect;

/**
 * The sending half of the sync stream (the active node). Pure: no sockets, threads or clocks.
 *
 * <p>Every change becomes an op with the next sequence number. Until acknowledged, the newest op of
 * each flow (and of each expectation) stays in the backlog, a ring indexed by sequence number that
 * holds the last {@code maxBacklog} numbers (rounded up to a power of two); an older op of the same flow is superseded (its slot
 * emptied) and answered with SKIP when asked for again. Ops are batched into DATA messages of at most
 * {@code batchBytes} and flushed when full or {@code maxAgeNanos} after the first op of the batch.
 * When a requested op fell out of the ring, the receiver is told to resync.
 */
public final class SyncSender {
    private final int batchBytes;
    private final long maxAgeNanos;
    private final long aliveNanos;

    private long nextSeq = 1;
    /** The newest op per flow ({@link CtEntry.Key}) and per expectation ({@link CtExpect.Key}). */
    private final Map<Object, SyncOp> latest = new HashMap<>();
    /** Ops of sequence numbers [base, nextSeq) at index seq &amp; (length - 1); null where superseded. */
    private SyncOp[] ring = new SyncOp[1024];
    private final int capacity;
    private long base = 1;
    /** Non-null ops in the ring: the unacknowledged backlog. */
    private int live;
    private long evictedUpTo;
    private final List<SyncOp> pending = new ArrayList<>();
    private int pendingBytes;
    private long pendingSince;
    private long nextAlive;
    private boolean active = true;

    long opsSent;
    long opsRetransmitted;
    long messagesSent;
    long evicted;
    long resyncs;

    public SyncSender(int maxBacklog, int batchBytes, long maxAgeNanos, long aliveNanos) {
        this.capacity = Math.max(1024, Integer.highestOneBit(Math.max(1, maxBacklog - 1)) << 1);
        this.batchBytes = batchBytes;
        this.maxAgeNanos = maxAgeNanos;
        this.aliveNanos = aliveNanos;
    }

    /** The flow's complete state (a NEW notification, a dump). */
    public void upsert(CtEntry e, long now) {
        put(e.key(), new SyncOp.Upsert(nextSeq++, e), now);
    }

    /**
     * A partial change of the flow (an UPDATE notification). When it supersedes an unacknowledged op of
     * the same flow, that op's state is folded in: the superseded op is answered with SKIP, so what it
     * carried must travel with the newer one.
     */
    public void update(CtEntry changes, long now) {
        SyncOp op = switch (latest.get(changes.key())) {
            case SyncOp.Upsert u -> new SyncOp.Upsert(nextSeq++, u.entry().updatedBy(changes));
            case SyncOp.Update u -> new SyncOp.Update(nextSeq++, u.changes().updatedBy(changes));
            case null, default -> new SyncOp.Update(nextSeq++, changes);
        };
        put(changes.key(), op, now);
    }

    public void delete(CtEntry.Key k, long now) {
        put(k, new SyncOp.Delete(nextSeq++, k), now);
    }

    public void expectUpsert(CtExpect x, long now) {
        put(x.key(), new SyncOp.ExpectUpsert(nextSeq++, x), now);
    }

    public void expectDelete(CtExpect.Key k, long now) {
        put(k, new SyncOp.ExpectDelete(nextSeq++, k), now);
    }

    /**
     * Sends the whole table and its expectations between resync markers; the receiver drops what the
     * markers do not refresh.
     */
    public void resync(Collection<CtEntry> table, Collection<CtExpect> expectations, long now) {
        resyncs++;
        enqueue(marker(new SyncOp.ResyncBegin(nextSeq++)), now);
        for (CtEntry e : table) {
            upsert(e, now);
        }
        for (CtExpect x : expectations) {
            expectUpsert(x, now);
        }
        enqueue(marker(new SyncOp.ResyncEnd(nextSeq++)), now);
    }

    /** The flow or expectation an op is about, or null for markers and skips. */
    private static Object keyOf(SyncOp op) {
        return switch (op) {
            case SyncOp.Upsert u -> u.entry().key();
            case SyncOp.Update u -> u.changes().key();
            case SyncOp.Delete d -> d.key();
            case SyncOp.ExpectUpsert x -> x.expect().key();
            case SyncOp.ExpectDelete x -> x.key();
            case SyncOp.Skip s -> null;
            case SyncOp.ResyncBegin r -> null;
            case SyncOp.ResyncEnd r -> null;
        };
    }

    /** Forgets {@code op} as the newest of its flow, unless a newer op replaced it there. */
    private void unlatest(SyncOp op) {
        Object k = keyOf(op);
        if (k != null) {
            latest.remove(k, op);
        }
    }

    private SyncOp marker(SyncOp op) {
        append(op);
        return op;
    }

    private int index(long seq) {
        return (int) (seq & (ring.length - 1));
    }

    /** Puts the op with the newest sequence number into the ring, growing it or evicting the oldest. */
    private void append(SyncOp op) {
        while (op.seq() - base >= ring.length) {
            if (ring.length < capacity) {
                SyncOp[] bigger = new SyncOp[ring.length * 2];
                for (long s = base; s < op.seq(); s++) {
                    bigger[(int) (s & (bigger.length - 1))] = ring[index(s)];
                }
                ring = bigger;
            } else {
                SyncOp oldest = ring[index(base)];
                if (oldest != null) {
                    unlatest(oldest);
                    ring[index(base)] = null;
                    live--;
                    evicted++;
                }
                evictedUpTo = base++;
            }
        }
        ring[index(op.seq())] = op;
        live++;
    }

    private void put(Object k, SyncOp op, long now) {
        SyncOp old = latest.put(k, op);
        if (old != null && old.seq() >= base) {
            ring[index(old.seq())] = null; // superseded: a NACK for it gets a SKIP
            live--;
        }
        append(op);
        enqueue(op, now);
    }

    private void enqueue(SyncOp op, long now) {
        if (pending.isEmpty()) {
            pendingSince = now;
        }
        int size = SyncCodec.size(op);
        if (pendingBytes + size > batchBytes) {
            flushTo(null);
            pendingSince = now;
        }
        pending.add(op);
        pendingBytes += size;
        opsSent++;
    }

    private final List<SyncMessage> ready = new ArrayList<>();

    private void flushTo(List<SyncMessage> out) {
        if (pending.isEmpty()) {
            return;
        }
        SyncMessage m = new SyncMessage.Data(pending);
        (out != null ? out : ready).add(m);
        messagesSent++;
        pending.clear();
        pendingBytes = 0;
    }

    private final Map<String, Long> ackedBy = new HashMap<>();

    /**
     * Receiver {@code peer} has everything up to {@code seq}. With several receivers (multicast) the
     * backlog keeps what any known receiver still lacks; with one (unicast) it is that receiver's ACK.
     */
    public void onAck(String peer, long seq) {
        ackedBy.merge(peer, seq, Math::max);
        prune(ackedBy.values().stream().mapToLong(Long::longValue).min().orElse(seq));
    }

    /** A receiver went silent: it no longer holds back the backlog (it resyncs when it returns). */
    public void forgetPeer(String peer) {
        if (ackedBy.remove(peer) != null && !ackedBy.isEmpty()) {
            prune(ackedBy.values().stream().mapToLong(Long::longValue).min().getAsLong());
        }
    }

    private void prune(long seq) {
        long upTo = Math.min(seq, nextSeq - 1);
        for (; base <= upTo; base++) {
            SyncOp op = ring[index(base)];
            if (op != null) {
                unlatest(op);
                ring[index(base)] = null;
                live--;
            }
        }
    }

    /**
     * Receiver {@code peer} misses {@code from..to}. Re-sends what is still the newest state, SKIPs what
     * was superseded. Numbers every known receiver acknowledged are not sent again to a known one (a
     * late NACK); a receiver the sender does not know (forgotten while silent) must resync for them.
     *
     * @return false when part of the range is gone: the caller must start a resync
     */
    public boolean onNack(String peer, long from, long to, long now) {
        if (from <= evictedUpTo || to - from > capacity) {
            return false;
        }
        if (from < base) {
            if (!ackedBy.containsKey(peer)) {
                return false;
            }
            from = base;
        }
        for (long s = from; s <= Math.min(to, nextSeq - 1); s++) {
            SyncOp op = ring[index(s)];
            enqueue(op != null ? op : new SyncOp.Skip(s), now);
            opsRetransmitted++;
        }
        return true;
    }

    public void setActive(boolean active) {
        this.active = active;
    }

    /** Messages due at {@code now}: full or aged batches and the periodic ALIVE. */
    public List<SyncMessage> poll(long now) {
        List<SyncMessage> out = new ArrayList<>(ready);
        ready.clear();
        if (!pending.isEmpty() && now - pendingSince >= maxAgeNanos) {
            flushTo(out);
        }
        if (now >= nextAlive) {
            out.add(new SyncMessage.Alive(nextSeq, active));
            nextAlive = now + aliveNanos;
        }
        return out;
    }

    /** When {@link #poll} has something to do next. */
    public long nextDeadline() {
        long d = nextAlive;
        if (!ready.isEmpty()) {
            return Long.MIN_VALUE;
        }
        if (!pending.isEmpty()) {
            d = Math.min(d, pendingSince + maxAgeNanos);
        }
        return d;
    }

    @Override
    public String toString() {
        return "SyncSender{nextSeq=" + nextSeq + ", base=" + base + ", unacked=" + live + ", evictedUpTo=" + evictedUpTo
            + ", sent=" + opsSent + ", retransmitted=" + opsRetransmitted + ", resyncs=" + resyncs + "}";
    }

    public long nextSeq() {
        return nextSeq;
    }

    public int backlogSize() {
        return live;
    }

    public long opsSent() {
        return opsSent;
    }

    public long opsRetransmitted() {
        return opsRetransmitted;
    }

    public long messagesSent() {
        return messagesSent;
    }

    public long resyncs() {
        return resyncs;
    }
}
