package tandem.vrrp;

/**
 * How the VRRPv3 checksum over IPv4 is computed.
 *
 * <p>RFC 5798 section 5.2.8 computes the v3 checksum over an IP pseudo-header plus the VRRP message;
 * RFC 9568 section 5.2.8 keeps that and states it applies to IPv4 too. Some early v3 implementations
 * computed the IPv4 checksum like VRRPv2, over the VRRP message alone. keepalived includes the
 * pseudo-header, so {@link #RFC9568} is the default. IPv6 always uses the pseudo-header (RFC 8200
 * section 8.1) and VRRPv2 never does (RFC 3768 section 5.3.8), whatever this mode says.
 */
public enum ChecksumMode {
    /** Pseudo-header included for v3 over IPv4 (RFC 5798/9568, keepalived default). */
    RFC9568,
    /** v3 over IPv4 checksummed like VRRPv2, without the pseudo-header (interop with old peers). */
    NO_PSEUDO_HEADER
}
