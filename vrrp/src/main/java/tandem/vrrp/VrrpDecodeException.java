package tandem.vrrp;

/** A received VRRP packet that is discarded; carries the counted {@link DropReason}. */
public final class VrrpDecodeException extends Exception {
    private static final long serialVersionUID = 1L;
    private final DropReason reason;

    public VrrpDecodeException(DropReason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public DropReason reason() {
        return reason;
    }
}
