package tandem.statesync;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import tandem.conntrack.CtEntry;
import tandem.conntrack.CtExpect;

/**
 * The receiving half of the sync stream (the standby node) and its external cache. Pure.
 *
 * <p>Ops are applied strictly in sequence order; ops that arrive ahead of a gap wait. A gap (seen in
 * DATA or from the sender's ALIVE) is NACKed, and NACKed again every {@code nackNanos} until filled.
 * Progress is ACKed at most every {@code ackNanos}. When more than {@code maxAhead} ops wait behind a
 * gap, or the stream restarts, the receiver asks for a full resync.
 *
 * <p>A RESYNC_BEGIN supersedes every op before it: the receiver jumps to it from wherever it is (a
 * gap before it needs no repair). A receiver that asked for a resync repeats the request only when
 * no RESYNC_BEGIN came for {@code stallNanos} - a resync that is on its way is never asked for twice.
 */
public final class SyncReceiver {
    /** Sync state as {@code tandem info} shows it. */
    public enum State { SYNCHRONIZED, RESYNCING, PEER_LOST }

    private static final int MAX_NACKS = 64;
    private final long nackNanos;
    private final long ackNanos;
    private final long deadNanos;
    private final int maxAhead;
    private final long stallNanos;

    private long next = 1;
    private final TreeMap<Long, SyncOp> ahead = new TreeMap<>();
    private long senderNext = 1;
    private long lastAcked;
    private long nextAck;
    private long nextNack;
    private long nextAckRepeat;
    private long lastHeard = Long.MIN_VALUE;
    /** Our position in the stream is unknown: wait for a RESYNC_BEGIN and ask for one until it comes. */
    private boolean awaiting = true;
    private long nextResyncRequest = Long.MIN_VALUE;
    private boolean resyncing;
    private final ExternalCache cache = new ExternalCache();
    private final Map<CtExpect.Key, CtExpect> expectations = new HashMap<>();
    /** During a resync: expectations not refreshed yet (flows: the cache's generations). */
    private Set<CtExpect.Key> stale;

    long opsReceived;
    long opsApplied;
    long duplicates;
    long nacksSent;
    long lost;
    long resyncsRequested;
    long resyncsRestartedSeen;
    long resyncsCompleted;

    public SyncReceiver(long nackNanos, long ackNanos, long deadNanos, int maxAhead) {
        this(nackNanos, ackNanos, deadNanos, maxAhead, Math.max(nackNanos * 10, deadNanos * 2 / 3));
    }

    /** @param stallNanos how long a requested resync may take to begin before it is asked for again */
    public SyncReceiver(long nackNanos, long ackNanos, long deadNanos, int maxAhead, long stallNanos) {
        this.nackNanos = nackNanos;
        this.ackNanos = ackNanos;
        this.deadNanos = deadNanos;
        this.maxAhead = maxAhead;
        this.stallNanos = stallNanos;
    }

    /** The sender restarted (new session) or we start: forget the stream, ask for everything. */
    public void reset(long now) {
        ahead.clear();
        // the old stream's numbers mean nothing in the new one (a restarted sender counts from 1 again):
        // its highest number kept would be a gap that never fills
        next = 1;
        senderNext = 1;
        lastAcked = 0;
        lastHeard = now;
        requestResync();
        nextResyncRequest = Long.MIN_VALUE; // a new stream: ask at once
    }

    public void onData(SyncMessage.Data d, long now) {
        lastHeard = now;
        for (SyncOp op : d.ops()) {
            opsReceived++;
            if (op instanceof SyncOp.ResyncBegin && (awaiting || op.seq() > next)) {
                // the stream starts (again) here for us: everything before a RESYNC_BEGIN is superseded
                awaiting = false;
                ahead.headMap(op.seq()).clear();
                next = op.seq();
            } else if (awaiting) {
                continue;
            }
            if (op.seq() < next || ahead.containsKey(op.seq())) {
                duplicates++;
                continue;
            }
            senderNext = Math.max(senderNext, op.seq() + 1);
            if (op.seq() == next && ahead.isEmpty()) {
                apply(op); // in order, nothing waiting: the common case skips the reorder map
                next++;
                continue;
            }
            ahead.put(op.seq(), op);
        }
        deliver();
        if (ahead.size() > maxAhead) {
            lost += ahead.size();
            requestResync(); // too far behind: start over from a full table
        }
    }

    /** The sender's ALIVE: its next sequence number shows loss at the tail of the stream. */
    public void onAlive(SyncMessage.Alive a, long now) {
        lastHeard = now;
        senderNext = Math.max(senderNext, a.nextSeq());
    }

    private void deliver() {
        SyncOp op;
        while ((op = ahead.remove(next)) != null) {
            apply(op);
            next++;
        }
    }

    private void apply(SyncOp op) {
        switch (op) {
            case SyncOp.Upsert u -> {
                cache.put(u.entry());
                opsApplied++;
            }
            case SyncOp.Update u -> {
                cache.update(u.changes());
                opsApplied++;
            }
            case SyncOp.Delete d -> {
                cache.remove(d.key());
                opsApplied++;
            }
            case SyncOp.ExpectUpsert x -> {
                expectations.put(x.expect().key(), x.expect());
                if (stale != null) {
                    stale.remove(x.expect().key());
                }
                opsApplied++;
            }
            case SyncOp.ExpectDelete x -> {
                expectations.remove(x.key());
                opsApplied++;
            }
            case SyncOp.ResyncBegin b -> {
                if (resyncing) {
                    resyncsRestartedSeen++;
                }
                cache.newGeneration();
                stale = new HashSet<>(expectations.keySet());
                resyncing = true;
            }
            case SyncOp.ResyncEnd e -> {
                if (resyncing) {
                    cache.removeOlderGenerations();
                    stale.forEach(expectations::remove);
                    resyncsCompleted++;
                }
                stale = null;
                resyncing = false;
            }
            case SyncOp.Skip s -> {
            }
        }
    }

    /** Messages to the sender due at {@code now}: resync request, NACK of the first gap, ACK of progress. */
    public List<SyncMessage> poll(long now) {
        List<SyncMessage> out = new ArrayList<>();
        if (awaiting) {
            // asked again only when the resync asked for has not begun within the stall time
            if (now >= nextResyncRequest) {
                out.add(new SyncMessage.ResyncRequest());
                resyncsRequested++;
                nextResyncRequest = now + stallNanos;
            }
            return out;
        }
        if (now >= nextNack) {
            // every gap behind us, oldest first, up to MAX_NACKS ranges per round
            long from = next;
            for (long seq : ahead.keySet()) {
                if (seq > from) {
                    out.add(new SyncMessage.Nack(from, seq - 1));
                    nacksSent++;
                    if (out.size() >= MAX_NACKS) {
                        break;
                    }
                }
                from = seq + 1;
            }
            if (out.size() < MAX_NACKS && senderNext - 1 >= from) {
                out.add(new SyncMessage.Nack(from, senderNext - 1));
                nacksSent++;
            }
            if (!out.isEmpty()) {
                nextNack = now + nackNanos;
            }
        }
        // ACK progress at most every ackNanos, and repeat it every 20 * ackNanos even without progress
        // (a lost ACK would otherwise keep the sender's backlog; the repeat also says we are alive)
        if (next - 1 != lastAcked && now >= nextAck || now >= nextAckRepeat) {
            out.add(new SyncMessage.Ack(next - 1));
            lastAcked = next - 1;
            nextAck = now + ackNanos;
            nextAckRepeat = now + 20 * ackNanos;
        }
        return out;
    }

    public long nextDeadline() {
        long d = Long.MAX_VALUE;
        if (awaiting) {
            return nextResyncRequest;
        }
        if (next <= (ahead.isEmpty() ? senderNext - 1 : ahead.firstKey() - 1)) {
            d = Math.min(d, nextNack);
        }
        if (next - 1 != lastAcked) {
            d = Math.min(d, nextAck);
        }
        return Math.min(d, nextAckRepeat);
    }

    public State state(long now) {
        if (lastHeard == Long.MIN_VALUE || now - lastHeard > deadNanos) {
            return State.PEER_LOST;
        }
        return resyncing || awaiting || next < senderNext ? State.RESYNCING : State.SYNCHRONIZED;
    }

    /** The external cache: the peer's table as replicated so far. */
    public ExternalCache cache() {
        return cache;
    }

    /** The replicated expectations (e.g. FTP data channels announced on the active node). */
    public Map<CtExpect.Key, CtExpect> expectations() {
        return expectations;
    }

    /**
     * Asks for a resync at the next poll (e.g. after becoming standby), or when the last request is
     * less than the stall time ago, once that time is up.
     */
    public void requestResync() {
        awaiting = true;
        ahead.clear();
    }

    @Override
    public String toString() {
        return "SyncReceiver{next=" + next + ", senderNext=" + senderNext + ", ahead=" + ahead.size()
            + (ahead.isEmpty() ? "" : " from " + ahead.firstKey()) + ", awaiting=" + awaiting + ", resyncing=" + resyncing
            + ", cache=" + cache.size() + ", expectations=" + expectations.size() + ", received=" + opsReceived + ", applied=" + opsApplied + ", nacks=" + nacksSent
            + ", resyncRequests=" + resyncsRequested + "}";
    }

    public long next() {
        return next;
    }

    public long opsReceived() {
        return opsReceived;
    }

    public long opsApplied() {
        return opsApplied;
    }

    public long nacksSent() {
        return nacksSent;
    }

    public long lost() {
        return lost;
    }

    public long resyncsRequested() {
        return resyncsRequested;
    }

    /** RESYNC_BEGINs that arrived while an earlier resync was still being received. */
    public long resyncsRestartedSeen() {
        return resyncsRestartedSeen;
    }

    /** Resyncs received completely (RESYNC_END applied). */
    public long resyncsCompleted() {
        return resyncsCompleted;
    }

    /** Whether a resync is being received (RESYNC_BEGIN applied, RESYNC_END not yet). */
    public boolean resyncing() {
        return resyncing;
    }
}
