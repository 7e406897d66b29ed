package tandem.linux;

import static tandem.linux.Netlink.NLM_F_ACK;
import static tandem.linux.Netlink.NLM_F_CREATE;
import static tandem.linux.Netlink.NLM_F_DUMP;
import static tandem.linux.Netlink.NLM_F_EXCL;
import static tandem.linux.Netlink.NLM_F_REQUEST;


import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A NETLINK_ROUTE socket (rtnetlink(7)). Request mode sends one request and reads until the ACK or
 * NLMSG_DONE; monitor mode joins multicast groups and reads link/address notifications.
 *
 * <pre>
 * struct nlmsghdr (16 octets, host order)   struct ifaddrmsg (8)        struct ifinfomsg (16)
 * | u32 len | u16 type | u16 flags |        | u8 family | u8 prefixlen | | u8 family | u8 pad | u16 type |
 * | u32 seq | u32 pid              |        | u8 flags  | u8 scope     | | i32 index | u32 flags       |
 *                                           | u32 index                | | u32 change                  |
 * followed by attributes: | u16 len | u16 type | value, padded to 4 |
 * </pre>
 */
public final class Rtnetlink implements AutoCloseable {
    public static final int RTM_NEWLINK = 16;
    public static final int RTM_DELLINK = 17;
    public static final int RTM_GETLINK = 18;
    public static final int RTM_NEWADDR = 20;
    public static final int RTM_DELADDR = 21;
    public static final int RTM_GETADDR = 22;
    public static final int RTM_NEWROUTE = 24;
    public static final int RTM_DELROUTE = 25;
    static final int RTA_DST = 1;
    static final int RTA_OIF = 4;
    static final int RTA_GATEWAY = 5;
    static final int RTA_PRIORITY = 6;
    static final int RT_TABLE_MAIN = 254;
    static final int RTPROT_STATIC = 4;
    static final int RT_SCOPE_UNIVERSE = 0;
    static final int RTN_UNICAST = 1;
    static final int IFA_ADDRESS = 1;
    static final int IFA_LOCAL = 2;
    static final int IFA_FLAGS = 8;
    static final int IFLA_ADDRESS = 1;
    static final int IFLA_IFNAME = 3;
    /** IFA_F_NODAD: virtual IPv6 addresses are usable at once, like keepalived does. */
    static final int IFA_F_NODAD = 0x02;
    static final int IFA_F_SECONDARY = 0x01;
    public static final int IFF_UP = 0x1;
    public static final int IFF_RUNNING = 0x40;
    public static final int IFF_LOWER_UP = 0x10000;
    /** RTMGRP_LINK multicast group bit. */
    public static final int GROUP_LINK = 0x1;
    public static final int GROUP_IPV4_IFADDR = 0x10;
    public static final int GROUP_IPV6_IFADDR = 0x100;

    /** An interface as the kernel reports it. */
    public record Link(int index, String name, byte[] mac, int flags) {
        /** Administratively up and with carrier. */
        public boolean operational() {
            return (flags & IFF_UP) != 0 && (flags & IFF_LOWER_UP) != 0;
        }
    }

    /** An address on an interface; {@code secondary} per IFA_F_SECONDARY. */
    public record IfAddress(int index, InetAddress address, int prefixLength, int scope, int flags) {
        public boolean secondary() {
            return (flags & IFA_F_SECONDARY) != 0;
        }
    }

    /** A notification from a monitor socket: a link change, or an address added or removed. */
    public sealed interface Event {
    }

    public record LinkEvent(Link link, boolean deleted) implements Event {
    }

    public record AddressEvent(IfAddress address, boolean deleted) implements Event {
    }

    private final NetlinkSocket socket;
    /** Last sequence number used; wraps through Integer.MAX_VALUE and 0 (replies match by unsigned distance). */
    private int seq = (int) (System.nanoTime() & 0x7fffffff);
    private final java.util.concurrent.atomic.AtomicLong undecodable = new java.util.concurrent.atomic.AtomicLong();
    private volatile String lastUndecodable;

    private Rtnetlink(int groups) {
        socket = new NetlinkSocket(0 /* NETLINK_ROUTE */, groups, 1 << 20, groups == 0 ? 2000 : 200, "rtnetlink");
    }

    /** A socket for requests. */
    public static Rtnetlink open() {
        return new Rtnetlink(0);
    }

    /** A socket that receives notifications for the given RTMGRP_* bits. */
    public static Rtnetlink monitor(int groups) {
        return new Rtnetlink(groups);
    }

    // ---- requests ----

    /** Adds an address; returns false when it was already there (EEXIST). */
    public synchronized boolean addAddress(int ifindex, InetAddress address, int prefixLength) {
        ByteBuffer b = request(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
        ifaddrmsg(b, address, prefixLength, ifindex);
        attr(b, IFA_LOCAL, address.getAddress());
        attr(b, IFA_ADDRESS, address.getAddress());
        if (address instanceof Inet6Address) {
            attrInt(b, IFA_FLAGS, IFA_F_NODAD);
        }
        int err = transact(b, "RTM_NEWADDR " + address.getHostAddress() + "/" + prefixLength + " ifindex " + ifindex, null);
        if (err == Libc.EEXIST) {
            return false;
        }
        if (err != 0) {
            throw new LinuxException("rtnetlink RTM_NEWADDR", address.getHostAddress() + "/" + prefixLength
                + " on ifindex " + ifindex, err);
        }
        return true;
    }

    /** Removes an address; returns false when it was not there (EADDRNOTAVAIL). */
    public synchronized boolean removeAddress(int ifindex, InetAddress address, int prefixLength) {
        ByteBuffer b = request(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK);
        ifaddrmsg(b, address, prefixLength, ifindex);
        attr(b, IFA_LOCAL, address.getAddress());
        attr(b, IFA_ADDRESS, address.getAddress());
        int err = transact(b, "RTM_DELADDR", null);
        if (err == Libc.EADDRNOTAVAIL || err == Libc.ENODEV) {
            return false;
        }
        if (err != 0) {
            throw new LinuxException("rtnetlink RTM_DELADDR", address.getHostAddress() + "/" + prefixLength
                + " on ifindex " + ifindex, err);
        }
        return true;
    }

    /**
     * Sets a link administratively up or down (RTM_NEWLINK with IFF_UP in ifi_change); returns false
     * when it already was.
     */
    public synchronized boolean setLinkUp(int ifindex, boolean up) {
        ByteBuffer b = request(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
        // struct ifinfomsg: family, pad, type, index, flags, change
        b.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(ifindex).putInt(up ? IFF_UP : 0).putInt(IFF_UP);
        int err = transact(b, "RTM_NEWLINK ifindex " + ifindex + (up ? " up" : " down"), null);
        if (err != 0) {
            throw new LinuxException("rtnetlink RTM_NEWLINK", "ifindex " + ifindex + " " + (up ? "up" : "down"), err);
        }
        return true;
    }

    /**
     * Adds a route in the main table: {@code destination/prefixLength} (prefix 0: default route) via
     * {@code gateway} (or directly on {@code ifindex} when null), with a metric; false when it exists.
     */
    public synchronized boolean addRoute(InetAddress destination, int prefixLength, InetAddress gateway, int ifindex,
                                         int metric) {
        return route(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, destination, prefixLength,
            gateway, ifindex, metric);
    }

    /** Removes such a route; false when there was none. */
    public synchronized boolean removeRoute(InetAddress destination, int prefixLength, InetAddress gateway, int ifindex,
                                            int metric) {
        return route(RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK, destination, prefixLength, gateway, ifindex, metric);
    }

    private boolean route(int type, int flags, InetAddress dst, int prefixLength, InetAddress gateway, int ifindex, int metric) {
        ByteBuffer b = request(type, flags);
        // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags (u32)
        b.put((byte) SockAddr.family(dst)).put((byte) prefixLength).put((byte) 0).put((byte) 0)
            .put((byte) RT_TABLE_MAIN).put((byte) RTPROT_STATIC).put((byte) RT_SCOPE_UNIVERSE).put((byte) RTN_UNICAST)
            .putInt(0);
        if (prefixLength > 0) {
            attr(b, RTA_DST, dst.getAddress());
        }
        if (gateway != null) {
            attr(b, RTA_GATEWAY, gateway.getAddress());
        }
        if (ifindex > 0) {
            attrInt(b, RTA_OIF, ifindex);
        }
        attrInt(b, RTA_PRIORITY, metric);
        String what = (type == RTM_NEWROUTE ? "RTM_NEWROUTE " : "RTM_DELROUTE ") + dst.getHostAddress() + "/" + prefixLength
            + (gateway == null ? "" : " via " + gateway.getHostAddress()) + (ifindex > 0 ? " ifindex " + ifindex : "")
            + " metric " + metric;
        int err = transact(b, what, null);
        if (type == RTM_NEWROUTE && err == Libc.EEXIST || type == RTM_DELROUTE && err == Libc.ESRCH) {
            return false;
        }
        if (err != 0) {
            throw new LinuxException("rtnetlink", what, err);
        }
        return true;
    }

    /** The link with this index, or {@code null} when there is none. */
    public synchronized Link link(int index) {
        ByteBuffer b = request(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK);
        b.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(index).putInt(0).putInt(0);
        List<Link> found = new ArrayList<>();
        int err = transact(b, "RTM_GETLINK " + index, m -> {
            if (m.type() == RTM_NEWLINK) {
                try {
                    found.add(parseLink(m.body()));
                } catch (NetlinkDecodeException e) {
                    countUndecodable("rtnetlink RTM_GETLINK " + index, e);
                }
            }
        });
        if (err == Libc.ENODEV) {
            return null;
        }
        if (err != 0) {
            throw new LinuxException("rtnetlink RTM_GETLINK", "index " + index, err);
        }
        return found.isEmpty() ? null : found.getFirst();
    }

    /** The name of the interface that holds {@code address}, or {@code null}. */
    public String interfaceOf(InetAddress address) {
        int family = address instanceof java.net.Inet6Address ? Libc.AF_INET6 : Libc.AF_INET;
        for (IfAddress a : addresses(0, family)) {
            if (a.address().equals(address)) {
                Link l = link(a.index());
                return l == null ? null : l.name();
            }
        }
        return null;
    }

    /** The link with this name, or {@code null} when there is none. */
    public synchronized Link link(String name) {
        ByteBuffer b = request(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK);
        b.put((byte) 0).put((byte) 0).putShort((short) 0).putInt(0).putInt(0).putInt(0);
        byte[] n = (name + "\0").getBytes(StandardCharsets.US_ASCII);
        attr(b, IFLA_IFNAME, n);
        List<Link> found = new ArrayList<>();
        String[] bad = {null};
        int err = transact(b, "RTM_GETLINK " + name, m -> {
            if (m.type() == RTM_NEWLINK) {
                try {
                    found.add(parseLink(m.body()));
                } catch (NetlinkDecodeException e) {
                    countUndecodable("rtnetlink RTM_GETLINK " + name, e);
                    bad[0] = e.getMessage();
                }
            }
        });
        if (err == Libc.ENODEV) {
            return null;
        }
        if (err != 0) {
            throw new LinuxException("rtnetlink RTM_GETLINK", name, err);
        }
        if (found.isEmpty() && bad[0] != null) {
            // not "no such link": the kernel answered, but not readably
            throw new LinuxException("rtnetlink RTM_GETLINK", name + ": " + bad[0], NetlinkSocket.EPROTO);
        }
        return found.isEmpty() ? null : found.getFirst();
    }

    /**
     * All addresses of one family (AF_INET / AF_INET6) on {@code ifindex} (0: every interface), in kernel
     * order; one that does not decode is skipped and counted ({@link #undecodable()}).
     */
    public synchronized List<IfAddress> addresses(int ifindex, int family) {
        ByteBuffer b = request(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP);
        b.put((byte) family).put((byte) 0).put((byte) 0).put((byte) 0).putInt(0);
        List<IfAddress> out = new ArrayList<>();
        int err = transact(b, "RTM_GETADDR", m -> {
            if (m.type() == RTM_NEWADDR) {
                try {
                    IfAddress a = parseAddress(m.body());
                    if (a != null && (ifindex == 0 || a.index() == ifindex)) {
                        out.add(a);
                    }
                } catch (NetlinkDecodeException e) {
                    countUndecodable("rtnetlink RTM_GETADDR", e);
                }
            }
        });
        if (err != 0) {
            throw new LinuxException("rtnetlink RTM_GETADDR", "ifindex " + ifindex, err);
        }
        return out;
    }

    // ---- monitor ----

    /**
     * Blocks up to 200 ms for notifications. One that does not decode is dropped and counted
     * ({@link #undecodable()}); like a lost one, it leaves the state the caller tracks stale.
     *
     * @return the events read (empty on timeout)
     * @throws LinuxException with errno ENOBUFS when the kernel dropped notifications; the caller must
     *     re-read the state it tracks
     */
    public List<Event> readEvents() {
        List<NetlinkSocket.Message> ms = socket.receive();
        List<Event> out = new ArrayList<>();
        if (ms == null) {
            return out;
        }
        for (NetlinkSocket.Message m : ms) {
            try {
                Event e = event(m);
                if (e != null) {
                    out.add(e);
                }
            } catch (NetlinkDecodeException e) {
                countUndecodable("rtnetlink notification", e);
            }
        }
        return out;
    }

    /**
     * Messages from the kernel this socket dropped because they did not decode: notifications, entries of
     * address dumps, link answers, and datagrams that were no sequence of messages.
     */
    public long undecodable() {
        return undecodable.get() + socket.malformed();
    }

    /** What the last of the {@link #undecodable()} messages was, or null when there was none. */
    public String lastUndecodable() {
        String own = lastUndecodable;
        return own != null ? own : socket.lastMalformed();
    }

    private void countUndecodable(String what, NetlinkDecodeException e) {
        lastUndecodable = what + ": " + e.getMessage();
        undecodable.incrementAndGet();
    }

    /**
     * The event a link or address notification carries; null for other message types and for addresses
     * of other families.
     *
     * @throws NetlinkDecodeException when the notification does not decode
     */
    static Event event(NetlinkSocket.Message m) throws NetlinkDecodeException {
        return switch (m.type()) {
            case RTM_NEWLINK, RTM_DELLINK -> new LinkEvent(parseLink(m.body()), m.type() == RTM_DELLINK);
            case RTM_NEWADDR, RTM_DELADDR -> {
                IfAddress a = parseAddress(m.body());
                yield a == null ? null : new AddressEvent(a, m.type() == RTM_DELADDR);
            }
            default -> null;
        };
    }

    // ---- wire ----

    private ByteBuffer request(int type, int flags) {
        ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.nativeOrder());
        b.putInt(0).putShort((short) type).putShort((short) flags).putInt(++seq).putInt(0);
        return b;
    }

    private static void ifaddrmsg(ByteBuffer b, InetAddress address, int prefixLength, int ifindex) {
        b.put((byte) SockAddr.family(address)).put((byte) prefixLength).put((byte) 0).put((byte) 0).putInt(ifindex);
    }

    private static void attr(ByteBuffer b, int type, byte[] value) {
        b.putShort((short) (4 + value.length)).putShort((short) type).put(value);
        while ((b.position() & 3) != 0) {
            b.put((byte) 0);
        }
    }

    private static void attrInt(ByteBuffer b, int type, int value) {
        b.putShort((short) 8).putShort((short) type).putInt(value);
    }

    /** Sends the request and reads its replies until ACK / DONE; returns the errno (0 on success). */
    private int transact(ByteBuffer b, String what, java.util.function.Consumer<NetlinkSocket.Message> onMessage) {
        int len = b.position();
        b.putInt(0, len);
        int mySeq = b.getInt(8);
        socket.send(java.util.Arrays.copyOf(b.array(), len));
        int[] err = {0};
        socket.awaitReplies(mySeq, mySeq, onMessage, (q, e) -> err[0] = e);
        return err[0];
    }

    /** IFNAMSIZ less the NUL. */
    static final int MAX_IFNAME = 15;
    /** MAX_ADDR_LEN: the longest link-layer address. */
    static final int MAX_LINK_ADDRESS = 32;

    /**
     * Decodes an RTM_NEWLINK / RTM_DELLINK body: struct ifinfomsg, then IFLA_IFNAME and IFLA_ADDRESS (the
     * other attributes are skipped; they must still be well-formed).
     *
     * @throws NetlinkDecodeException naming what was got and what was expected
     */
    static Link parseLink(ByteBuffer body) throws NetlinkDecodeException {
        if (body.limit() < 16) {
            throw new NetlinkDecodeException("link message: " + body.limit() + " octets (expected: at least the"
                + " 16-octet ifinfomsg)");
        }
        int index = body.getInt(4);
        if (index <= 0) {
            throw new NetlinkDecodeException("link message: ifindex " + index + " (expected: 1 or more)");
        }
        String name = null;
        byte[] mac = new byte[0];
        Netlink.Attrs a = Netlink.Attrs.of(body, 16);
        while (a.nextValid("link message")) {
            if (a.type() == IFLA_IFNAME) {
                name = a.string();
                if (name.isEmpty() || name.length() > MAX_IFNAME) {
                    throw new NetlinkDecodeException("link message IFLA_IFNAME: " + name.length()
                        + " characters (expected: 1.." + MAX_IFNAME + ")");
                }
            } else if (a.type() == IFLA_ADDRESS) {
                if (a.length() > MAX_LINK_ADDRESS) {
                    throw new NetlinkDecodeException("link message IFLA_ADDRESS: " + a.length()
                        + " octets (expected: at most " + MAX_LINK_ADDRESS + ")");
                }
                mac = a.bytes();
            }
        }
        return new Link(index, name, mac, body.getInt(8));
    }

    /**
     * Decodes an RTM_NEWADDR / RTM_DELADDR body: struct ifaddrmsg, then IFA_LOCAL, IFA_ADDRESS (the
     * local address when there is no IFA_LOCAL, as for IPv6) and IFA_FLAGS.
     *
     * @return the address, or null for a family other than AF_INET and AF_INET6
     * @throws NetlinkDecodeException naming what was got and what was expected
     */
    static IfAddress parseAddress(ByteBuffer body) throws NetlinkDecodeException {
        if (body.limit() < 8) {
            throw new NetlinkDecodeException("address message: " + body.limit() + " octets (expected: at least the"
                + " 8-octet ifaddrmsg)");
        }
        int family = body.get(0) & 0xff;
        if (family != Libc.AF_INET && family != Libc.AF_INET6) {
            return null;
        }
        int octets = family == Libc.AF_INET6 ? 16 : 4;
        int prefix = body.get(1) & 0xff;
        if (prefix > octets * 8) {
            throw new NetlinkDecodeException("address message: prefix length " + prefix + " (expected: 0.."
                + octets * 8 + ")");
        }
        int index = body.getInt(4);
        if (index <= 0) {
            throw new NetlinkDecodeException("address message: ifindex " + Integer.toUnsignedString(index)
                + " (expected: 1.." + Integer.MAX_VALUE + ")");
        }
        InetAddress local = null;
        InetAddress address = null;
        int flags = body.get(2) & 0xff;
        Netlink.Attrs a = Netlink.Attrs.of(body, 8);
        while (a.nextValid("address message")) {
            switch (a.type()) {
                case IFA_LOCAL -> local = a.address(octets, family == Libc.AF_INET6
                    ? "address message IFA_LOCAL of AF_INET6" : "address message IFA_LOCAL of AF_INET");
                case IFA_ADDRESS -> address = a.address(octets, family == Libc.AF_INET6
                    ? "address message IFA_ADDRESS of AF_INET6" : "address message IFA_ADDRESS of AF_INET");
                case IFA_FLAGS -> flags = a.int32("address message IFA_FLAGS");
                default -> {
                }
            }
        }
        InetAddress found = local != null ? local : address;
        if (found == null) {
            throw new NetlinkDecodeException("address message: no IFA_LOCAL or IFA_ADDRESS (expected: the address)");
        }
        return new IfAddress(index, found, prefix, body.get(3) & 0xff, flags);
    }

    @Override
    public void close() {
        socket.close();
    }
}
