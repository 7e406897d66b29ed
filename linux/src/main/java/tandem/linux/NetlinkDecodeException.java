package tandem.linux;

/**
 * Netlink octets that do not decode: a message, attribute or datagram from the kernel that is not what
 * its type promises. The message says what was got and what was expected, e.g. "conntrack message: no
 * CTA_TUPLE_ORIG (expected: the original tuple)". Callers count and drop the message; nothing else ever
 * escapes a netlink decoder.
 */
public final class NetlinkDecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    public NetlinkDecodeException(String message) {
        super(message, null, false, false);
    }
}
