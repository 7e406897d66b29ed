package tandem.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Raw IP protocol 112 sockets for one interface and address family: a receive socket bound to the
 * device and joined to 224.0.0.18 / ff02::12 that reports the TTL / hop limit of every packet, and a
 * send-only socket (a drop-all filter keeps its queue empty) that sends to the group with TTL / hop
 * limit 255, traffic class 0xc0 (network control) and multicast loopback off. IPv4 adverts go out from
 * the interface's primary address, which the caller includes in the checksum; for IPv6 the kernel fills
 * in the checksum (IPV6_CHECKSUM) for whatever link-local source it picks.
 *
 * <p>{@link #receive()} is for one receiving thread, {@link #send} for one sending thread.
 */
public final class VrrpSocket implements AutoCloseable {
    private static final int PROTOCOL = 112;
    private static final int BUFFER = 65_536;

    /** A received packet: the VRRP payload is {@code data[offset, offset+length)}. */
    public record Packet(byte[] data, int offset, int length, InetAddress source, InetAddress destination, int ttl) {
    }

    private final String ifname;
    private final int ifindex;
    private final boolean ipv6;
    private final Arena arena = Arena.ofShared();
    private final int rxFd;
    private final int txFd;
    private final MemorySegment group;
    private final MemorySegment txBuf;
    private final MemorySegment rxBuf;
    private final MemorySegment rxName;
    private final MemorySegment rxControl;
    private final MemorySegment rxIov;
    private final MemorySegment rxMsg;
    private final byte[] rxHeap = new byte[BUFFER];
    private final InetAddress groupAddress;

    private VrrpSocket(String ifname, int ifindex, boolean ipv6, InetAddress source) {
        this.ifname = ifname;
        this.ifindex = ifindex;
        this.ipv6 = ipv6;
        this.groupAddress = ipv6 ? Groups.V6 : Groups.V4;
        int family = ipv6 ? Libc.AF_INET6 : Libc.AF_INET;
        String what = ifname + ", " + (ipv6 ? "IPv6" : "IPv4") + " VRRP";
        int rx = -1;
        int tx = -1;
        try {
            rx = Libc.socket(family, Libc.SOCK_RAW, PROTOCOL, what + " receive");
            Libc.bindToDevice(rx, ifname, what + " SO_BINDTODEVICE");
            Libc.setReceiveTimeout(rx, 200, what);
            if (ipv6) {
                Libc.setsockopt(rx, Libc.IPPROTO_IPV6, Libc.IPV6_RECVHOPLIMIT, 1, what + " IPV6_RECVHOPLIMIT");
                Libc.setsockopt(rx, Libc.IPPROTO_IPV6, Libc.IPV6_RECVPKTINFO, 1, what + " IPV6_RECVPKTINFO");
                MemorySegment mreq = arena.allocate(20, 4);
                MemorySegment.copy(Groups.V6.getAddress(), 0, mreq, JAVA_BYTE, 0, 16);
                mreq.set(JAVA_INT, 16, ifindex);
                Libc.setsockopt(rx, Libc.IPPROTO_IPV6, Libc.IPV6_JOIN_GROUP, mreq, what + " IPV6_JOIN_GROUP ff02::12");
            } else {
                MemorySegment mreqn = arena.allocate(12, 4);
                MemorySegment.copy(Groups.V4.getAddress(), 0, mreqn, JAVA_BYTE, 0, 4);
                mreqn.set(JAVA_INT, 8, ifindex);
                Libc.setsockopt(rx, Libc.IPPROTO_IP, Libc.IP_ADD_MEMBERSHIP, mreqn, what + " IP_ADD_MEMBERSHIP 224.0.0.18");
            }
            tx = Libc.socket(family, Libc.SOCK_RAW, PROTOCOL, what + " send");
            Libc.attachDropAllFilter(tx, what + " send");
            Libc.bindToDevice(tx, ifname, what + " send SO_BINDTODEVICE");
            if (ipv6) {
                Libc.setsockopt(tx, Libc.IPPROTO_IPV6, Libc.IPV6_MULTICAST_IF, ifindex, what + " IPV6_MULTICAST_IF");
                Libc.setsockopt(tx, Libc.IPPROTO_IPV6, Libc.IPV6_MULTICAST_HOPS, 255, what + " IPV6_MULTICAST_HOPS");
                Libc.setsockopt(tx, Libc.IPPROTO_IPV6, Libc.IPV6_MULTICAST_LOOP, 0, what + " IPV6_MULTICAST_LOOP");
                Libc.setsockopt(tx, Libc.IPPROTO_IPV6, Libc.IPV6_TCLASS, 0xc0, what + " IPV6_TCLASS");
                Libc.setsockopt(tx, Libc.IPPROTO_IPV6, Libc.IPV6_CHECKSUM, 6, what + " IPV6_CHECKSUM");
            } else {
                MemorySegment mreqn = arena.allocate(12, 4);
                mreqn.set(JAVA_INT, 8, ifindex);
                Libc.setsockopt(tx, Libc.IPPROTO_IP, Libc.IP_MULTICAST_IF, mreqn, what + " IP_MULTICAST_IF");
                Libc.setsockopt(tx, Libc.IPPROTO_IP, Libc.IP_MULTICAST_TTL, 255, what + " IP_MULTICAST_TTL");
                Libc.setsockopt(tx, Libc.IPPROTO_IP, Libc.IP_MULTICAST_LOOP, 0, what + " IP_MULTICAST_LOOP");
                Libc.setsockopt(tx, Libc.IPPROTO_IP, Libc.IP_TOS, 0xc0, what + " IP_TOS");
                Libc.bind(tx, SockAddr.inet(arena, source, 0), what + " send from " + source.getHostAddress());
            }
        } catch (RuntimeException e) {
            Libc.close(rx);
            Libc.close(tx);
            arena.close();
            throw e;
        }
        this.rxFd = rx;
        this.txFd = tx;
        this.group = SockAddr.inet(arena, groupAddress, ifindex);
        this.txBuf = arena.allocate(BUFFER, 8);
        this.rxBuf = arena.allocate(BUFFER, 8);
        this.rxName = arena.allocate(28, 8);
        this.rxControl = arena.allocate(256, 8);
        this.rxIov = arena.allocate(16, 8);
        rxIov.set(ADDRESS, 0, rxBuf);
        rxIov.set(JAVA_LONG, 8, BUFFER);
        this.rxMsg = arena.allocate(56, 8);
    }

    /**
     * Opens the sockets. For IPv4, {@code source} is the interface's primary address the adverts are
     * sent from; for IPv6 it is ignored.
     */
    public static VrrpSocket open(String ifname, int ifindex, boolean ipv6, InetAddress source) {
        if (!ipv6 && !(source instanceof Inet4Address)) {
            throw new IllegalArgumentException("IPv4 VRRP socket on " + ifname + ": source " + source
                + " (expected: the interface's primary IPv4 address)");
        }
        return new VrrpSocket(ifname, ifindex, ipv6, source);
    }

    public String ifname() {
        return ifname;
    }

    public int ifindex() {
        return ifindex;
    }

    public boolean ipv6() {
        return ipv6;
    }

    public InetAddress group() {
        return groupAddress;
    }

    /** Sends one VRRP message to the group. */
    public synchronized void send(byte[] payload) {
        MemorySegment.copy(payload, 0, txBuf, JAVA_BYTE, 0, payload.length);
        if (ipv6) {
            txBuf.set(JAVA_BYTE, 6, (byte) 0); // the kernel computes the checksum
            txBuf.set(JAVA_BYTE, 7, (byte) 0);
        }
        Libc.sendto(txFd, txBuf, payload.length, group, ifname + " VRRP advert");
    }

    /**
     * Blocks up to 200 ms for one packet.
     *
     * @return the packet, or {@code null} on timeout. Packets too short to carry an IP header are
     *     returned with length -1 so the caller can count them.
     */
    public Packet receive() {
        rxMsg.fill((byte) 0);
        rxMsg.set(ADDRESS, 0, rxName);
        rxMsg.set(JAVA_INT, 8, (int) rxName.byteSize());
        rxMsg.set(ADDRESS, 16, rxIov);
        rxMsg.set(JAVA_LONG, 24, 1);
        rxMsg.set(ADDRESS, 32, rxControl);
        rxMsg.set(JAVA_LONG, 40, rxControl.byteSize());
        long n = Libc.recvmsg(rxFd, rxMsg, ifname + " VRRP");
        if (n < 0) {
            return null;
        }
        int len = (int) n;
        MemorySegment.copy(rxBuf, JAVA_BYTE, 0, rxHeap, 0, len);
        InetAddress src = SockAddr.read(rxName);
        if (!ipv6) {
            // IPv4 raw sockets deliver the IP header: version/IHL, TTL at 8, destination at 16.
            if (len < 20 || (rxHeap[0] & 0xf0) != 0x40) {
                return new Packet(rxHeap, 0, -1, src, null, 0);
            }
            int ihl = (rxHeap[0] & 0x0f) * 4;
            if (ihl < 20 || len < ihl) {
                return new Packet(rxHeap, 0, -1, src, null, 0);
            }
            byte[] d = new byte[4];
            System.arraycopy(rxHeap, 16, d, 0, 4);
            return new Packet(rxHeap, ihl, len - ihl, src, SockAddr.address(d), rxHeap[8] & 0xff);
        }
        int ttl = -1;
        InetAddress dst = Groups.V6;
        long controlLen = rxMsg.get(JAVA_LONG, 40);
        long off = 0;
        while (off + 16 <= controlLen) {
            long cmsgLen = rxControl.get(JAVA_LONG, off);
            int level = rxControl.get(JAVA_INT, off + 8);
            int type = rxControl.get(JAVA_INT, off + 12);
            if (cmsgLen < 16) {
                break;
            }
            if (level == Libc.IPPROTO_IPV6 && type == Libc.IPV6_HOPLIMIT) {
                ttl = rxControl.get(JAVA_INT, off + 16);
            } else if (level == Libc.IPPROTO_IPV6 && type == Libc.IPV6_PKTINFO) {
                byte[] d = new byte[16];
                MemorySegment.copy(rxControl, JAVA_BYTE, off + 16, d, 0, 16);
                dst = SockAddr.address(d);
            }
            off += (cmsgLen + 7) & ~7L;
        }
        return new Packet(rxHeap, 0, len, src, dst, ttl);
    }

    @Override
    public void close() {
        Libc.close(rxFd);
        Libc.close(txFd);
        arena.close();
    }

    /** The VRRP groups, kept here so the Linux layer does not depend on the protocol module. */
    private static final class Groups {
        static final InetAddress V4 = SockAddr.address(new byte[] {(byte) 224, 0, 0, 18});
        static final InetAddress V6 = SockAddr.address(new byte[] {
            (byte) 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12});
    }
}
