package tandem.vrrp;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Encodes and decodes VRRP ADVERTISEMENT messages (the IP payload; the IP header is the kernel's).
 *
 * <pre>
 * VRRPv3 (RFC 5798 section 5.1, RFC 9568 section 5.1)
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Type  | Virtual Rtr ID|   Priority    |Count IPvX Addr|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |(rsvd) |     Max Adver Int     |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                 IPvX Address(es) (4 or 16 octets each)        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   Max Adver Int: 12 bits, centiseconds.  Checksum: over the message
 *   and the IP pseudo-header (see {@link ChecksumMode} for IPv4).
 *
 * VRRPv2 (RFC 3768 section 5.1), IPv4 only
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Type  | Virtual Rtr ID|   Priority    | Count IP Addrs|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |   Auth Type   |   Adver Int   |          Checksum             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                   IP Address(es) (4 octets each)              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |             Authentication Data (8 octets, always present)    |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   Adver Int: seconds.  Checksum: over the message only.
 * </pre>
 *
 * <p>Stateless and allocation-light; no I/O. Source and destination addresses are only used for the
 * pseudo-header and to tell the address family.
 */
public final class VrrpCodec {
    private VrrpCodec() {
    }

    /** Encodes {@code adv} as sent from {@code src} to {@code dst}, with the checksum filled in. */
    public static byte[] encode(VrrpAdvertisement adv, InetAddress src, InetAddress dst, ChecksumMode mode) {
        boolean v6 = src instanceof Inet6Address;
        int addrLen = v6 ? 16 : 4;
        boolean v2 = adv.version() == VrrpVersion.V2;
        if (v2 && v6) {
            throw new IllegalArgumentException("VRRPv2 over IPv6: not defined (expected: IPv4 for version 2)");
        }
        int count = adv.addresses().size();
        if (count > 255) {
            throw new IllegalArgumentException("address count: " + count + " (expected: at most 255)");
        }
        int len = VrrpConstants.HEADER_LENGTH + count * addrLen + (v2 ? VrrpConstants.V2_AUTH_DATA_LENGTH : 0);
        byte[] out = new byte[len];
        out[0] = (byte) ((adv.version().wire() << 4) | VrrpConstants.TYPE_ADVERTISEMENT);
        out[1] = (byte) adv.vrid();
        out[2] = (byte) adv.priority();
        out[3] = (byte) count;
        if (v2) {
            if (adv.intervalCentis() % 100 != 0 || adv.intervalCentis() / 100 < 1 || adv.intervalCentis() / 100 > 255) {
                throw new IllegalArgumentException("v2 advertisement interval: " + adv.intervalCentis() * 10
                    + "ms (expected: whole seconds, 1..255 s)");
            }
            out[4] = (byte) adv.authType().wire();
            out[5] = (byte) (adv.intervalCentis() / 100);
        } else {
            if (adv.intervalCentis() < 1 || adv.intervalCentis() > VrrpConstants.V3_MAX_INTERVAL_CENTIS) {
                throw new IllegalArgumentException("v3 max advertise interval: " + adv.intervalCentis()
                    + " centiseconds (expected: 1..4095)");
            }
            out[4] = (byte) ((adv.intervalCentis() >>> 8) & 0x0f);
            out[5] = (byte) adv.intervalCentis();
        }
        int p = VrrpConstants.HEADER_LENGTH;
        for (InetAddress a : adv.addresses()) {
            byte[] b = a.getAddress();
            if (b.length != addrLen) {
                throw new IllegalArgumentException("virtual address " + tandem.vrrp.AddressText.format(a)
                    + ": wrong family (expected: " + (v6 ? "IPv6" : "IPv4") + ")");
            }
            System.arraycopy(b, 0, out, p, addrLen);
            p += addrLen;
        }
        if (v2) {
            byte[] auth = adv.authData();
            System.arraycopy(auth, 0, out, p, Math.min(auth.length, VrrpConstants.V2_AUTH_DATA_LENGTH));
        }
        int sum = checksum(adv.version(), mode, src, dst, out, 0, len);
        out[6] = (byte) (sum >>> 8);
        out[7] = (byte) sum;
        return out;
    }

    /**
     * Decodes and checks the packet-local rules in the order length, checksum, version, type, VRID,
     * auth type, interval. The TTL is checked by the caller, which has the IP header.
     *
     * <p>Whatever the octets and whatever {@code off} and {@code len} say, the only exception is
     * {@link VrrpDecodeException} (null arguments are the caller's bug: NullPointerException).
     *
     * @throws VrrpDecodeException with the {@link DropReason} of the first failed check
     */
    public static VrrpAdvertisement decode(byte[] buf, int off, int len, InetAddress src, InetAddress dst,
                                           ChecksumMode mode) throws VrrpDecodeException {
        Objects.requireNonNull(buf, "buf");
        Objects.requireNonNull(src, "src");
        Objects.requireNonNull(dst, "dst");
        boolean v6 = src instanceof Inet6Address;
        int addrLen = v6 ? 16 : 4;
        if (off < 0 || len < 0 || off > buf.length - len) {
            throw new VrrpDecodeException(DropReason.LENGTH, "packet: " + len + " octets at offset " + off
                + " (expected: within the " + buf.length + "-octet buffer)");
        }
        if (len < VrrpConstants.HEADER_LENGTH) {
            throw new VrrpDecodeException(DropReason.LENGTH, "packet length: " + len + " octets (expected: at least "
                + VrrpConstants.HEADER_LENGTH + ")");
        }
        int versionNibble = (buf[off] & 0xff) >>> 4;
        VrrpVersion version = VrrpVersion.ofWire(versionNibble);
        int count = buf[off + 3] & 0xff;
        int needed = VrrpConstants.HEADER_LENGTH + count * addrLen
            + (version == VrrpVersion.V2 ? VrrpConstants.V2_AUTH_DATA_LENGTH : 0);
        if (len < needed) {
            throw new VrrpDecodeException(DropReason.LENGTH, "packet length: " + len + " octets (expected: at least "
                + needed + " for " + count + " addresses)");
        }
        int computed = checksum(version == null ? VrrpVersion.V3 : version, mode, src, dst, buf, off, len);
        if (computed != 0) {
            int stored = ((buf[off + 6] & 0xff) << 8) | (buf[off + 7] & 0xff);
            throw new VrrpDecodeException(DropReason.CHECKSUM, String.format(
                "checksum: 0x%04x does not verify (expected: 0x%04x)", stored, expectedChecksum(buf, off, len,
                    version == null ? VrrpVersion.V3 : version, mode, src, dst)));
        }
        if (version == null) {
            throw new VrrpDecodeException(DropReason.VERSION, "version: " + versionNibble + " (expected: 2 or 3)");
        }
        if (version == VrrpVersion.V2 && v6) {
            throw new VrrpDecodeException(DropReason.VERSION, "version: 2 over IPv6 (expected: 3)");
        }
        int type = buf[off] & 0x0f;
        if (type != VrrpConstants.TYPE_ADVERTISEMENT) {
            throw new VrrpDecodeException(DropReason.TYPE, "type: " + type + " (expected: 1 ADVERTISEMENT)");
        }
        int vrid = buf[off + 1] & 0xff;
        if (vrid == 0) {
            throw new VrrpDecodeException(DropReason.VRID, "vrid: 0 (expected: 1..255)");
        }
        int priority = buf[off + 2] & 0xff;
        int interval;
        AuthType auth = AuthType.NONE;
        if (version == VrrpVersion.V2) {
            auth = AuthType.ofWire(buf[off + 4] & 0xff);
            if (auth == null) {
                throw new VrrpDecodeException(DropReason.AUTH, "auth type: " + (buf[off + 4] & 0xff)
                    + " (expected: 0 none or 1 simple text)");
            }
            interval = (buf[off + 5] & 0xff) * 100;
            if (interval == 0) {
                // a zero interval would make every backup's Master_Down_Interval zero: constant takeovers
                throw new VrrpDecodeException(DropReason.INTERVAL, "advertisement interval: 0 s (expected: 1..255)");
            }
        } else {
            interval = ((buf[off + 4] & 0x0f) << 8) | (buf[off + 5] & 0xff);
            if (interval == 0) {
                throw new VrrpDecodeException(DropReason.INTERVAL,
                    "max advertise interval: 0 centiseconds (expected: 1..4095)");
            }
        }
        List<InetAddress> addresses = new ArrayList<>(count);
        int p = off + VrrpConstants.HEADER_LENGTH;
        byte[] a = new byte[addrLen];
        for (int i = 0; i < count; i++, p += addrLen) {
            System.arraycopy(buf, p, a, 0, addrLen);
            try {
                // Inet6Address even for an IPv4-mapped ::ffff:a.b.c.d, which getByAddress turns into IPv4
                addresses.add(v6 ? Inet6Address.getByAddress(null, a, -1) : InetAddress.getByAddress(a));
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        }
        byte[] authData = null;
        if (version == VrrpVersion.V2) {
            authData = new byte[VrrpConstants.V2_AUTH_DATA_LENGTH];
            System.arraycopy(buf, p, authData, 0, authData.length);
        }
        return new VrrpAdvertisement(version, vrid, priority, interval, addresses, auth, authData);
    }

    /** Checksum over the message in {@code buf} (its checksum field included) for the given version. */
    static int checksum(VrrpVersion version, ChecksumMode mode, InetAddress src, InetAddress dst,
                        byte[] buf, int off, int len) {
        boolean pseudo = version == VrrpVersion.V3
            && (src instanceof Inet6Address || (src instanceof Inet4Address && mode == ChecksumMode.RFC9568));
        return pseudo
            ? InternetChecksum.withPseudoHeader(src, dst, VrrpConstants.IP_PROTOCOL, buf, off, len)
            : InternetChecksum.of(buf, off, len);
    }

    private static int expectedChecksum(byte[] buf, int off, int len, VrrpVersion version, ChecksumMode mode,
                                        InetAddress src, InetAddress dst) {
        byte[] copy = java.util.Arrays.copyOfRange(buf, off, off + len);
        copy[6] = 0;
        copy[7] = 0;
        return checksum(version, mode, src, dst, copy, 0, len);
    }
}
