package tandem.linux.ct;

import tandem.conntrack.CtEntry;
import tandem.conntrack.CtExpect;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tandem.linux.Libc;
import tandem.linux.LinuxException;
import tandem.linux.Netlink;
import tandem.linux.NetlinkDecodeException;
import tandem.linux.NetlinkSocket;

/**
 * The conntrack table and its expectations over ctnetlink (NETLINK_NETFILTER): dump, create/delete in
 * batches, and NEW/UPDATE/DESTROY notifications. Events carry the port id of the socket that caused
 * them, so a node can ignore the echo of its own injections.
 */
public final class Ctnetlink implements AutoCloseable {
    private static final int NETLINK_NETFILTER = 12;
    /**
     * Notification groups as bind(2) bits (bit g-1 for group g): NFNLGRP_CONNTRACK_NEW (1), _UPDATE (2),
     * _DESTROY (3), NFNLGRP_CONNTRACK_EXP_NEW (4), _EXP_DESTROY (6).
     */
    private static final int EVENT_GROUPS = 0x1 | 0x2 | 0x4 | 0x8 | 0x20;
    private static final int BATCH_BYTES = 192 * 1024;
    public static final int BATCH_MESSAGES = 1000;
    private static final int EBUSY = 16;

    public enum EventType { NEW, UPDATE, DESTROY }

    /** A notification, with the port id of the socket that caused it (0: the kernel itself). */
    public sealed interface Event {
        int portId();
    }

    /** A conntrack entry appeared, changed or ended; {@code entry} is null for DESTROY. */
    public record CtEvent(EventType type, CtEntry entry, CtEntry.Key key, int portId) implements Event {
    }

    /** An expectation appeared or ended (matched by its connection, timed out, or deleted). */
    public record ExpectEvent(boolean destroyed, CtExpect expect, int portId) implements Event {
    }

    /**
     * A notification that did not decode, in the place of the batch where it arrived (the others of the
     * batch are unaffected). What it would have said is lost: the receiver counts it and resyncs.
     *
     * @param messageType its nlmsg_type, or -1 when the datagram held no readable message header
     * @param reason      what was got and what was expected
     * @param portId      its sender's port id, 0 when unknown
     */
    public record Undecodable(int messageType, String reason, int portId) implements Event {
    }

    /** What a commit did: entries created, stale ones replaced, failures. */
    public record CommitResult(int created, int replaced, int failed, String firstError) {
        /** Nothing committed. */
        public static final CommitResult NONE = new CommitResult(0, 0, 0, null);

        /** Both results together (the first error of this one if it has one). */
        public CommitResult plus(CommitResult o) {
            return new CommitResult(created + o.created, replaced + o.replaced, failed + o.failed,
                firstError != null ? firstError : o.firstError);
        }
    }

    private final NetlinkSocket socket;
    /** Next sequence number; wraps through Integer.MAX_VALUE and 0 (replies are matched by unsigned distance). */
    private int seq = 1;
    private final java.util.concurrent.atomic.AtomicLong undecodable = new java.util.concurrent.atomic.AtomicLong();
    private volatile String lastUndecodable;
    /** Whether this kernel confirms entries before applying CTA_STATUS on create (Linux >= 6.3). */
    private boolean confirmedOnCreate = true;

    private Ctnetlink(int groups, int rcvbuf, long timeoutMillis) {
        socket = new NetlinkSocket(NETLINK_NETFILTER, groups, rcvbuf, timeoutMillis,
            groups == 0 ? "ctnetlink" : "ctnetlink events");
    }

    /** A socket for requests. */
    public static Ctnetlink open() {
        return new Ctnetlink(0, 4 << 20, 5000);
    }

    /** Receive buffer of an events socket at first, and at most (see {@link #growEventBuffer()}). */
    public static final int EVENT_BUFFER = 128 << 20;
    public static final int EVENT_BUFFER_MAX = 512 << 20;

    /** A socket receiving conntrack and expectation notifications (128 MiB receive buffer at first: the kernel commits memory only for what is queued, and a burst while the JIT still warms up must not overflow it). */
    public static Ctnetlink events() {
        return new Ctnetlink(EVENT_GROUPS, EVENT_BUFFER, 200);
    }

    /** After lost notifications: doubles the receive buffer up to 512 MiB; returns the size now. */
    public int growEventBuffer() {
        return socket.growReceiveBuffer(EVENT_BUFFER_MAX);
    }

    /**
     * Starts or stops receiving notifications on an {@link #events()} socket. A node that does not
     * need them (a standby) leaves the groups: with no listener the kernel does not build a
     * notification per change, which makes writing 100 000s of entries several times faster.
     */
    public void subscribe(boolean on) {
        socket.membership(EVENT_GROUPS, on);
    }

    public int portId() {
        return socket.portId();
    }

    /**
     * Messages from the kernel this socket dropped because they did not decode: entries of dumps and of
     * {@link #get}, notifications ({@link Undecodable} events), and datagrams that were no sequence of
     * messages. Each is also a lost entry or event: after one, the table a dump returned is incomplete.
     */
    public long undecodable() {
        return undecodable.get() + socket.malformed();
    }

    /** What the last of the {@link #undecodable()} messages was, or null when there was none. */
    public String lastUndecodable() {
        String own = lastUndecodable;
        return own != null ? own : socket.lastMalformed();
    }

    private void countUndecodable(String what, String reason) {
        lastUndecodable = what + ": " + reason;
        undecodable.incrementAndGet();
    }

    /** Sets the next sequence number (tests: ranges that wrap through Integer.MAX_VALUE and 0). */
    void nextSeq(int next) {
        seq = next;
    }

    /** Every entry of the table, both families; an entry that does not decode is skipped and counted ({@link #undecodable()}). */
    public List<CtEntry> dump() {
        List<CtEntry> out = new ArrayList<>();
        dump(CtCodec.type(CtCodec.IPCTNL_MSG_CT_GET), CtCodec.type(CtCodec.IPCTNL_MSG_CT_NEW), "conntrack table",
            b -> out.add(CtCodec.decode(b)));
        return out;
    }

    /**
     * One entry, complete (a notification may lack parts, e.g. the sequence adjustment a helper's
     * rewrite changed); empty when the table has no such flow, or when the kernel's answer does not
     * decode (counted, {@link #undecodable()}).
     */
    public java.util.Optional<CtEntry> get(CtEntry.Key key) {
        Netlink.Writer w = new Netlink.Writer(256);
        int s = seq++;
        w.message(CtCodec.type(CtCodec.IPCTNL_MSG_CT_GET), Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, s);
        w.raw(CtCodec.nfgenmsg(key.orig().ipv6() ? 10 : 2));
        CtCodec.tuple(w, CtCodec.CTA_TUPLE_ORIG, key.orig());
        if (key.zone() != 0) {
            w.be16(CtCodec.CTA_ZONE, key.zone());
        }
        socket.send(w.endMessage().toBytes());
        CtEntry[] found = new CtEntry[1];
        int[] err = {0};
        socket.awaitReplies(s, s, m -> {
            if (m.type() == CT_NEW) {
                try {
                    found[0] = CtCodec.decode(m.body());
                } catch (NetlinkDecodeException e) {
                    countUndecodable("ctnetlink get " + key.orig(), e.getMessage());
                }
            }
        }, (q, e) -> err[0] = e);
        if (err[0] != 0 && err[0] != Libc.ENOENT) {
            throw new LinuxException("ctnetlink get", key.orig().toString(), err[0]);
        }
        return java.util.Optional.ofNullable(found[0]);
    }

    /** Every expectation, both families; one that does not decode is skipped and counted ({@link #undecodable()}). */
    public List<CtExpect> dumpExpectations() {
        List<CtExpect> out = new ArrayList<>();
        dump(CtExpectCodec.type(CtExpectCodec.IPCTNL_MSG_EXP_GET), CtExpectCodec.type(CtExpectCodec.IPCTNL_MSG_EXP_NEW),
            "expectation table", b -> out.add(CtExpectCodec.decode(b)));
        return out;
    }

    @FunctionalInterface
    private interface Decoder {
        void decode(java.nio.ByteBuffer body) throws NetlinkDecodeException;
    }

    private void dump(int getType, int replyType, String what, Decoder onBody) {
        Netlink.Writer w = new Netlink.Writer(64);
        int s = seq++;
        w.message(getType, Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP, s).raw(CtCodec.nfgenmsg(0)).endMessage();
        socket.send(w.toBytes());
        int[] err = {0};
        socket.awaitReplies(s, s, m -> {
            if (m.type() == replyType) {
                try {
                    onBody.decode(m.body());
                } catch (NetlinkDecodeException e) {
                    countUndecodable("ctnetlink dump of the " + what, e.getMessage());
                }
            }
        }, (q, e) -> err[0] = e);
        if (err[0] != 0) {
            throw new LinuxException("ctnetlink dump", what, err[0]);
        }
    }

    /**
     * Writes entries into the kernel table, each created with its NAT binding; entries of related
     * connections after all others (the kernel wants a related entry's master to exist). An entry that
     * exists already (EEXIST) is stale - this node did not forward the flow - and is replaced: deleted
     * and created again, so TCP window tracking starts afresh from the next packet instead of from an
     * old window.
     */
    public CommitResult commit(Collection<CtEntry> entries) {
        return commit(entries, List.of());
    }

    /**
     * {@link #commit(Collection)} with the entries of original connections spread over this socket and
     * {@code helpers} (request sockets of the same network namespace), one thread each. The kernel
     * creates entries under the nfnetlink subsystem mutex, so this overlaps the encoding and the
     * acknowledgements of one thread with the kernel's work for another rather than running creates in
     * parallel. The related entries follow on this socket once all others are in.
     */
    public CommitResult commit(Collection<CtEntry> entries, List<Ctnetlink> helpers) {
        List<CtEntry> originals = new ArrayList<>(entries.size());
        List<CtEntry> related = new ArrayList<>();
        for (CtEntry e : entries) {
            (e.master() == null ? originals : related).add(e);
        }
        int ways = helpers.size() + 1;
        if (ways == 1 || originals.size() < 2 * BATCH_MESSAGES) {
            return commitPart(originals).plus(commitPart(related));
        }
        int slice = (originals.size() + ways - 1) / ways;
        List<Thread> threads = new ArrayList<>(helpers.size());
        CommitResult[] results = new CommitResult[ways];
        RuntimeException[] failures = new RuntimeException[ways];
        for (int i = 1; i < ways; i++) {
            int part = i;
            List<CtEntry> mine = originals.subList(Math.min(originals.size(), part * slice),
                Math.min(originals.size(), (part + 1) * slice));
            Ctnetlink helper = helpers.get(part - 1);
            threads.add(Thread.ofPlatform().name("ct-commit-" + part).start(() -> {
                try {
                    results[part] = helper.commitPart(mine);
                } catch (RuntimeException e) {
                    failures[part] = e;
                }
            }));
        }
        results[0] = commitPart(originals.subList(0, Math.min(originals.size(), slice)));
        boolean interrupted = false;
        for (Thread t : threads) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        for (RuntimeException f : failures) {
            if (f != null) {
                throw f;
            }
        }
        CommitResult sum = commitPart(related);
        for (CommitResult r : results) {
            sum = sum.plus(r);
        }
        return sum;
    }

    private CommitResult commitPart(List<CtEntry> entries) {
        if (entries.isEmpty()) {
            return CommitResult.NONE;
        }
        Outcome<CtEntry> o = new Outcome<>();
        int createFlags = Netlink.NLM_F_REQUEST | Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL;
        Encoder<CtEntry> create = (w, e, s) -> CtCodec.writeNew(w, e, true, confirmedOnCreate, createFlags, s);
        int created = request(entries, create, o.collect("create"));
        if (!o.busy.isEmpty()) {
            // EBUSY on create: this kernel wants the status without IPS_CONFIRMED (or the reverse)
            confirmedOnCreate = !confirmedOnCreate;
            List<CtEntry> retry = new ArrayList<>(o.busy);
            o.busy.clear();
            created += request(retry, create, o.collect("create"));
            o.failBusy();
        }
        List<CtEntry> exists = new ArrayList<>(o.exists);
        o.exists.clear();
        delete(exists.stream().map(CtEntry::key).toList());
        int replaced = request(exists, create, o.collect("create"));
        o.failBusy();
        o.failed += o.exists.size();
        return new CommitResult(created, replaced, o.failed, o.firstError);
    }

    /**
     * Writes expectations into the kernel; their master connections must be there (commit the entries
     * first). An existing one is replaced. A master that is gone (ENOENT) counts as failed.
     */
    public CommitResult commitExpectations(Collection<CtExpect> expectations) {
        Outcome<CtExpect> o = new Outcome<>();
        int createFlags = Netlink.NLM_F_REQUEST | Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL;
        Encoder<CtExpect> create = (w, x, s) -> CtExpectCodec.writeNew(w, x, createFlags, s);
        int created = request(expectations, create, o.collect("create expectation"));
        List<CtExpect> exists = new ArrayList<>(o.exists);
        o.exists.clear();
        deleteExpectations(exists.stream().map(CtExpect::key).toList());
        int replaced = request(exists, create, o.collect("create expectation"));
        o.failBusy();
        o.failed += o.exists.size();
        return new CommitResult(created, replaced, o.failed, o.firstError);
    }

    /** Failures of a batch of creates, sorted by what the caller does next. */
    private static final class Outcome<T> {
        final List<T> exists = new ArrayList<>();
        final List<T> busy = new ArrayList<>();
        int failed;
        String firstError;

        Failure<T> collect(String what) {
            return (item, err) -> {
                if (err == Libc.EEXIST) {
                    exists.add(item);
                } else if (err == EBUSY) {
                    busy.add(item);
                } else {
                    failed++;
                    if (firstError == null) {
                        firstError = what + " " + item + ": " + Libc.strerror(err) + " (errno " + err + ")";
                    }
                }
            };
        }

        void failBusy() {
            failed += busy.size();
            busy.clear();
        }
    }

    @FunctionalInterface
    private interface Encoder<T> {
        void write(Netlink.Writer w, T item, int seq);
    }

    @FunctionalInterface
    private interface Failure<T> {
        void failed(T item, int errno);
    }

    /**
     * Sends one request per item, up to {@value #BATCH_MESSAGES} per datagram, only the last of each
     * asking for an ACK (the kernel answers failures anyway; an ACK per success cost a message each);
     * returns how many the kernel accepted and reports the others with their errno.
     */
    private <T> int request(Collection<T> items, Encoder<T> encoder, Failure<T> onError) {
        Netlink.Writer w = new Netlink.Writer(BATCH_BYTES + 4096);
        Map<Integer, T> bySeq = new HashMap<>();
        int ok = 0;
        int n = 0;
        for (T item : items) {
            int s = seq++;
            bySeq.put(s, item);
            encoder.write(w, item, s);
            if (++n == BATCH_MESSAGES || w.position() >= BATCH_BYTES) {
                ok += flush(w, bySeq, onError);
                n = 0;
            }
        }
        return ok + flush(w, bySeq, onError);
    }

    private <T> int flush(Netlink.Writer w, Map<Integer, T> bySeq, Failure<T> onError) {
        if (bySeq.isEmpty()) {
            return 0;
        }
        w.addFlagsToLastMessage(Netlink.NLM_F_ACK);
        socket.send(w.toBytes());
        int[] bad = {0};
        int first = seq - bySeq.size();
        socket.awaitReplies(first, seq - 1, null, (s, err) -> {
            bad[0]++;
            onError.failed(bySeq.get(s), err);
            return 0;
        });
        int sent = bySeq.size();
        bySeq.clear();
        w.reset();
        return sent - bad[0];
    }

    /** Deletes entries by key; returns how many were there. */
    public int delete(Collection<CtEntry.Key> keys) {
        return request(keys, (w, k, s) -> CtCodec.writeDelete(w, k, Netlink.NLM_F_REQUEST, s),
            (k, err) -> { });
    }

    /** Deletes expectations by key; returns how many were there. */
    public int deleteExpectations(Collection<CtExpect.Key> keys) {
        return request(keys, (w, k, s) -> CtExpectCodec.writeDelete(w, k, Netlink.NLM_F_REQUEST, s),
            (k, err) -> { });
    }

    /**
     * Blocks up to 200 ms for notifications, then returns all that are queued (up to
     * {@value NetlinkSocket#BATCH} datagrams), conntrack and expectation events in the kernel's order. A
     * notification that does not decode is an {@link Undecodable} in its place (and counted,
     * {@link #undecodable()}); the others of the batch are delivered as usual.
     *
     * @throws LinuxException with errno ENOBUFS when notifications were lost (the caller must resync)
     */
    public List<Event> readEvents() {
        Batch batch = new Batch();
        socket.receiveBatch(batch);
        if (batch.undecodable > 0) {
            lastUndecodable = "ctnetlink notification: " + batch.lastReason;
            undecodable.addAndGet(batch.undecodable);
        }
        return batch.events;
    }

    /** The events of one batch in order, an {@link Undecodable} in the place of each bad notification. */
    static final class Batch implements NetlinkSocket.Sink {
        final List<Event> events = new ArrayList<>();
        int undecodable;
        String lastReason;

        @Override
        public void message(NetlinkSocket.Message m) {
            Event e = eventOrUndecodable(m);
            if (e instanceof Undecodable u) {
                undecodable++;
                lastReason = u.reason();
            }
            if (e != null) {
                events.add(e);
            }
        }

        @Override
        public void malformed(NetlinkDecodeException e) {
            undecodable++;
            lastReason = e.getMessage();
            events.add(new Undecodable(-1, e.getMessage(), 0));
        }
    }

    /** {@link #event}, with a notification that does not decode as an {@link Undecodable}. */
    static Event eventOrUndecodable(NetlinkSocket.Message m) {
        try {
            return event(m);
        } catch (NetlinkDecodeException e) {
            return new Undecodable(m.type(), e.getMessage(), m.portId());
        }
    }

    private static final int CT_NEW = CtCodec.type(CtCodec.IPCTNL_MSG_CT_NEW);
    private static final int CT_DELETE = CtCodec.type(CtCodec.IPCTNL_MSG_CT_DELETE);
    private static final int EXP_NEW = CtExpectCodec.type(CtExpectCodec.IPCTNL_MSG_EXP_NEW);
    private static final int EXP_DELETE = CtExpectCodec.type(CtExpectCodec.IPCTNL_MSG_EXP_DELETE);

    /**
     * The event a notification carries, or null for other message types.
     *
     * @throws NetlinkDecodeException when a conntrack or expectation notification does not decode
     */
    static Event event(NetlinkSocket.Message m) throws NetlinkDecodeException {
        int t = m.type();
        if (t == CT_NEW) {
            CtEntry e = CtCodec.decode(m.body());
            boolean created = (m.flags() & (Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL)) != 0;
            return new CtEvent(created ? EventType.NEW : EventType.UPDATE, e, e.key(), m.portId());
        } else if (t == CT_DELETE) {
            return new CtEvent(EventType.DESTROY, null, CtCodec.decodeKey(m.body()), m.portId());
        } else if (t == EXP_NEW || t == EXP_DELETE) {
            return new ExpectEvent(t == EXP_DELETE, CtExpectCodec.decode(m.body()), m.portId());
        }
        return null;
    }

    @Override
    public void close() {
        socket.close();
    }
}
