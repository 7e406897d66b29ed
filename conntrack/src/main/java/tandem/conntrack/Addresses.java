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

    /**
     * The text form of an address: dotted quad for IPv4, RFC 5952 for IPv6 (lower case, leading zeros
     * dropped, the longest run of two or more zero groups - the first of equal ones - as "::").
     */
    public static String format(InetAddress a) {
        byte[] b = a.getAddress();
        if (b.length == 4) {
            return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
        }
        boolean mapped = b[10] == (byte) 0xff && b[11] == (byte) 0xff;
        for (int i = 0; i < 10 && mapped; i++) {
            mapped = b[i] == 0;
        }
        if (mapped) { // RFC 5952 section 5: IPv4-mapped addresses end in dotted decimal
            return "::ffff:" + (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        return sb.toString();
    }
}
