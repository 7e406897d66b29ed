package tandem.node.config;

import java.util.List;

/**
 * A configuration that does not validate. Each error is one line "file:line:column: key: what was got
 * (expected: …)"; the message holds every error found, one per line, in file order.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final List<String> errors;

    public ConfigException(String message) {
        this(List.of(message.split("\n", -1)));
    }

    /** Several errors, in the order given (at least one). */
    public ConfigException(List<String> errors) {
        super(String.join("\n", errors), null, false, false);
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one error");
        }
        this.errors = List.copyOf(errors);
    }

    /** Every error, one line each, in file order. */
    public List<String> errors() {
        return errors;
    }
}
