package tandem.replication.model;

import java.nio.file.Path;

/**
 * Paths as the manifest and the protocol carry them: relative to the root ("/" on a node, a test's
 * temporary directory in tests), '/'-separated, without a leading '/', without "." or ".." or empty
 * segments, without control characters (the manifest's canonical form is one line per entry), at most
 * 4096 octets. Every path read from a peer passes {@link #check} before it is resolved.
 */
public final class RelativePath {
    /** PATH_MAX of Linux. */
    public static final int MAX_LENGTH = 4096;

    private RelativePath() {
    }

    /** {@code path} when it is a valid relative path, else an IllegalArgumentException saying why. */
    public static String check(String path) {
        String why = problem(path);
        if (why != null) {
            throw new IllegalArgumentException("path " + quote(path) + ": " + why);
        }
        return path;
    }

    /** Why {@code path} is not a valid relative path, or null. */
    public static String problem(String path) {
        if (path == null || path.isEmpty()) {
            return "empty (expected: a path relative to the root such as etc/nftables.conf)";
        }
        if (path.length() > MAX_LENGTH) {
            return path.length() + " characters (expected: at most " + MAX_LENGTH + ")";
        }
        if (path.startsWith("/")) {
            return "absolute (expected: relative to the root, without a leading /)";
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !validSurrogate(path, i)) {
                return "has the control or invalid character U+" + String.format("%04X", (int) c)
                    + " (expected: printable characters)";
            }
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty()) {
                return "has an empty segment (expected: no // and no trailing /)";
            }
            if (segment.equals(".") || segment.equals("..")) {
                return "has a '" + segment + "' segment (expected: none: paths never leave their item)";
            }
        }
        return null;
    }

    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /** The relative path of an absolute, normalized path ("/etc/nftables.conf" -> "etc/nftables.conf"). */
    public static String of(Path absolute) {
        if (!absolute.isAbsolute()) {
            throw new IllegalArgumentException("path " + quote(absolute.toString()) + ": relative (expected: absolute, such as /etc/nftables.conf)");
        }
        Path n = absolute.normalize();
        if (!n.equals(absolute) || absolute.toString().contains("/../") || absolute.endsWith("..")) {
            throw new IllegalArgumentException("path " + quote(absolute.toString()) + ": not normalized (expected: no . or .. segments)");
        }
        if (n.getNameCount() == 0) {
            throw new IllegalArgumentException("path /: the root itself (expected: a file or directory below it)");
        }
        return check(n.getRoot().relativize(n).toString());
    }

    /** {@code rel} below {@code root}; {@code rel} is checked first. */
    public static Path resolve(Path root, String rel) {
        return root.resolve(check(rel));
    }

    /** True when {@code path} is {@code prefix} or below it. */
    public static boolean isAtOrBelow(String path, String prefix) {
        return path.equals(prefix) || path.length() > prefix.length() && path.startsWith(prefix)
            && path.charAt(prefix.length()) == '/';
    }

    /** {@code s} in double quotes, cut after 200 characters, control characters escaped (for messages). */
    public static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        int n = Math.min(s.length(), 200);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        if (s.length() > n) {
            b.append("...(").append(s.length()).append(" characters)");
        }
        return b.append('"').toString();
    }
}
