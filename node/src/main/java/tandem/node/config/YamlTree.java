package tandem.node.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document read with Jackson's YAML parser into a small tree that remembers where each node
 * stands, so that every configuration error can name file, line and column. Duplicate keys are errors.
 */
final class YamlTree {
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

    static Node parse(String file, String text) throws ConfigException {
        try (JsonParser p = new YAMLFactory().createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                return new MapNode(new LinkedHashMap<>(), new Mark(file, 1, 1));
            }
            Node root = read(file, p, t);
            if (p.nextToken() != null) {
                throw new ConfigException(mark(file, p.currentTokenLocation()) + ": a second document (expected: one)");
            }
            return root;
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            // SnakeYAML: context line, "in 'reader'" lines and a source excerpt with a caret; keep the words.
            String msg = String.join("; ", e.getOriginalMessage().lines().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("in 'reader'") && !l.equals("^")
                    && !l.startsWith("^") && !text.lines().map(String::strip).toList().contains(l)).toList());
            throw new ConfigException((loc == null ? file : mark(file, loc).toString()) + ": YAML syntax: " + msg);
        } catch (IOException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
    }

    private static Mark mark(String file, JsonLocation loc) {
        return new Mark(file, loc.getLineNr(), loc.getColumnNr());
    }

    private static Node read(String file, JsonParser p, JsonToken t) throws IOException, ConfigException {
        Mark m = mark(file, p.currentTokenLocation());
        switch (t) {
            case START_OBJECT -> {
                Map<String, Entry> entries = new LinkedHashMap<>();
                while ((t = p.nextToken()) != JsonToken.END_OBJECT) {
                    String key = p.currentName();
                    Mark km = mark(file, p.currentTokenLocation());
                    if (entries.containsKey(key)) {
                        throw new ConfigException(km + ": " + key + ": duplicate key (expected: each key once, first at "
                            + entries.get(key).keyMark().line() + ":" + entries.get(key).keyMark().column() + ")");
                    }
                    Node v = read(file, p, p.nextToken());
                    entries.put(key, new Entry(key, km, v));
                }
                return new MapNode(entries, m);
            }
            case START_ARRAY -> {
                List<Node> items = new ArrayList<>();
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    items.add(read(file, p, t));
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
