package tandem.replication.hotwire;

/**
 * Octets from a peer that are not a valid frame or message of the sync protocol; the message says what
 * was got and what was expected. The only exception the decoders throw.
 */
public final class ProtocolException extends Exception {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message, null, false, false);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
