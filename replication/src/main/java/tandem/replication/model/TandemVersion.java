package tandem.replication.model;

import java.util.ArrayList;
import java.util.List;

/**
 * A tandem version such as 0.10.0 or 0.2.0-SNAPSHOT, compared numerically part by part (0.10.0 is newer
 * than 0.9.3; missing parts are 0), and a version with a qualifier (-SNAPSHOT, -rc1) older than the same
 * numbers without one; two qualifiers compare as text.
 */
public record TandemVersion(List<Integer> numbers, String qualifier) implements Comparable<TandemVersion> {
    public TandemVersion {
        numbers = List.copyOf(numbers);
        qualifier = qualifier == null ? "" : qualifier;
    }

    public static TandemVersion parse(String s) {
        if (s == null || s.isBlank() || s.length() > 64) {
            throw new IllegalArgumentException("version " + RelativePath.quote(s) + ": expected: numbers such as 0.10.0");
        }
        String t = s.strip();
        int dash = t.indexOf('-');
        String nums = dash < 0 ? t : t.substring(0, dash);
        String qualifier = dash < 0 ? "" : t.substring(dash + 1);
        List<Integer> parts = new ArrayList<>();
        for (String p : nums.split("\\.", -1)) {
            if (p.isEmpty() || p.length() > 9 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("version " + RelativePath.quote(s) + ": part " + RelativePath.quote(p)
                    + " (expected: numbers such as 0.10.0, optionally -QUALIFIER)");
            }
            parts.add(Integer.parseInt(p));
        }
        return new TandemVersion(parts, qualifier);
    }

    @Override
    public int compareTo(TandemVersion o) {
        int n = Math.max(numbers.size(), o.numbers.size());
        for (int i = 0; i < n; i++) {
            int a = i < numbers.size() ? numbers.get(i) : 0;
            int b = i < o.numbers.size() ? o.numbers.get(i) : 0;
            if (a != b) {
                return Integer.compare(a, b);
            }
        }
        if (qualifier.isEmpty() != o.qualifier.isEmpty()) {
            return qualifier.isEmpty() ? 1 : -1;
        }
        return qualifier.compareTo(o.qualifier);
    }

    public boolean isNewerThan(TandemVersion o) {
        return compareTo(o) > 0;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < numbers.size(); i++) {
            b.append(i == 0 ? "" : ".").append(numbers.get(i));
        }
        return qualifier.isEmpty() ? b.toString() : b + "-" + qualifier;
    }
}
