package tandem.replication.hotwire;

/** A hotwire request that failed before or without a result from the peer; {@link #kind()} says how. */
public final class HotwireException extends Exception {
    private static final long serialVersionUID = 1L;

    /** How a request failed. */
    public enum Kind {
        /** No trusted key for the peer on this node. */
        NOT_TRUSTED,
        /** Connection refused, connect or handshake timed out: the peer is down or not listening. */
        UNREACHABLE,
        /** The peer presented another host key than the one trusted for it. */
        HOST_KEY,
        /** The peer refused this node's key. */
        AUTH,
        /** The request's deadline passed, or the connection was lost during it. */
        TIMEOUT,
        /** Frames or messages that make no sense, a protocol version mismatch, a limit exceeded. */
        PROTOCOL,
        /** The peer answered with an error (it could not serve the request). */
        REMOTE
    }

    private final Kind kind;

    public HotwireException(Kind kind, String message) {
        super(message, null, false, false);
        this.kind = kind;
    }

    public HotwireException(Kind kind, String message, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
