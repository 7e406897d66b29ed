package tandem.vrrp;

/**
 * Why a received advertisement was discarded, in the order the checks run: cheap, packet-local checks
 * first (RFC 5798 section 7.1, RFC 3768 section 7.1), then checks against the virtual router's
 * configuration. Each reason has one counter per virtual router.
 */
public enum DropReason {
    /** IPv4 TTL or IPv6 Hop Limit is not 255 (RFC 5798 section 7.1). */
    TTL("ttl"),
    /** Shorter than the header, or than the addresses (and v2 auth data) it announces. */
    LENGTH("length"),
    /** The checksum does not verify. */
    CHECKSUM("checksum"),
    /** Version is not one tandem speaks, or not the version the virtual router is configured for. */
    VERSION("version"),
    /** Type is not ADVERTISEMENT. */
    TYPE("type"),
    /** No virtual router with this VRID on the receiving interface and address family. */
    VRID("vrid"),
    /** v2 authentication type or password differs from the configuration. */
    AUTH("auth"),
    /** Address count or address list differs from the configured virtual addresses. */
    ADDRESSES("addresses"),
    /** Interval of zero, or a v2 advertisement interval other than the configured one (RFC 3768 section 7.1). */
    INTERVAL("interval");

    private final String label;

    DropReason(String label) {
        this.label = label;
    }

    /** Short lower-case name used in counters, logs and {@code tandem info}. */
    public String label() {
        return label;
    }
}
