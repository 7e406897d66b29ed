package tandem.node.control;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Renders the info snapshot like the appliance's {@code cluster info}: a header, then one
 * {@code attribute|value} line each, attributes of instances prefixed with the instance name.
 */
public final class InfoFormat {
    private InfoFormat() {
    }

    public static String text(Map<String, Object> info) {
        List<String[]> rows = new ArrayList<>();
        for (Map.Entry<String, Object> e : info.entrySet()) {
            switch (e.getKey()) {
                case "instances" -> {
                    for (Object o : (List<?>) e.getValue()) {
                        Map<?, ?> i = (Map<?, ?>) o;
                        flatten("instance." + i.get("name") + ".", i, rows);
                    }
                }
                case "channels" -> {
                    for (Object o : (List<?>) e.getValue()) {
                        Map<?, ?> c = (Map<?, ?>) o;
                        String p = "interface." + c.get("interface") + "." + c.get("family") + ".";
                        flatten(p, c, rows);
                    }
                }
                case "uptime_seconds" -> rows.add(new String[] {"uptime", uptime(((Number) e.getValue()).longValue())});
                case "statesync" -> flatten("statesync.", (Map<?, ?>) e.getValue(), rows);
                default -> rows.add(new String[] {e.getKey(), String.valueOf(e.getValue())});
            }
        }
        int w = "attribute".length();
        for (String[] r : rows) {
            w = Math.max(w, r[0].length());
        }
        StringBuilder sb = new StringBuilder();
        sb.append(pad("attribute", w)).append("|value\n");
        sb.append("-".repeat(w)).append("+-----\n");
        for (String[] r : rows) {
            sb.append(pad(r[0], w)).append('|').append(r[1]).append('\n');
        }
        return sb.toString();
    }

    private static void flatten(String prefix, Map<?, ?> m, List<String[]> rows) {
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String k = String.valueOf(e.getKey());
            if (k.equals("name") || k.equals("interface") && prefix.startsWith("interface.") || k.equals("family")
                && prefix.startsWith("interface.")) {
                continue;
            }
            if (e.getValue() instanceof Map<?, ?> sub) {
                for (Map.Entry<?, ?> s : sub.entrySet()) {
                    rows.add(new String[] {prefix + k + "." + s.getKey(), String.valueOf(s.getValue())});
                }
            } else if (e.getValue() instanceof List<?> l) {
                rows.add(new String[] {prefix + k, String.join(" ", l.stream().map(String::valueOf).toList())});
            } else {
                rows.add(new String[] {prefix + k, String.valueOf(e.getValue())});
            }
        }
    }

    static String uptime(long s) {
        return String.format("%dd %02d:%02d:%02d", s / 86400, (s / 3600) % 24, (s / 60) % 60, s % 60);
    }

    private static String pad(String s, int w) {
        return s + " ".repeat(w - s.length());
    }
}
