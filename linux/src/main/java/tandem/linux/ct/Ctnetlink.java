package tandem.linux.ct;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tandem.linux.Libc;
import tandem.linux.LinuxException;
import tandem.linux.Netlink;
import tandem.linux.NetlinkSocket;

/**
 * The conntrack table over ctnetlink (NETLINK_NETFILTER): dump, create/update/delete in batches, and
 * NEW/UPDATE/DESTROY notifications. Events carry the port id of the socket that caused them, so a node
 * can ignore the echo of its own injections.
 */
public final class Ctnetlink implements AutoCloseable {
    private static final int NETLINK_NETFILTER = 12;
    /** NFNLGRP_CONNTRACK_NEW | _UPDATE | _DESTROY as group bits. */
    private static final int EVENT_GROUPS = 0x1 | 0x2 | 0x4;
    private static final int BATCH_BYTES = 48 * 1024;

    public enum EventType { NEW, UPDATE, DESTROY }

    /** A notification; {@code entry} is null for DESTROY. */
    public record Event(EventType type, CtEntry entry, CtEntry.Key key, int portId) {
    }

    /** What a commit did: entries created, stale ones replaced, failures. */
    public record CommitResult(int created, int replaced, int failed, String firstError) {
    }

    private final NetlinkSocket socket;
    private int seq = 1;
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

    /** A socket receiving NEW/UPDATE/DESTROY notifications (16 MiB receive buffer). */
    public static Ctnetlink events() {
        return new Ctnetlink(EVENT_GROUPS, 16 << 20, 200);
    }

    public int portId() {
        return socket.portId();
    }

    /** Every entry of the table, both families. */
    public List<CtEntry> dump() {
        Netlink.Writer w = new Netlink.Writer(64);
        int s = seq++;
        w.message(CtCodec.type(CtCodec.IPCTNL_MSG_CT_GET), Netlink.NLM_F_REQUEST | Netlink.NLM_F_DUMP, s)
            .raw(CtCodec.nfgenmsg(0)).endMessage();
        socket.send(w.toBytes());
        List<CtEntry> out = new ArrayList<>();
        int[] err = {0};
        socket.awaitReplies(s, s, m -> {
            if (m.type() == CtCodec.type(CtCodec.IPCTNL_MSG_CT_NEW)) {
                out.add(CtCodec.decode(m.body()));
            }
        }, (q, e) -> err[0] = e);
        if (err[0] != 0) {
            throw new LinuxException("ctnetlink dump", "conntrack table", err[0]);
        }
        return out;
    }

    /**
     * Writes entries into the kernel table, each created with its NAT binding. An entry that exists
     * already (EEXIST) is stale - this node did not forward the flow - and is replaced: deleted and
     * created again, so TCP window tracking starts afresh from the next packet instead of from an old
     * window.
     */
    public CommitResult commit(Collection<CtEntry> entries) {
        Outcome o = new Outcome();
        Netlink.Writer w = new Netlink.Writer(BATCH_BYTES + 4096);
        int createFlags = Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK | Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL;
        int created = send(entries, w, createFlags, true, o);
        if (!o.busy.isEmpty()) {
            // EBUSY on create: this kernel wants the status without IPS_CONFIRMED (or the reverse)
            confirmedOnCreate = !confirmedOnCreate;
            List<CtEntry> retry = new ArrayList<>(o.busy);
            o.busy.clear();
            created += send(retry, w, createFlags, true, o);
            o.failed += o.busy.size();
            o.busy.clear();
        }
        List<CtEntry> exists = new ArrayList<>(o.exists);
        o.exists.clear();
        delete(exists.stream().map(CtEntry::key).toList());
        int replaced = send(exists, w, createFlags, true, o);
        o.failed += o.busy.size() + o.exists.size();
        return new CommitResult(created, replaced, o.failed, o.firstError);
    }

    private static final class Outcome {
        final List<CtEntry> exists = new ArrayList<>();
        final List<CtEntry> busy = new ArrayList<>();
        int failed;
        String firstError;
    }

    /** Sends entries in batches of up to 200 messages; returns how many the kernel accepted. */
    private int send(Collection<CtEntry> entries, Netlink.Writer w, int flags, boolean create, Outcome o) {
        int ok = 0;
        List<CtEntry> batch = new ArrayList<>(200);
        for (CtEntry e : entries) {
            batch.add(e);
            if (batch.size() == 200) {
                ok += flush(batch, w, flags, create, o);
            }
        }
        return ok + flush(batch, w, flags, create, o);
    }

    private int flush(List<CtEntry> batch, Netlink.Writer w, int flags, boolean create, Outcome o) {
        if (batch.isEmpty()) {
            return 0;
        }
        w.reset();
        Map<Integer, CtEntry> bySeq = new HashMap<>();
        int firstSeq = seq;
        for (CtEntry e : batch) {
            int s = seq++;
            bySeq.put(s, e);
            CtCodec.writeNew(w, e, create, !create || confirmedOnCreate, flags, s);
        }
        socket.send(w.toBytes());
        int[] bad = {0};
        socket.awaitReplies(firstSeq, seq - 1, null, (s, err) -> {
            CtEntry e = bySeq.get(s);
            bad[0]++;
            if (create && err == Libc.EEXIST) {
                o.exists.add(e);
            } else if (create && err == EBUSY) {
                o.busy.add(e);
            } else {
                o.failed++;
                if (o.firstError == null) {
                    o.firstError = (create ? "create " : "update ") + e + ": " + Libc.strerror(err) + " (errno " + err + ")";
                }
            }
            return 0;
        });
        batch.clear();
        return bySeq.size() - bad[0];
    }

    private static final int EBUSY = 16;

    /** Deletes entries by key; returns how many were there. */
    public int delete(Collection<CtEntry.Key> keys) {
        Netlink.Writer w = new Netlink.Writer(BATCH_BYTES + 4096);
        int deleted = 0;
        List<CtEntry.Key> list = new ArrayList<>(keys);
        for (int i = 0; i < list.size(); i += 300) {
            w.reset();
            int firstSeq = seq;
            for (CtEntry.Key k : list.subList(i, Math.min(list.size(), i + 300))) {
                CtCodec.writeDelete(w, k, Netlink.NLM_F_REQUEST | Netlink.NLM_F_ACK, seq++);
            }
            socket.send(w.toBytes());
            int[] missing = {0};
            socket.awaitReplies(firstSeq, seq - 1, null, (s, err) -> missing[0]++);
            deleted += (seq - firstSeq) - missing[0];
        }
        return deleted;
    }

    /**
     * Blocks up to 200 ms for notifications, then returns all that are queued (up to
     * {@value NetlinkSocket#BATCH} datagrams).
     *
     * @throws LinuxException with errno ENOBUFS when notifications were lost (the caller must resync)
     */
    public List<Event> readEvents() {
        List<NetlinkSocket.Message> ms = socket.receiveBatch();
        List<Event> out = new ArrayList<>();
        if (ms == null) {
            return out;
        }
        int newType = CtCodec.type(CtCodec.IPCTNL_MSG_CT_NEW);
        int delType = CtCodec.type(CtCodec.IPCTNL_MSG_CT_DELETE);
        for (NetlinkSocket.Message m : ms) {
            if (m.type() == newType) {
                CtEntry e = CtCodec.decode(m.body());
                boolean created = (m.flags() & (Netlink.NLM_F_CREATE | Netlink.NLM_F_EXCL)) != 0;
                out.add(new Event(created ? EventType.NEW : EventType.UPDATE, e, e.key(), m.portId()));
            } else if (m.type() == delType) {
                out.add(new Event(EventType.DESTROY, null, CtCodec.decodeKey(m.body()), m.portId()));
            }
        }
        return out;
    }

    @Override
    public void close() {
        socket.close();
    }
}
