package tandem.node.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tandem info} for people. The summary, like the appliances' {@code cluster info} and VyOS
 * {@code show vrrp}: the node and its sync states and problems, then one row per virtual router
 * (state, VRID, priority, master and its node, last transition and why). {@code --detail} shows every
 * key. Text and JSON carry the same keys (docs/operations.md): in text a list element is named by
 * its name (instances, groups), interface and family (channels) or instance and source (health).
 */
public final class InfoFormat {
    /** The top-level keys of the summary, in order. */
    public static final List<String> SUMMARY = List.of("node", "cluster_state", "sync_state", "sync_state_reason",
        "hotwire_dev", "hotwire", "conntrack_sync_state", "conntrack_peer", "problems", "uptime_seconds", "instances");
    /** The keys of an instance in the summary, in order. */
    public static final List<String> INSTANCE_SUMMARY = List.of("name", "group", "state", "vrid", "priority", "master",
        "master_node", "master_priority", "last_transition", "last_transition_reason");

    private InfoFormat() {
    }

    /** The summary: the full info reduced to {@link #SUMMARY} and {@link #INSTANCE_SUMMARY}, same names. */
    public static Map<String, Object> summary(Map<String, Object> info) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String k : SUMMARY) {
            if (!info.containsKey(k)) {
                continue;
            }
            if (k.equals("instances")) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (Object o : (List<?>) info.get(k)) {
                    Map<?, ?> i = (Map<?, ?>) o;
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (String ik : INSTANCE_SUMMARY) {
                        row.put(ik, i.get(ik));
                    }
                    rows.add(row);
                }
                out.put(k, rows);
            } else {
                out.put(k, info.get(k));
            }
        }
        return out;
    }

    /** Text of a summary: aligned key/value lines, then the instances as a table. */
    public static String summaryText(Map<String, Object> summary) {
        StringBuilder sb = new StringBuilder();
        int w = 0;
        for (String k : summary.keySet()) {
            w = Math.max(w, k.length());
        }
        for (Map.Entry<String, Object> e : summary.entrySet()) {
            if (e.getKey().equals("instances")) {
                continue;
            }
            if (e.getValue() instanceof List<?> l) {
                List<String> lines = l.isEmpty() ? List.of("none") : l.stream().map(String::valueOf).toList();
                for (int i = 0; i < lines.size(); i++) {
                    sb.append(pad(i == 0 ? e.getKey() : "", w)).append("  ").append(lines.get(i)).append('\n');
                }
            } else {
                sb.append(pad(e.getKey(), w)).append("  ").append(text(e.getValue())).append('\n');
            }
        }
        if (summary.get("instances") instanceof List<?> rows && !rows.isEmpty()) {
            sb.append('\n');
            List<List<String>> table = new ArrayList<>();
            table.add(INSTANCE_SUMMARY);
            for (Object o : rows) {
                Map<?, ?> r = (Map<?, ?>) o;
                table.add(INSTANCE_SUMMARY.stream().map(k -> text(r.get(k))).toList());
            }
            int[] widths = new int[INSTANCE_SUMMARY.size()];
            for (List<String> row : table) {
                for (int i = 0; i < row.size(); i++) {
                    widths[i] = Math.max(widths[i], row.get(i).length());
                }
            }
            for (List<String> row : table) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < row.size(); i++) {
                    line.append(i == row.size() - 1 ? row.get(i) : pad(row.get(i), widths[i]) + "  ");
                }
                sb.append(line.toString().stripTrailing()).append('\n');
            }
        }
        return sb.toString();
    }

    /** {@link #detailText}: counters and other maps (e.g. {@code tandem conntrack stats}). */
    public static String text(Map<String, Object> info) {
        return detailText(info);
    }

    /** Text of the full info: one {@code key  value} line per leaf, keys as paths. */
    public static String detailText(Map<String, Object> info) {
        List<String[]> rows = new ArrayList<>();
        flatten("", info, rows);
        int w = 0;
        for (String[] r : rows) {
            w = Math.max(w, r[0].length());
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            sb.append(pad(r[0], w)).append("  ").append(r[1]).append('\n');
        }
        return sb.toString();
    }

    private static void flatten(String prefix, Object value, List<String[]> rows) {
        switch (value) {
            case Map<?, ?> m -> {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    flatten(prefix + e.getKey() + ".", e.getValue(), rows);
                }
            }
            case List<?> l when !l.isEmpty() && l.getFirst() instanceof Map<?, ?> -> {
                for (int i = 0; i < l.size(); i++) {
                    Map<?, ?> m = (Map<?, ?>) l.get(i);
                    flatten(prefix + elementName(m, i) + ".", m, rows);
                }
            }
            case null, default -> rows.add(new String[] {prefix.substring(0, Math.max(0, prefix.length() - 1)), text(value)});
        }
    }

    /** How a list element is named in text: its name, interface/family, instance/source, else its index. */
    private static String elementName(Map<?, ?> m, int index) {
        if (m.get("name") != null) {
            return String.valueOf(m.get("name"));
        }
        if (m.get("interface") != null && m.get("family") != null) {
            return m.get("interface") + "/" + m.get("family");
        }
        if (m.get("instance") != null && m.get("source") != null) {
            return m.get("instance") + "/" + m.get("source");
        }
        if (m.get("component") != null) {
            return index + "-" + m.get("component");
        }
        return Integer.toString(index);
    }

    private static String text(Object v) {
        if (v == null) {
            return "-";
        }
        if (v instanceof List<?> l) {
            return l.isEmpty() ? "none" : String.join(", ", l.stream().map(String::valueOf).toList());
        }
        String s = String.valueOf(v);
        return s.isEmpty() ? "-" : s;
    }

    private static String pad(String s, int w) {
        return s + " ".repeat(Math.max(0, w - s.length()));
    }
}
