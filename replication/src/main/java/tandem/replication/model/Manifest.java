package tandem.replication.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a node's replicated files are: one entry per regular file (the shared configuration file and
 * every file of every item, directories recursively, minus the exceptions), sorted by path. Symbolic
 * links, devices, sockets and FIFOs are refused with a {@link ManifestException} naming the path, never
 * skipped (a sync that silently leaves a file out reports success while the nodes differ).
 *
 * <p>{@link #hash()} is the SHA-256 of the canonical form: per entry, sorted by path (String order),
 * {@code path TAB size TAB mode (4 octal digits) TAB sha256 LF}, UTF-8. Two nodes with the same hash have
 * the same files with the same contents and permission bits.
 */
public record Manifest(List<Entry> entries) {
    /** Files larger than this are refused (the bundle limit is lower anyway). */
    public static final long MAX_FILE_SIZE = 1L << 40;

    /**
     * One file.
     *
     * @param path   relative to the root ({@link RelativePath})
     * @param size   octets
     * @param mode   the permission bits, 0 .. 0777 (set-id and sticky bits are not replicated)
     * @param sha256 of the content, lower-case hex
     */
    public record Entry(String path, long size, int mode, String sha256) {
        public Entry {
            RelativePath.check(path);
            if (size < 0 || size > MAX_FILE_SIZE) {
                throw new IllegalArgumentException("size of " + path + ": " + size + " (expected: 0 .. " + MAX_FILE_SIZE + ")");
            }
            if (mode < 0 || mode > 0777) {
                throw new IllegalArgumentException("mode of " + path + ": " + mode + " (expected: 0 .. 0777)");
            }
            if (!Sha256.valid(sha256)) {
                throw new IllegalArgumentException("sha256 of " + path + ": " + RelativePath.quote(sha256)
                    + " (expected: 64 lower-case hex digits)");
            }
        }

        /** Same content and mode. */
        public boolean sameAs(Entry o) {
            return o != null && size == o.size && mode == o.mode && sha256.equals(o.sha256);
        }

        public String modeString() {
            return String.format(Locale.ROOT, "%04o", mode);
        }
    }

    /** Paths a diff found, each list sorted. */
    public record Diff(List<String> added, List<String> changed, List<String> deleted) {
        public Diff {
            if (added == null || changed == null || deleted == null) {
                throw new IllegalArgumentException("diff: added, changed and deleted are required (expected: lists)");
            }
            added = List.copyOf(added);
            changed = List.copyOf(changed);
            deleted = List.copyOf(deleted);
        }

        public boolean isEmpty() {
            return added.isEmpty() && changed.isEmpty() && deleted.isEmpty();
        }

        @Override
        public String toString() {
            return added.size() + " added, " + changed.size() + " changed, " + deleted.size() + " deleted";
        }
    }

    public static final Manifest EMPTY = new Manifest(List.of());

    public Manifest {
        if (entries == null) {
            throw new IllegalArgumentException("entries: missing (expected: a list, possibly empty)");
        }
        List<Entry> sorted = new ArrayList<>(entries);
        for (Entry e : sorted) {
            if (e == null) {
                throw new IllegalArgumentException("entries: a null entry (expected: path, size, mode, sha256)");
            }
        }
        sorted.sort((a, b) -> a.path().compareTo(b.path()));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).path().equals(sorted.get(i - 1).path())) {
                throw new IllegalArgumentException("entries: " + sorted.get(i).path() + " twice (expected: each path once)");
            }
        }
        entries = Collections.unmodifiableList(sorted);
    }

    /** The canonical form the hash is computed over. */
    public String canonical() {
        StringBuilder b = new StringBuilder(entries.size() * 110);
        for (Entry e : entries) {
            b.append(e.path()).append('\t').append(e.size()).append('\t').append(e.modeString()).append('\t')
                .append(e.sha256()).append('\n');
        }
        return b.toString();
    }

    /** SHA-256 of {@link #canonical()}, lower-case hex. */
    public String hash() {
        MessageDigest d = Sha256.digest();
        d.update(canonical().getBytes(StandardCharsets.UTF_8));
        return Sha256.hex(d);
    }

    public Entry entry(String path) {
        int lo = 0;
        int hi = entries.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = entries.get(mid).path().compareTo(path);
            if (c == 0) {
                return entries.get(mid);
            }
            if (c < 0) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return null;
    }

    public Map<String, Entry> byPath() {
        Map<String, Entry> m = new TreeMap<>();
        for (Entry e : entries) {
            m.put(e.path(), e);
        }
        return m;
    }

    /** Sum of the sizes. */
    public long totalSize() {
        long n = 0;
        for (Entry e : entries) {
            n += e.size();
        }
        return n;
    }

    /**
     * What it takes to turn this manifest into {@code target}: paths only in {@code target} (added),
     * in both with another content or mode (changed), only here (deleted).
     */
    public Diff diff(Manifest target) {
        List<String> added = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        int i = 0;
        int j = 0;
        List<Entry> a = entries;
        List<Entry> b = target.entries;
        while (i < a.size() || j < b.size()) {
            int c = i == a.size() ? 1 : j == b.size() ? -1 : a.get(i).path().compareTo(b.get(j).path());
            if (c < 0) {
                deleted.add(a.get(i++).path());
            } else if (c > 0) {
                added.add(b.get(j++).path());
            } else {
                if (!a.get(i).sameAs(b.get(j))) {
                    changed.add(a.get(i).path());
                }
                i++;
                j++;
            }
        }
        return new Diff(added, changed, deleted);
    }

    /** The entries whose path satisfies {@code keep}. */
    public Manifest filter(java.util.function.Predicate<String> keep) {
        return new Manifest(entries.stream().filter(e -> keep.test(e.path())).toList());
    }

    /**
     * Reads the files under {@code root}: the shared configuration file {@code sharedConfig} (relative;
     * none when absent), and every regular file of {@code items}, minus {@code exceptions}. An absent
     * item has no entries (its files were deleted). Links and special files throw.
     */
    public static Manifest compute(Path root, String sharedConfig, List<ReplicatedItem> items, Exceptions exceptions)
        throws IOException {
        Map<String, Entry> found = new TreeMap<>();
        if (sharedConfig != null && !exceptions.matches(sharedConfig)) {
            addFile(root, sharedConfig, "the shared configuration", found);
        }
        for (ReplicatedItem item : items) {
            String rel = item.relative();
            if (exceptions.matches(rel)) {
                continue;
            }
            if (!item.directory()) {
                addFile(root, rel, "item " + item.path(), found);
                continue;
            }
            Path dir = root.resolve(rel);
            BasicFileAttributes a = attributes(dir);
            if (a == null) {
                continue;
            }
            if (a.isSymbolicLink()) {
                throw new ManifestException(rel + ": a symbolic link (expected: the directory of item " + item.path()
                    + "; tandem replicates no links)");
            }
            if (!a.isDirectory()) {
                throw new ManifestException(rel + ": " + kind(a) + " (expected: a directory, as item " + item.path()
                    + " is declared)");
            }
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    return !d.equals(dir) && exceptions.matches(relative(root, d)) ? FileVisitResult.SKIP_SUBTREE
                        : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    String r = relative(root, f);
                    if (exceptions.matches(r)) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (!attrs.isRegularFile()) {
                        throw new ManifestException(r + ": " + kind(attrs) + " (expected: regular files only, in item "
                            + item.path() + "; tandem replicates no links or special files: remove it or add it to the exceptions)");
                    }
                    found.put(r, entry(r, f));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                    throw e;
                }
            });
        }
        return new Manifest(new ArrayList<>(found.values()));
    }

    private static void addFile(Path root, String rel, String what, Map<String, Entry> found) throws IOException {
        Path f = root.resolve(rel);
        BasicFileAttributes a = attributes(f);
        if (a == null) {
            return;
        }
        if (!a.isRegularFile()) {
            throw new ManifestException(rel + ": " + kind(a) + " (expected: a regular file, as " + what
                + " is declared; tandem replicates no links or special files)");
        }
        found.put(rel, entry(rel, f));
    }

    /** The entry of one regular file (its content hashed now, or its hash of before when it surely did not change). */
    public static Entry entry(String rel, Path f) throws IOException {
        int mode = mode(Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS));
        Stamp stamp = stamp(f);
        String key = f.toAbsolutePath().toString();
        Cached c = stamp == null ? null : HASHES.get(key);
        if (c != null && c.stamp().equals(stamp)) {
            return new Entry(rel, stamp.size(), mode, c.sha256());
        }
        long[] size = new long[1];
        String sha = Sha256.of(f, size);
        Stamp after = stamp(f);
        // cached only when nothing changed while it was read and its last change is not recent: a write in
        // the same clock tick as the one before would leave size and times as they were (git's "racy" files)
        if (stamp != null && stamp.equals(after) && after.size() == size[0]
            && System.currentTimeMillis() - after.changedMillis() > racyMillis) {
            if (HASHES.size() >= MAX_CACHED) {
                HASHES.clear();
            }
            HASHES.put(key, new Cached(after, sha));
        }
        return new Entry(rel, size[0], mode, sha);
    }

    /** What says a file is unchanged: its identity (device and inode), size, and modification and change times. */
    private record Stamp(Object fileKey, long size, long modifiedNanos, long changedNanos) {
        long changedMillis() {
            return Math.max(modifiedNanos, changedNanos) / 1_000_000;
        }
    }

    private record Cached(Stamp stamp, String sha256) {
    }

    /**
     * Hashes of files by path, reused while a file's stamp is unchanged: comparing a 20 MiB set every
     * 2 s would otherwise read and hash all of it each time.
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, Cached> HASHES = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_CACHED = 200_000;
    /** A file changed this recently is hashed again every time (its times may not show a next change yet). */
    static volatile long racyMillis = 3_000;

    private static Stamp stamp(Path f) {
        try {
            Map<String, Object> a = Files.readAttributes(f, "unix:ino,dev,size,lastModifiedTime,ctime", LinkOption.NOFOLLOW_LINKS);
            return new Stamp(List.of(a.get("dev"), a.get("ino")), (Long) a.get("size"),
                ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).to(java.util.concurrent.TimeUnit.NANOSECONDS),
                ((java.nio.file.attribute.FileTime) a.get("ctime")).to(java.util.concurrent.TimeUnit.NANOSECONDS));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    private static BasicFileAttributes attributes(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    static String relative(Path root, Path p) throws ManifestException {
        String r = root.relativize(p).toString();
        String why = RelativePath.problem(r);
        if (why != null) {
            throw new ManifestException(RelativePath.quote(r) + ": the name " + why);
        }
        return r;
    }

    private static String kind(BasicFileAttributes a) {
        if (a.isSymbolicLink()) {
            return "a symbolic link";
        }
        if (a.isDirectory()) {
            return "a directory";
        }
        if (a.isRegularFile()) {
            return "a regular file";
        }
        return "a special file (device, socket or FIFO)";
    }

    /** The permission bits of {@code perms}. */
    public static int mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 0400 >> p.ordinal();
        }
        return m;
    }

    /** The permissions of the bits {@code mode}. */
    public static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = java.util.EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission p : PosixFilePermission.values()) {
            if ((mode & (0400 >> p.ordinal())) != 0) {
                s.add(p);
            }
        }
        return s;
    }
}
