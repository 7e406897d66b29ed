package tandem.node.control;

/** A control-socket request that does not parse; the message says what was got and what was expected. */
public final class ControlRequestException extends Exception {
    private static final long serialVersionUID = 1L;

    public ControlRequestException(String message) {
        super(message, null, false, false);
    }
}
