package tandem.linux.icmp;

/** A received ICMP packet that is not an echo reply of ours; the message says what was got and expected. */
public final class IcmpDecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    public IcmpDecodeException(String message) {
        super(message, null, false, false);
    }
}
