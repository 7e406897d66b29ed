package tandem.linux.icmp;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.concurrent.atomic.LongAdder;
import tandem.linux.Libc;
import tandem.linux.SockAddr;

/**
 * A raw ICMP (or ICMPv6) socket for echo requests of one identifier, optionally bound to an interface
 * (so a check of a target behind that interface leaves there). Needs CAP_NET_RAW. One thread sends,
 * one receives; replies of other identifiers and anything that is not an echo reply are skipped and
 * counted.
 */
public final class IcmpSocket implements AutoCloseable {
    private static final int BUFFER = 2048;
    private static final int IPPROTO_ICMP = 1;

    /** An echo reply from {@code source}. */
    public record Reply(InetAddress source, int sequence) {
    }

    private final boolean ipv6;
    private final int identifier;
    private final Arena arena = Arena.ofShared();
    private final int fd;
    private final MemorySegment tx = arena.allocate(BUFFER, 8);
    private final MemorySegment rx = arena.allocate(BUFFER, 8);
    private final MemorySegment rxName = arena.allocate(28, 8);
    private final MemorySegment rxIov = arena.allocate(16, 8);
    private final MemorySegment rxMsg = arena.allocate(56, 8);
    private final byte[] heap = new byte[BUFFER];
    private final LongAdder skipped = new LongAdder();
    private final String what;

    private IcmpSocket(boolean ipv6, String ifname, int identifier) {
        this.ipv6 = ipv6;
        this.identifier = identifier & 0xffff;
        this.what = (ipv6 ? "ICMPv6" : "ICMP") + " echo" + (ifname == null ? "" : " on " + ifname);
        int s = Libc.socket(ipv6 ? Libc.AF_INET6 : Libc.AF_INET, Libc.SOCK_RAW, ipv6 ? Libc.IPPROTO_ICMPV6 : IPPROTO_ICMP, what);
        try {
            if (ifname != null) {
                Libc.bindToDevice(s, ifname, what + " SO_BINDTODEVICE");
            }
            Libc.setReceiveTimeout(s, 200, what);
            if (ipv6) {
                // RFC 3542 ICMP6_FILTER: block every type but echo reply (129)
                MemorySegment filter = arena.allocate(32, 4);
                for (int i = 0; i < 8; i++) {
                    filter.set(JAVA_INT, i * 4L, i == IcmpCodec.ECHO_REPLY_V6 >> 5 ? ~(1 << (IcmpCodec.ECHO_REPLY_V6 & 31)) : -1);
                }
                Libc.setsockopt(s, Libc.IPPROTO_ICMPV6, Libc.ICMP6_FILTER, filter, what + " ICMP6_FILTER");
            }
        } catch (RuntimeException e) {
            Libc.close(s);
            arena.close();
            throw e;
        }
        fd = s;
        rxIov.set(ADDRESS, 0, rx);
        rxIov.set(JAVA_LONG, 8, BUFFER);
    }

    /** A socket for echo requests with this identifier, bound to {@code ifname} unless null. */
    public static IcmpSocket open(boolean ipv6, String ifname, int identifier) {
        return new IcmpSocket(ipv6, ifname, identifier);
    }

    /** Sends one echo request. */
    public void send(InetAddress target, int sequence, byte[] data) {
        byte[] p = IcmpCodec.echoRequest(ipv6, identifier, sequence, data);
        MemorySegment.copy(p, 0, tx, JAVA_BYTE, 0, p.length);
        try (Arena a = Arena.ofConfined()) {
            Libc.sendto(fd, tx, p.length, SockAddr.inet(a, target, 0), what + " to " + target.getHostAddress());
        }
    }

    /**
     * Waits up to its receive timeout (200 ms unless set) for an echo reply of this socket's identifier.
     *
     * @return the reply, or {@code null} on timeout (other packets are skipped and counted)
     */
    public Reply receive() {
        while (true) {
            rxMsg.fill((byte) 0);
            rxMsg.set(ADDRESS, 0, rxName);
            rxMsg.set(JAVA_INT, 8, (int) rxName.byteSize());
            rxMsg.set(ADDRESS, 16, rxIov);
            rxMsg.set(JAVA_LONG, 24, 1);
            long n = Libc.recvmsg(fd, rxMsg, what);
            if (n < 0) {
                return null;
            }
            int len = (int) Math.min(n, BUFFER);
            MemorySegment.copy(rx, JAVA_BYTE, 0, heap, 0, len);
            try {
                IcmpCodec.EchoReply r = IcmpCodec.decodeReply(heap, len, ipv6);
                if (r.identifier() == identifier) {
                    return new Reply(SockAddr.read(rxName), r.sequence());
                }
            } catch (IcmpDecodeException e) {
                // another sender's ICMP: every raw ICMP socket sees every ICMP packet
            }
            skipped.increment();
        }
    }

    /** How long {@link #receive} waits (200 ms unless set). */
    public void receiveTimeout(int millis) {
        Libc.setReceiveTimeout(fd, Math.max(1, millis), what);
    }

    /** Packets received that were not an echo reply of ours. */
    public long skipped() {
        return skipped.sum();
    }

    @Override
    public void close() {
        Libc.close(fd);
        arena.close();
    }
}
