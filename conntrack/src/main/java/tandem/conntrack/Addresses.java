package tandem.conntrack;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Address objects for decoders that see the same few addresses over and over (conntrack tables:
 * clients, servers, VIPs): IPv4 addresses are interned in a bounded map, so a table of 100 000s of
 * entries does not hold four address objects per entry, and decoding an event allocates less.
 */
public final class Addresses {
    private static final int MAX = 1 << 16;
    private static final ConcurrentHashMap<Integer, InetAddress> V4 = new ConcurrentHashMap<>();

    private Addresses() {
    }

    /** The address of 4 or 16 octets at {@code off}; IPv4 ones interned. */
    public static InetAddress of(byte[] b, int off, int len) {
        if (len == 4) {
            return v4(((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff));
        }
        if (len != 16) {
            throw new IllegalArgumentException("address of " + len + " octets (expected: 4 or 16)");
        }
        try {
            // an IPv6 address stays one, also ::ffff:a.b.c.d (InetAddress.getByAddress would make it IPv4)
            return java.net.Inet6Address.getByAddress(null, java.util.Arrays.copyOfRange(b, off, off + len), -1);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("address of " + len + " octets (expected: 4 or 16)", e);
        }
    }

    /** The IPv4 address with this value (big-endian int), interned. */
    public static InetAddress v4(int v) {
        InetAddress a = V4.get(v);
        if (a == null) {
            try {
                a = InetAddress.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
            if (V4.size() >= MAX) {
                V4.clear();
            }
            V4.put(v, a);
        }
        return a;
    }
}
