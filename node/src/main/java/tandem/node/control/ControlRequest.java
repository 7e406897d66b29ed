package tandem.node.control;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * One request on the control socket: a line of at most {@value #MAX_LENGTH} printable ASCII octets,
 * a verb and optional arguments separated by single spaces, ended by a newline (or the end of the
 * connection's input).
 *
 * <pre>
 *   info                 the node's state (JSON)
 *   conntrack-stats      the connection-state sync's counters (JSON)
 *   conntrack-cache      the replicated connections this standby holds (JSON, streamed)
 *   config-sync          push the shared configuration and files to the peers now (JSON, when done)
 *   config-diff          unified diffs per replicated file against each peer (JSON)
 *   config-files         the replicated files, items, exceptions and generations (JSON)
 *   config-rollback      restore the files of before the newest generation (JSON, when done)
 * </pre>
 */
public record ControlRequest(Verb verb, List<String> arguments) {
    public static final int MAX_LENGTH = 256;

    /** What a request asks for. */
    public enum Verb {
        INFO("info"),
        CONNTRACK_STATS("conntrack-stats"),
        CONNTRACK_CACHE("conntrack-cache"),
        CONFIG_SYNC("config-sync"),
        CONFIG_DIFF("config-diff"),
        CONFIG_FILES("config-files"),
        CONFIG_ROLLBACK("config-rollback");

        private final String wire;

        Verb(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        static Verb of(String s) {
            for (Verb v : values()) {
                if (v.wire.equals(s)) {
                    return v;
                }
            }
            return null;
        }
    }

    public ControlRequest {
        arguments = List.copyOf(arguments);
    }

    /** The line this request is sent as (with its newline). */
    public String line() {
        return (arguments.isEmpty() ? verb.wire() : verb.wire() + " " + String.join(" ", arguments)) + "\n";
    }

    /**
     * Parses {@code data[0, length)}.
     *
     * @throws ControlRequestException saying what was got and what was expected
     */
    public static ControlRequest parse(byte[] data, int length) throws ControlRequestException {
        if (length < 0 || length > data.length) {
            throw new ControlRequestException("request: " + length + " octets (expected: 1.." + MAX_LENGTH + ")");
        }
        int end = length;
        if (end > 0 && data[end - 1] == '\n') {
            end--;
        }
        if (end == 0) {
            throw new ControlRequestException("request: empty (expected: one of " + verbs() + ")");
        }
        if (end > MAX_LENGTH) {
            throw new ControlRequestException("request: " + end + " octets (expected: at most " + MAX_LENGTH + ")");
        }
        for (int i = 0; i < end; i++) {
            int c = data[i] & 0xff;
            if (c < 0x20 || c > 0x7e) {
                throw new ControlRequestException(String.format(Locale.ROOT,
                    "request: octet 0x%02x at %d (expected: printable ASCII, one line)", c, i));
            }
        }
        String line = new String(data, 0, end, StandardCharsets.US_ASCII);
        String[] words = line.split(" ", -1);
        for (String w : words) {
            if (w.isEmpty()) {
                throw new ControlRequestException("request: \"" + line + "\" (expected: words separated by single spaces)");
            }
        }
        Verb v = Verb.of(words[0]);
        if (v == null) {
            throw new ControlRequestException("request: \"" + words[0] + "\" (expected: one of " + verbs() + ")");
        }
        if (words.length > 1) {
            throw new ControlRequestException("request: " + v.wire() + " with " + (words.length - 1)
                + " argument(s) (expected: " + v.wire() + " alone)");
        }
        return new ControlRequest(v, List.of());
    }

    private static String verbs() {
        return String.join(", ", java.util.Arrays.stream(Verb.values()).map(Verb::wire).toList());
    }
}
