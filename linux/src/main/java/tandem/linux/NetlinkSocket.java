package tandem.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** A netlink socket of any protocol: requests with replies, or notifications of multicast groups. */
public final class NetlinkSocket implements AutoCloseable {
    /** One message: header fields and the body after the 16-octet nlmsghdr. */
    public record Message(int type, int flags, int seq, int portId, ByteBuffer body) {
    }

    /** Takes what {@link #receiveBatch(Sink)} read, in the kernel's order. */
    public interface Sink {
        /** A message. */
        void message(Message m);

        /**
         * A datagram, or its rest, that is no sequence of netlink messages (an nlmsg_len that lies); the
         * messages before the fault went to {@link #message}.
         */
        void malformed(NetlinkDecodeException e);
    }

    /** errno EPROTO: the kernel's answer could not be read. */
    public static final int EPROTO = 71;

    private final Arena arena = Arena.ofShared();
    private final int fd;
    private int rcvbuf;
    private final int portId;
    private final String name;
    private final MemorySegment kernel;
    private final MemorySegment buf;
    private final MemorySegment msg;
    private final MemorySegment iovec;
    private MemorySegment tx;
    private MemorySegment batchBufs;
    private MemorySegment batchHdrs;
    private final java.util.concurrent.atomic.AtomicLong malformed = new java.util.concurrent.atomic.AtomicLong();
    private volatile String lastMalformed;

    public NetlinkSocket(int protocol, int groups, int rcvbuf, long timeoutMillis, String name) {
        this.name = name;
        int s = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW, protocol, name);
        try {
            try {
                Libc.setsockopt(s, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, rcvbuf, name + " SO_RCVBUFFORCE");
            } catch (LinuxException e) {
                Libc.setsockopt(s, Libc.SOL_SOCKET, Libc.SO_RCVBUF, rcvbuf, name + " SO_RCVBUF");
            }
            Libc.setReceiveTimeout(s, timeoutMillis, name);
            Libc.bind(s, SockAddr.netlink(arena, groups), name + " groups 0x" + Integer.toHexString(groups));
            MemorySegment sa = arena.allocate(12, 4);
            Libc.getsockname(s, sa, name);
            portId = sa.get(JAVA_INT, 4);
        } catch (RuntimeException e) {
            Libc.close(s);
            arena.close();
            throw e;
        }
        fd = s;
        this.rcvbuf = rcvbuf;
        kernel = SockAddr.netlink(arena, 0);
        buf = arena.allocate(1 << 17, 8);
        msg = arena.allocate(56, 8);
        iovec = arena.allocate(16, 8);
        iovec.set(ADDRESS, 0, buf);
        iovec.set(JAVA_LONG, 8, buf.byteSize());
        tx = arena.allocate(1 << 16, 8);
    }

    /**
     * Joins or leaves the multicast groups whose bits are set in {@code groups} (bit g-1 for group g).
     * Without listeners the kernel does not even build the notifications.
     */
    public void membership(int groups, boolean join) {
        for (int g = 1; g <= 32; g++) {
            if ((groups & (1 << (g - 1))) != 0) {
                Libc.setsockopt(fd, Libc.SOL_NETLINK, join ? Libc.NETLINK_ADD_MEMBERSHIP : Libc.NETLINK_DROP_MEMBERSHIP, g,
                    name + (join ? " join" : " leave") + " group " + g);
            }
        }
    }

    /**
     * Doubles the receive buffer, up to {@code max} octets (after lost notifications, like conntrackd's
     * NetlinkBufferSizeMaxGrowth); returns the new size, or the old one at the limit.
     */
    public int growReceiveBuffer(int max) {
        if (rcvbuf >= max) {
            return rcvbuf;
        }
        int next = (int) Math.min((long) rcvbuf * 2, max);
        Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVBUFFORCE, next, name + " SO_RCVBUFFORCE");
        rcvbuf = next;
        return next;
    }

    /** The port id the kernel assigned; notifications caused by this socket carry it. */
    public int portId() {
        return portId;
    }

    public void send(byte[] data) {
        if (data.length > tx.byteSize()) {
            tx = arena.allocate(Math.max(data.length, tx.byteSize() * 2), 8);
        }
        MemorySegment.copy(data, 0, tx, JAVA_BYTE, 0, data.length);
        Libc.sendto(fd, tx, data.length, kernel, name);
    }

    /**
     * Reads one datagram of messages. A datagram that is no sequence of messages (an nlmsg_len that
     * lies) yields the messages before the fault; the rest is dropped and counted ({@link #malformed()}).
     *
     * @return the messages, or {@code null} on timeout
     * @throws LinuxException ENOBUFS when the kernel dropped messages for this socket
     */
    public List<Message> receive() {
        msg.fill((byte) 0);
        msg.set(ADDRESS, 16, iovec);
        msg.set(JAVA_LONG, 24, 1);
        long n = Libc.recvmsg(fd, msg, name);
        if (n < 0) {
            return null;
        }
        byte[] data = new byte[(int) Math.min(n, buf.byteSize())];
        MemorySegment.copy(buf, JAVA_BYTE, 0, data, 0, data.length);
        List<Message> out = new ArrayList<>();
        try {
            split(data, 0, data.length, out);
        } catch (NetlinkDecodeException e) {
            countMalformed(e);
        }
        return out;
    }

    /**
     * Datagrams (or their rests) that {@link #receive()} dropped because they were no sequence of
     * netlink messages; {@link #receiveBatch(Sink)} hands those to its sink instead.
     */
    public long malformed() {
        return malformed.get();
    }

    /** Why the last of the {@link #malformed()} datagrams was dropped, or null. */
    public String lastMalformed() {
        return lastMalformed;
    }

    private void countMalformed(NetlinkDecodeException e) {
        lastMalformed = name + ": " + e.getMessage();
        malformed.incrementAndGet();
    }

    /** Datagrams one {@link #receiveBatch()} takes at most. */
    public static final int BATCH = 64;
    private static final int SLOT = 8192;
    private static final int MMSGHDR = 64;

    /**
     * Reads up to {@value #BATCH} datagrams with one recvmmsg(2): blocks (up to the socket's timeout)
     * for the first, then takes whatever else is queued. Meant for notification sockets, where the
     * kernel queues one datagram per notification.
     *
     * <p>Each datagram is split on its own: one that is no sequence of messages goes to
     * {@link Sink#malformed} in its place, and the others are delivered as usual.
     *
     * @return false on timeout (nothing delivered)
     * @throws LinuxException ENOBUFS when the kernel dropped messages for this socket, or when a
     *     notification was longer than a receive slot (also lost)
     */
    public boolean receiveBatch(Sink sink) {
        if (batchHdrs == null) {
            batchBufs = arena.allocate((long) BATCH * SLOT, 8);
            batchHdrs = arena.allocate((long) BATCH * MMSGHDR, 8);
            MemorySegment iovecs = arena.allocate(BATCH * 16L, 8);
            for (int i = 0; i < BATCH; i++) {
                iovecs.set(ADDRESS, i * 16L, batchBufs.asSlice((long) i * SLOT, SLOT));
                iovecs.set(JAVA_LONG, i * 16L + 8, SLOT);
            }
            for (int i = 0; i < BATCH; i++) {
                MemorySegment h = batchHdrs.asSlice((long) i * MMSGHDR, MMSGHDR);
                h.set(ADDRESS, 16, iovecs.asSlice(i * 16L, 16));
                h.set(JAVA_LONG, 24, 1);
            }
        }
        for (int i = 0; i < BATCH; i++) {
            batchHdrs.set(JAVA_INT, (long) i * MMSGHDR + 48, 0);
            batchHdrs.set(JAVA_INT, (long) i * MMSGHDR + 56, 0);
        }
        int got = Libc.recvmmsg(fd, batchHdrs, BATCH, Libc.MSG_WAITFORONE, name);
        if (got < 0) {
            return false;
        }
        int total = 0;
        boolean truncated = false;
        for (int i = 0; i < got; i++) {
            total += batchHdrs.get(JAVA_INT, (long) i * MMSGHDR + 56);
            truncated |= (batchHdrs.get(JAVA_INT, (long) i * MMSGHDR + 48) & Libc.MSG_TRUNC) != 0;
        }
        if (truncated) {
            throw new LinuxException("recvmmsg", name + ": a notification longer than " + SLOT + " octets was cut", Libc.ENOBUFS);
        }
        byte[] data = new byte[total];
        List<Message> out = new ArrayList<>(4);
        int at = 0;
        for (int i = 0; i < got; i++) {
            int n = batchHdrs.get(JAVA_INT, (long) i * MMSGHDR + 56);
            MemorySegment.copy(batchBufs, JAVA_BYTE, (long) i * SLOT, data, at, n);
            deliver(data, at, at + n, out, sink);
            at += n;
        }
        return true;
    }

    /**
     * Hands the messages of one datagram, {@code data[from, to)}, to {@code sink}; if the datagram is no
     * sequence of messages, the ones before the fault and then the fault. {@code scratch} is a list to
     * reuse. Pure: what {@link #receiveBatch(Sink)} does with each datagram.
     */
    public static void deliver(byte[] data, int from, int to, List<Message> scratch, Sink sink) {
        scratch.clear();
        try {
            split(data, from, to, scratch);
            scratch.forEach(sink::message);
        } catch (NetlinkDecodeException e) {
            scratch.forEach(sink::message);
            sink.malformed(e);
        }
    }

    /**
     * Splits the netlink messages of one datagram, {@code data[from, to)}, into {@code out}. A message is
     * aligned to 4 octets, the last one's padding may be missing.
     *
     * @throws NetlinkDecodeException when the rest from some message on is no message: fewer octets than
     *     a header, or an nlmsg_len below the header or past the datagram's end (the messages before it
     *     are in {@code out})
     */
    static void split(byte[] data, int from, int to, List<Message> out) throws NetlinkDecodeException {
        ByteBuffer all = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
        int off = from;
        while (off < to) {
            int left = to - off;
            if (left < 16) {
                throw new NetlinkDecodeException("netlink datagram: " + left + " octets at octet " + (off - from)
                    + " (expected: a 16-octet nlmsghdr)");
            }
            int len = all.getInt(off);
            if (len < 16 || len > left) {
                throw new NetlinkDecodeException("netlink datagram: nlmsg_len " + Integer.toUnsignedString(len)
                    + " at octet " + (off - from) + ", " + left + " octets left (expected: 16.." + left + ")");
            }
            ByteBuffer body = ByteBuffer.wrap(data, off + 16, len - 16).slice().order(ByteOrder.nativeOrder());
            out.add(new Message(all.getShort(off + 4) & 0xffff, all.getShort(off + 6) & 0xffff, all.getInt(off + 8),
                all.getInt(off + 12), body));
            off += Math.min(left, (len + 3) & ~3);
        }
    }

    /**
     * Whether {@code seq} is in {@code [first, last]} on the 32-bit circle of sequence numbers: its
     * unsigned distance from {@code first} is at most that of {@code last}, so a range may wrap through
     * Integer.MAX_VALUE and through 0 (-1 to 0 unsigned).
     */
    static boolean inRange(int seq, int first, int last) {
        return Integer.compareUnsigned(seq - first, last - first) <= 0;
    }

    /**
     * Reads replies until {@code lastSeq} is answered (its ACK/error, or for a dump NLMSG_DONE),
     * reporting the errors of [firstSeq, lastSeq] on the way: netlink handles a socket's messages in
     * order and answers failures whether an ACK was asked or not, so a batch needs an ACK only on its
     * last message. {@code onData} sees other messages, {@code onError} an errno per seq. Sequence
     * numbers compare by unsigned distance from {@code firstSeq}, so a range may wrap.
     */
    public void awaitReplies(int firstSeq, int lastSeq, Consumer<Message> onData, java.util.function.IntBinaryOperator onError) {
        while (true) {
            List<Message> ms = receive();
            if (ms == null) {
                throw new LinuxException("recvmsg", name + ": no answer from the kernel", Libc.EAGAIN);
            }
            for (Message m : ms) {
                if (!inRange(m.seq(), firstSeq, lastSeq) || m.portId() != portId && m.portId() != 0) {
                    continue;
                }
                if (m.type() == Netlink.NLMSG_ERROR) {
                    // struct nlmsgerr: int error, then the request's header; an answer too short to say
                    // is reported as a protocol error
                    int err = m.body().limit() >= 4 ? -m.body().getInt(0) : EPROTO;
                    if (err != 0) {
                        onError.applyAsInt(m.seq(), err);
                    }
                } else if (m.type() != Netlink.NLMSG_DONE) {
                    if (onData != null) {
                        onData.accept(m);
                    }
                    continue;
                }
                if (m.seq() == lastSeq) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        Libc.close(fd);
        arena.close();
    }
}
