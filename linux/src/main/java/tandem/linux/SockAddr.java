package tandem.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Builds and reads the sockaddr structures of the Linux ABI. */
public final class SockAddr {
    private SockAddr() {
    }

    /** struct sockaddr_in (16 octets) or struct sockaddr_in6 (28 octets, scope id set to ifindex). */
    public static MemorySegment inet(Arena arena, InetAddress address, int scopeIfindex) {
        byte[] a = address.getAddress();
        if (address instanceof Inet4Address) {
            MemorySegment s = arena.allocate(16, 4);
            s.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_INET);
            MemorySegment.copy(a, 0, s, ValueLayout.JAVA_BYTE, 4, 4);
            return s;
        }
        MemorySegment s = arena.allocate(28, 4);
        s.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_INET6);
        MemorySegment.copy(a, 0, s, ValueLayout.JAVA_BYTE, 8, 16);
        if (address.isLinkLocalAddress() || address.isMulticastAddress()) {
            s.set(ValueLayout.JAVA_INT, 24, scopeIfindex);
        }
        return s;
    }

    /** struct sockaddr_ll for sending a frame on {@code ifindex} to {@code mac}. */
    public static MemorySegment link(Arena arena, int ifindex, int ethertype, byte[] mac) {
        MemorySegment s = arena.allocate(20, 4);
        s.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_PACKET);
        s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 2, (short) ethertype);
        s.set(ValueLayout.JAVA_INT, 4, ifindex);
        s.set(ValueLayout.JAVA_BYTE, 11, (byte) mac.length);
        MemorySegment.copy(mac, 0, s, ValueLayout.JAVA_BYTE, 12, mac.length);
        return s;
    }

    /** struct sockaddr_nl with our port id 0 (kernel assigns) and the given multicast groups. */
    public static MemorySegment netlink(Arena arena, int groups) {
        MemorySegment s = arena.allocate(12, 4);
        s.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_NETLINK);
        s.set(ValueLayout.JAVA_INT, 8, groups);
        return s;
    }

    /** Reads the address from a sockaddr_in / sockaddr_in6. */
    public static InetAddress read(MemorySegment s) {
        int family = s.get(ValueLayout.JAVA_SHORT, 0);
        byte[] a = new byte[family == Libc.AF_INET6 ? 16 : 4];
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, family == Libc.AF_INET6 ? 8 : 4, a, 0, a.length);
        return address(a);
    }

    public static InetAddress address(byte[] a) {
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("address of " + a.length + " octets (expected: 4 or 16)", e);
        }
    }

    public static int family(InetAddress a) {
        return a instanceof Inet6Address ? Libc.AF_INET6 : Libc.AF_INET;
    }
}
