package tandem.vrrp;

/** VRRP protocol versions tandem speaks; the wire value is the high nibble of the first octet. */
public enum VrrpVersion {
    /** RFC 3768: IPv4 only, advertisement interval in seconds, optional simple-text authentication. */
    V2(2),
    /** RFC 5798 / RFC 9568: IPv4 and IPv6, 12-bit Max Advertise Interval in centiseconds, no authentication. */
    V3(3);

    private final int wire;

    VrrpVersion(int wire) {
        this.wire = wire;
    }

    public int wire() {
        return wire;
    }

    /** @return the version for a wire nibble, or {@code null} when tandem does not speak it. */
    public static VrrpVersion ofWire(int nibble) {
        return switch (nibble) {
            case 2 -> V2;
            case 3 -> V3;
            default -> null;
        };
    }
}
