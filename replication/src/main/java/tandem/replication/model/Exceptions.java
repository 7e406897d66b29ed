package tandem.replication.model;

import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * Node-local paths that are never sent and never overwritten or deleted, e.g. a CA's private key or a
 * host's own certificate under a replicated directory. An entry is an absolute path (that file, or
 * everything under that directory) or a glob of {@link java.nio.file.FileSystem#getPathMatcher}
 * ({@code /etc/ipsec.d/private/*.pem}: {@code *} stays within a directory, {@code **} crosses them).
 * They come from the node's own configuration, never from the peer.
 */
public final class Exceptions {
    private static final Exceptions NONE = new Exceptions(List.of());

    private final List<String> entries;
    private final List<String> prefixes = new ArrayList<>();
    private final List<PathMatcher> globs = new ArrayList<>();

    private Exceptions(List<String> entries) {
        this.entries = List.copyOf(entries);
        for (String e : this.entries) {
            if (e == null || !e.startsWith("/")) {
                throw new IllegalArgumentException("exception " + RelativePath.quote(e)
                    + ": not absolute (expected: a path or glob such as /etc/ipsec.d/private)");
            }
            String rel = e.replaceAll("/+$", "").substring(1);
            if (rel.isEmpty()) {
                throw new IllegalArgumentException("exception \"/\": the whole root (expected: a path below it)");
            }
            if (rel.chars().anyMatch(c -> "*?[{".indexOf(c) >= 0)) {
                globs.add(FileSystems.getDefault().getPathMatcher("glob:" + rel));
            } else {
                prefixes.add(RelativePath.of(Path.of(e.replaceAll("/+$", ""))));
            }
        }
    }

    public static Exceptions of(List<String> entries) {
        return entries.isEmpty() ? NONE : new Exceptions(entries);
    }

    public static Exceptions of(String... entries) {
        return of(List.of(entries));
    }

    public static Exceptions none() {
        return NONE;
    }

    public List<String> entries() {
        return entries;
    }

    /** True when the relative path {@code rel} is excepted (is an entry, is below one, or matches a glob). */
    public boolean matches(String rel) {
        for (String p : prefixes) {
            if (RelativePath.isAtOrBelow(rel, p)) {
                return true;
            }
        }
        if (!globs.isEmpty()) {
            Path path = Path.of(rel);
            for (PathMatcher g : globs) {
                for (Path p = path; p != null; p = p.getParent()) {
                    if (g.matches(p)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return entries.toString();
    }
}
