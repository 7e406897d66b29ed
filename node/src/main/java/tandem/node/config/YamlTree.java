package tandem.node.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document read with Jackson's YAML parser into a small tree that remembers where each node
 * stands, so that every configuration error can name file, line and column. Duplicate keys are errors
 * that do not stop the reading (the first value stays; every duplicate is reported), aliases (Jackson
 * would read {@code *a} as the text "a", not as what {@code &a} marks), nesting deeper than
 * {@value #MAX_DEPTH} levels, keys without a name and syntax errors stop it. Whatever the text, the only
 * exception is {@link ConfigException}.
 */
final class YamlTree {
    /** Nesting levels a document may have; a configuration needs four. */
    static final int MAX_DEPTH = 32;
    /** Thread-safe, and costly to build: one for all documents. */
    private static final YAMLFactory YAML = new YAMLFactory();

    private YamlTree() {
    }

    /** line:column, 1-based. */
    record Mark(String file, int line, int column) {
        @Override
        public String toString() {
            return file + ":" + line + ":" + column;
        }
    }

    sealed interface Node {
        Mark mark();
    }

    /** A scalar; {@code value} is null for an empty value or {@code ~}/{@code null}. */
    record Scalar(String value, Mark mark) implements Node {
    }

    record Entry(String key, Mark keyMark, Node value) {
    }

    record MapNode(Map<String, Entry> entries, Mark mark) implements Node {
    }

    record SeqNode(List<Node> items, Mark mark) implements Node {
    }

    /** An error that did not stop the reading: where (null: the whole file) and the complete message. */
    record Problem(Mark mark, String text) {
    }

    /**
     * {@code s} fit for a one-line message: control characters (line breaks, tabs, NUL, ...) as escapes,
     * so that a value or key can never start a line of its own or hide in the terminal.
     */
    static String printable(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean odd = Character.isISOControl(c) || c == '\u2028' || c == '\u2029';
            if (odd && b == null) {
                b = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (b != null) {
                if (!odd) {
                    b.append(c);
                } else if (c == '\n') {
                    b.append("\\n");
                } else if (c == '\t') {
                    b.append("\\t");
                } else if (c == '\r') {
                    b.append("\\r");
                } else {
                    b.append(String.format("\\u%04x", (int) c));
                }
            }
        }
        return b == null ? s : b.toString();
    }

    /**
     * The document's tree; errors that do not stop the reading (duplicate keys) are added to {@code soft},
     * the first one that does is thrown.
     */
    static Node parse(String file, String text, List<Problem> soft) throws ConfigException {
        try (JsonParser p = YAML.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return new MapNode(new LinkedHashMap<>(), new Mark(file, 1, 1));
            }
            Node root = read(file, p, t, 1, soft);
            if (p.nextToken() != null) {
                throw new ConfigException(mark(file, p.currentTokenLocation()) + ": a second document (expected: one)");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw syntax(file, text, e.getLocation(), e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException(file + ": " + printable(String.valueOf(e.getMessage())) + " (expected: readable text)");
        }
    }

    private static ConfigException syntax(String file, String text, JsonLocation loc, String original) {
        // SnakeYAML: context line, "in 'reader'" lines and a source excerpt with a caret; keep the words.
        List<String> source = text.lines().map(String::strip).toList();
        String msg = String.join("; ", (original == null ? "" : original).lines().map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("in 'reader'") && !l.startsWith("^") && !source.contains(l))
            .toList());
        if (!msg.contains("expected")) {
            msg += (msg.isEmpty() ? "" : " ") + "(expected: a YAML document)";
        }
        return new ConfigException((loc == null || loc.getLineNr() < 1 ? file : mark(file, loc).toString())
            + ": YAML syntax: " + printable(msg));
    }

    private static Mark mark(String file, JsonLocation loc) {
        return new Mark(file, loc.getLineNr(), loc.getColumnNr());
    }

    private static Node read(String file, JsonParser p, JsonToken t, int depth, List<Problem> soft)
        throws IOException, ConfigException {
        Mark m = mark(file, p.currentTokenLocation());
        if (t == null) {
            throw new ConfigException(m + ": end of the document (expected: a value)");
        }
        if (p instanceof YAMLParser y && y.isCurrentAlias()) {
            throw new ConfigException(m + ": alias *" + printable(p.getText()) + " (expected: a value; anchors and aliases are"
                + " not supported)");
        }
        if (depth > MAX_DEPTH && (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY)) {
            throw new ConfigException(m + ": nesting deeper than " + MAX_DEPTH + " levels (expected: at most "
                + MAX_DEPTH + ")");
        }
        switch (t) {
            case START_OBJECT -> {
                Map<String, Entry> entries = new LinkedHashMap<>();
                while ((t = p.nextToken()) != JsonToken.END_OBJECT) {
                    String key = p.currentName();
                    Mark km = mark(file, p.currentTokenLocation());
                    if (key == null || key.isEmpty()) {
                        throw new ConfigException(km + ": " + (key == null ? "a key of nothing" : "an empty key")
                            + " (expected: a name)");
                    }
                    if (p instanceof YAMLParser y && y.isCurrentAlias()) {
                        throw new ConfigException(km + ": alias *" + printable(key) + " as a key (expected: a name; anchors and"
                            + " aliases are not supported)");
                    }
                    Node v = read(file, p, p.nextToken(), depth + 1, soft);
                    Entry first = entries.putIfAbsent(key, new Entry(key, km, v));
                    if (first != null) {
                        soft.add(new Problem(km, km + ": " + printable(key) + ": duplicate key (expected: each key once,"
                            + " first at " + first.keyMark().line() + ":" + first.keyMark().column() + ")"));
                    }
                }
                return new MapNode(entries, m);
            }
            case START_ARRAY -> {
                List<Node> items = new ArrayList<>();
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    items.add(read(file, p, t, depth + 1, soft));
                }
                return new SeqNode(items, m);
            }
            case VALUE_NULL -> {
                return new Scalar(null, m);
            }
            default -> {
                return new Scalar(p.getText(), m);
            }
        }
    }
}
