package tandem.replication.model;

import java.nio.file.Path;

/**
 * A file or directory the shared configuration declares as replicated.
 *
 * @param path      absolute and normalized, e.g. /etc/nftables.conf or /etc/ipsec.d (resolved against
 *                  the root, so tests use a temporary directory as "/")
 * @param directory true for a directory: every regular file below it, recursively
 * @param check     optional: a shell command run on the staged copy before anything is swapped in,
 *                  {@code {}} replaced by the staged path (quoted), e.g. {@code nft -c -f {}}; a
 *                  non-zero exit refuses the whole transaction
 * @param apply     optional: a shell command run after the swap, in declared order, e.g.
 *                  {@code nft -f /etc/nftables.conf}; {@code {}} is the item's live path
 */
public record ReplicatedItem(Path path, boolean directory, String check, String apply) {
    public ReplicatedItem {
        if (path == null) {
            throw new IllegalArgumentException("path: missing (expected: an absolute path such as /etc/nftables.conf)");
        }
        RelativePath.of(path);
        check = blankToNull(check);
        apply = blankToNull(apply);
    }

    public static ReplicatedItem file(String path) {
        return new ReplicatedItem(Path.of(path), false, null, null);
    }

    public static ReplicatedItem directory(String path) {
        return new ReplicatedItem(Path.of(path), true, null, null);
    }

    public ReplicatedItem withCheck(String command) {
        return new ReplicatedItem(path, directory, command, apply);
    }

    public ReplicatedItem withApply(String command) {
        return new ReplicatedItem(path, directory, check, command);
    }

    /** The path relative to the root, as the manifest has it ("etc/nftables.conf"). */
    public String relative() {
        return RelativePath.of(path);
    }

    /** True when the relative path {@code rel} belongs to this item (is it, or is below the directory). */
    public boolean covers(String rel) {
        String mine = relative();
        return directory ? rel.length() > mine.length() && RelativePath.isAtOrBelow(rel, mine) : rel.equals(mine);
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    @Override
    public String toString() {
        return path + (directory ? "/" : "");
    }
}
