package tandem.lab;

/** A lab command failed; the message names the command and what it printed. */
public final class LabException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LabException(String message) {
        super(message);
    }
}
