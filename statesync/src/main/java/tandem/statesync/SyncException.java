package tandem.statesync;

/** A sync-link datagram that is dropped; carries the counted reason. */
public final class SyncException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why a datagram was dropped, one counter each. */
    public enum Reason {
        /** Shorter than the header and tag, wrong magic or unknown version. */
        MALFORMED("malformed"),
        /** Authentication failed: wrong key or tampered. */
        AUTH("auth"),
        /** Counter already seen or too old for the window, or a session older than the current one. */
        REPLAY("replay"),
        /** Decrypted but the message inside does not parse. */
        DECODE("decode"),
        /** Sent by this node itself. */
        OWN("own");

        private final String label;

        Reason(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final Reason reason;

    public SyncException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
