package tandem.statesync;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tandem.conntrack.CtEntry;
import tandem.conntrack.CtExpect;

/**
 * The sending half of the sync stream (the active node). Pure: no sockets, threads or clocks.
 *
 * <p>Every change becomes an op with the next sequence number and goes into the backlog, a ring indexed
 * by sequence number holding up to {@code maxBacklog} numbers (rounded up to a power of two). The
 * newest op of each flow (and expectation) stays until every known receiver acknowledged it; an older
 * op of the same flow is superseded - its slot emptied - and goes out, or is answered, as SKIP.
 *
 * <p>Ops are transmitted from the backlog in sequence order, under an ACK window: at most
 * {@code window} sequence numbers beyond the lowest acknowledgement are in flight, so a burst (a full
 * resync of a large table) cannot overrun the receiver's socket, and a slow receiver slows the stream
 * down instead of losing it. DATA messages hold at most {@code batchBytes} and leave when full or
 * {@code maxAgeNanos} after the oldest op waiting. NACKed ops are resent ahead of new ones. A NACK for a
 * number that fell out of the backlog makes the caller resync.
 *
 * <p>Full resyncs: a RESYNC_BEGIN supersedes every op before it (the resync carries the whole table),
 * so {@link #resync} empties the backlog and receivers jump to the RESYNC_BEGIN - the resync is the
 * next thing on the wire, however much was queued. Requests go through {@link #requestResync}: a
 * request while a resync is still running (its RESYNC_END not acknowledged by every known receiver) is
 * answered by that resync (its RESYNC_BEGIN is sent again), never by a new one; a new one starts at
 * most every {@code minResyncNanos} (later requests wait for that and share it).
 */
public final class SyncSender {
    private final int batchBytes;
    private final long maxAgeNanos;
    private final long aliveNanos;
    private final int window;

    private long nextSeq = 1;
    /** The newest op per flow ({@link CtEntry.Key}) and per expectation ({@link CtExpect.Key}). */
    private final Map<Object, SyncOp> latest = new HashMap<>();
    /** Ops of sequence numbers [base, nextSeq) at index seq &amp; (length - 1); null where superseded. */
    private SyncOp[] ring = new SyncOp[1024];
    private final int capacity;
    /** The lowest sequence number not acknowledged by every known receiver. */
    private long base = 1;
    /** The next sequence number to transmit for the first time (base &lt;= sent &lt;= nextSeq). */
    private long sent = 1;
    /** Since when ops wait for transmission (valid while sent &lt; nextSeq). */
    private long waitingSince;
    /** Non-null ops in the ring: the unacknowledged backlog. */
    private int live;
    private long evictedUpTo;
    private final List<SyncOp> repairs = new ArrayList<>();
    private long nextAlive;
    private boolean active = true;
    private final Map<String, Long> ackedBy = new HashMap<>();
    private final long minResyncNanos;
    /** Sequence numbers of the last resync's markers (0: none yet). */
    private long resyncBegin;
    private long resyncEnd;
    private long lastResyncStart;
    private boolean resyncedOnce;
    /** A resync that must start when {@link #resyncDue} says so (a request within minResyncNanos of the last). */
    private long resyncDueAt = Long.MAX_VALUE;

    long opsSent;
    long opsRetransmitted;
    long messagesSent;
    long evicted;
    long resyncs;
    long resyncRequests;
    long resyncsJoined;
    long resyncsRestarted;

    /** What {@link #requestResync} decided. */
    public enum ResyncDecision {
        /** Start one now: dump the table and call {@link #resync}. */
        START,
        /** A resync is running: its RESYNC_BEGIN goes out again; nothing else to do. */
        JOINED,
        /** Too soon after the last one: {@link #resyncDue} reports when to start it. */
        DEFERRED
    }

    /**
     * @param maxBacklog  sequence numbers kept for retransmission (and for a resync of the whole table)
     * @param batchBytes  largest DATA message
     * @param maxAgeNanos how long an op may wait for a fuller DATA message
     * @param aliveNanos  ALIVE period
     * @param window      sequence numbers in flight beyond the lowest acknowledgement
     */
    public SyncSender(int maxBacklog, int batchBytes, long maxAgeNanos, long aliveNanos, int window) {
        this(maxBacklog, batchBytes, maxAgeNanos, aliveNanos, window, 1_000_000_000L);
    }

    /** @param minResyncNanos the least time between the starts of two full resyncs */
    public SyncSender(int maxBacklog, int batchBytes, long maxAgeNanos, long aliveNanos, int window, long minResyncNanos) {
        this.capacity = Math.max(1024, Integer.highestOneBit(Math.max(1, maxBacklog - 1)) << 1);
        this.batchBytes = batchBytes;
        this.maxAgeNanos = maxAgeNanos;
        this.aliveNanos = aliveNanos;
        this.window = window;
        this.minResyncNanos = minResyncNanos;
    }

    /** The flow's complete state (a NEW notification, a dump). */
    public void upsert(CtEntry e, long now) {
        put(e.key(), new SyncOp.Upsert(nextSeq, e), now);
    }

    /**
     * A partial change of the flow (an UPDATE notification). When it supersedes an unacknowledged op of
     * the same flow, that op's state is folded in: the superseded op is answered with SKIP, so what it
     * carried must travel with the newer one.
     */
    public void update(CtEntry changes, long now) {
        SyncOp op = switch (latest.get(changes.key())) {
            case SyncOp.Upsert u -> new SyncOp.Upsert(nextSeq, u.entry().updatedBy(changes));
            case SyncOp.Update u -> new SyncOp.Update(nextSeq, u.changes().updatedBy(changes));
            case null, default -> new SyncOp.Update(nextSeq, changes);
        };
        put(changes.key(), op, now);
    }

    public void delete(CtEntry.Key k, long now) {
        put(k, new SyncOp.Delete(nextSeq, k), now);
    }

    public void expectUpsert(CtExpect x, long now) {
        put(x.key(), new SyncOp.ExpectUpsert(nextSeq, x), now);
    }

    public void expectDelete(CtExpect.Key k, long now) {
        put(k, new SyncOp.ExpectDelete(nextSeq, k), now);
    }

    /**
     * Sends the whole table and its expectations between resync markers; the receiver drops what the
     * markers do not refresh.
     */
    public void resync(Collection<CtEntry> table, Collection<CtExpect> expectations, long now) {
        if (resyncRunning()) {
            resyncsRestarted++;
        }
        resyncs++;
        resyncedOnce = true;
        lastResyncStart = now;
        resyncDueAt = Long.MAX_VALUE;
        supersedeBacklog();
        resyncBegin = nextSeq;
        append(new SyncOp.ResyncBegin(nextSeq), now);
        for (CtEntry e : table) {
            upsert(e, now);
        }
        for (CtExpect x : expectations) {
            expectUpsert(x, now);
        }
        resyncEnd = nextSeq;
        append(new SyncOp.ResyncEnd(nextSeq), now);
    }

    /**
     * Everything not yet acknowledged is superseded by the RESYNC_BEGIN that follows: it is dropped
     * untransmitted, and every known receiver counts as having it (a receiver jumps to the
     * RESYNC_BEGIN, whatever it missed before).
     */
    private void supersedeBacklog() {
        for (long s = base; s < nextSeq; s++) {
            SyncOp op = ring[index(s)];
            if (op != null) {
                unlatest(op);
                ring[index(s)] = null;
            }
        }
        live = 0;
        repairs.clear();
        base = nextSeq;
        sent = nextSeq;
        ackedBy.replaceAll((peer, acked) -> Math.max(acked, nextSeq - 1));
    }

    /**
     * A receiver asked for a full resync (or a NACK could not be served, or the caller lost state).
     *
     * @param joinable whether a running resync can answer it (a peer's request or NACK); false when
     *                 the table itself changed unseen (lost kernel events: only a new dump covers that)
     */
    public ResyncDecision requestResync(boolean joinable, long now) {
        resyncRequests++;
        if (joinable && resyncRunning() && resyncBegin >= base) {
            // its RESYNC_BEGIN is still in the backlog, and so is everything after it
            if (resyncBegin < sent) {
                repairs.add(ring[index(resyncBegin)]); // not yet sent: it goes out anyway
            }
            resyncsJoined++;
            return ResyncDecision.JOINED;
        }
        if (resyncedOnce && now - lastResyncStart < minResyncNanos) {
            resyncDueAt = Math.min(resyncDueAt, lastResyncStart + minResyncNanos);
            return ResyncDecision.DEFERRED;
        }
        return ResyncDecision.START;
    }

    /** Whether a deferred resync should start now (then dump the table and call {@link #resync}). */
    public boolean resyncDue(long now) {
        return now >= resyncDueAt;
    }

    /**
     * A resync was sent and is not done: its RESYNC_BEGIN is still in the backlog (a receiver may
     * still need it - none has acknowledged it, or one that has not is known) or a known receiver has
     * not acknowledged its end.
     */
    public boolean resyncRunning() {
        if (resyncEnd == 0) {
            return false;
        }
        if (resyncBegin >= base) {
            return true;
        }
        for (long a : ackedBy.values()) {
            if (a < resyncEnd) {
                return true;
            }
        }
        return false;
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

    private int index(long seq) {
        return (int) (seq & (ring.length - 1));
    }

    /** Puts the op with the next sequence number into the ring, growing it or evicting the oldest. */
    private void append(SyncOp op, long now) {
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
                sent = Math.max(sent, base);
            }
        }
        if (sent == nextSeq) {
            waitingSince = now;
        }
        ring[index(op.seq())] = op;
        live++;
        nextSeq++;
    }

    private void put(Object k, SyncOp op, long now) {
        SyncOp old = latest.put(k, op);
        if (old != null && old.seq() >= base) {
            ring[index(old.seq())] = null; // superseded: transmitted or answered as SKIP
            live--;
        }
        append(op, now);
    }

    /**
     * Receiver {@code peer} has everything up to {@code seq}. With several receivers (multicast) the
     * backlog keeps what any known receiver still lacks; with one (unicast) it is that receiver's ACK.
     */
    public void onAck(String peer, long seq) {
        ackedBy.merge(peer, Math.min(seq, sent - 1), Math::max);
        prune(ackedBy.values().stream().mapToLong(Long::longValue).min().orElse(seq));
    }

    /** A receiver went silent: it no longer holds back the backlog (it resyncs when it returns). */
    public void forgetPeer(String peer) {
        if (ackedBy.remove(peer) != null) {
            // nobody left: what is in flight or waiting serves no one (a receiver that comes resyncs)
            prune(ackedBy.isEmpty() ? sent - 1 : ackedBy.values().stream().mapToLong(Long::longValue).min().getAsLong());
        }
    }

    /**
     * No receiver is left (none heard within the dead time): everything in the backlog, sent or not,
     * serves no one - a receiver that comes asks for a resync. Keeps the backlog from growing on a master
     * without a standby.
     */
    public void dropAll() {
        for (long s = base; s < nextSeq; s++) {
            SyncOp op = ring[index(s)];
            if (op != null) {
                unlatest(op);
                ring[index(s)] = null;
            }
        }
        live = 0;
        repairs.clear();
        ackedBy.clear();
        base = nextSeq;
        sent = nextSeq;
    }

    private void prune(long seq) {
        long upTo = Math.min(seq, sent - 1);
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
     * Receiver {@code peer} misses {@code from..to}. Queues what is still the newest state for resending
     * ahead of new ops, SKIPs for what was superseded. Numbers every known receiver acknowledged are not
     * sent again to a known one (a late NACK); a receiver the sender does not know (forgotten while
     * silent) must resync for them.
     *
     * @return false when part of the range is gone: the caller must start a resync
     */
    public boolean onNack(String peer, long from, long to, long now) {
        if (from <= evictedUpTo || to - from > capacity) {
            return false;
        }
        if (from < base) {
            Long acked = ackedBy.get(peer);
            if (acked == null) {
                return false; // a receiver we do not know (forgotten while silent): it resyncs
            }
            if (resyncBegin >= base && resyncBegin < sent) {
                // below the backlog and superseded by the resync running (its gap can never fill):
                // the receiver jumps when the RESYNC_BEGIN comes again
                repairs.add(ring[index(resyncBegin)]);
                opsRetransmitted++;
            } else if (from > acked) {
                return false; // numbers it lacks were dropped (no receiver heard for the dead time): it resyncs
            }
            from = base; // what is left below the backlog it acknowledged already (a late NACK)
        }
        for (long s = from; s <= Math.min(to, sent - 1); s++) {
            SyncOp op = ring[index(s)];
            repairs.add(op != null ? op : new SyncOp.Skip(s));
            opsRetransmitted++;
        }
        return true;
    }

    public void setActive(boolean active) {
        this.active = active;
    }

    /** The highest sequence number the window lets out now (exclusive). */
    private long windowEnd() {
        return Math.min(nextSeq, base + window);
    }

    /** Messages due at {@code now}: repairs, full or aged batches within the window, the periodic ALIVE. */
    public List<SyncMessage> poll(long now) {
        List<SyncMessage> out = new ArrayList<>();
        if (!repairs.isEmpty()) {
            batch(repairs, out, false);
            repairs.clear();
        }
        long end = windowEnd();
        List<SyncOp> fresh = new ArrayList<>();
        for (; sent < end; sent++) {
            SyncOp op = ring[index(sent)];
            fresh.add(op != null ? op : new SyncOp.Skip(sent));
        }
        boolean aged = now - waitingSince >= maxAgeNanos;
        // a last, partial batch may still fill: unless it is old enough or the window cut it, it waits
        List<SyncOp> held = batch(fresh, out, !aged && sent == nextSeq);
        sent -= held.size();
        opsSent += fresh.size() - held.size();
        if (sent < nextSeq && (aged || !out.isEmpty())) {
            waitingSince = now;
        }
        if (now >= nextAlive) {
            out.add(new SyncMessage.Alive(sent, active));
            nextAlive = now + aliveNanos;
        }
        return out;
    }

    /**
     * Packs {@code ops} into DATA messages of at most {@code batchBytes}. With {@code holdPartial} a last
     * batch with room left is not sent but returned; otherwise returns an empty list.
     */
    private List<SyncOp> batch(List<SyncOp> ops, List<SyncMessage> out, boolean holdPartial) {
        List<SyncOp> b = new ArrayList<>();
        int bytes = 0;
        for (SyncOp op : ops) {
            int size = SyncCodec.size(op);
            if (bytes + size > batchBytes) {
                data(b, out);
                b = new ArrayList<>();
                bytes = 0;
            }
            b.add(op);
            bytes += size;
        }
        if (holdPartial && bytes + 9 <= batchBytes) {
            return b;
        }
        data(b, out);
        return List.of();
    }

    private void data(List<SyncOp> ops, List<SyncMessage> out) {
        if (!ops.isEmpty()) {
            out.add(new SyncMessage.Data(ops));
            messagesSent++;
        }
    }

    /** When {@link #poll} has something to do next. */
    public long nextDeadline() {
        if (!repairs.isEmpty()) {
            return Long.MIN_VALUE;
        }
        long d = Math.min(nextAlive, resyncDueAt);
        long end = windowEnd();
        if (sent < end) {
            // a full batch leaves at once, a partial one when it is old enough
            int bytes = 0;
            for (long s = sent; s < end && bytes <= batchBytes; s++) {
                SyncOp op = ring[index(s)];
                bytes += op == null ? 9 : SyncCodec.size(op);
            }
            d = Math.min(d, bytes > batchBytes || end < nextSeq ? Long.MIN_VALUE : waitingSince + maxAgeNanos);
        }
        return d;
    }

    @Override
    public String toString() {
        return "SyncSender{nextSeq=" + nextSeq + ", sent=" + sent + ", base=" + base + ", unacked=" + live
            + ", evictedUpTo=" + evictedUpTo + ", opsSent=" + opsSent + ", retransmitted=" + opsRetransmitted
            + ", resyncs=" + resyncs + " [" + resyncBegin + ".." + resyncEnd + "], acked=" + ackedBy
            + ", repairs=" + repairs.size() + "}";
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

    /** Resync requests received (from receivers, NACKs beyond the backlog, lost kernel events). */
    public long resyncRequests() {
        return resyncRequests;
    }

    /** Requests answered by the resync already running. */
    public long resyncsJoined() {
        return resyncsJoined;
    }

    /** Resyncs started while another was still running. */
    public long resyncsRestarted() {
        return resyncsRestarted;
    }
}
