package tandem.vrrp;

/** VRRPv2 Auth Type field values (RFC 3768 section 5.3.6; RFC 2338 section 5.3.6 for AH). */
public enum AuthType {
    /** 0: no authentication. */
    NONE(0),
    /** 1: simple text password, up to 8 octets, zero padded (RFC 2338 section 5.3.6.1). */
    SIMPLE_TEXT(1),
    /** 2: IP Authentication Header; obsolete in RFC 3768 and not supported by tandem. */
    IP_AH(2);

    private final int wire;

    AuthType(int wire) {
        this.wire = wire;
    }

    public int wire() {
        return wire;
    }

    public static AuthType ofWire(int value) {
        for (AuthType t : values()) {
            if (t.wire == value) {
                return t;
            }
        }
        return null;
    }
}
