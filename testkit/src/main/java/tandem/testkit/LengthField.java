package tandem.testkit;

/**
 * A length (or count) field of an input, for the mutator's length-field lies: {@code width} octets at
 * {@code offset}, big-endian or little-endian (netlink headers are in host order, little-endian here).
 */
public record LengthField(int offset, int width, boolean bigEndian) {
    public LengthField {
        if (width != 1 && width != 2 && width != 4) {
            throw new IllegalArgumentException("width: " + width + " (expected: 1, 2 or 4)");
        }
    }

    /** A one-octet count, e.g. the VRRP address count. */
    public static LengthField u8(int offset) {
        return new LengthField(offset, 1, true);
    }

    /** A host-order (little-endian) u16, e.g. nla_len. */
    public static LengthField u16le(int offset) {
        return new LengthField(offset, 2, false);
    }

    /** A host-order (little-endian) u32, e.g. nlmsg_len. */
    public static LengthField u32le(int offset) {
        return new LengthField(offset, 4, false);
    }

    /** The field's value in {@code b} (unsigned; -1 when the field is not inside {@code b}). */
    public long read(byte[] b) {
        if (offset < 0 || offset + width > b.length) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < width; i++) {
            int octet = b[offset + (bigEndian ? i : width - 1 - i)] & 0xff;
            v = (v << 8) | octet;
        }
        return v;
    }

    /** Writes {@code value} (its low {@code width} octets); nothing when the field is not inside {@code b}. */
    public void write(byte[] b, long value) {
        if (offset < 0 || offset + width > b.length) {
            return;
        }
        for (int i = 0; i < width; i++) {
            int shift = 8 * (bigEndian ? width - 1 - i : i);
            b[offset + i] = (byte) (value >>> shift);
        }
    }
}
