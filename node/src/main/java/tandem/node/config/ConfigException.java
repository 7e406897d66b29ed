package tandem.node.config;

/** A configuration that does not validate: "file:line:column: key: what was got (expected: …)". */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message, null, false, false);
    }
}
