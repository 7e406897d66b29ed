package tandem.replication.apply;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import tandem.replication.model.Manifest;
import tandem.replication.model.Sha256;

/**
 * The state directory (e.g. /var/lib/tandem/replication, mode 0700):
 * <pre>
 *   objects/ab/ab12...    file contents by SHA-256 (mode 0600), shared by every generation
 *   generations/00000042.json   a committed generation (manifests before and after, items, sender)
 *   journal.json          the intent of the transaction in progress (absent when none)
 *   staging/TX/...        the staged copies of a transaction (removed when it ends)
 *   last-error.json       the last failed transaction (absent after a success)
 * </pre>
 * Content-addressed objects: a generation costs only the files that changed, so keeping several
 * generations of a large set costs little more than one copy, and an object's name proves its content.
 * Every file here is written to a temporary name, forced to disk and renamed.
 */
final class GenerationStore {
    static final ObjectMapper JSON = JsonMapper.builder()
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .enable(SerializationFeature.INDENT_OUTPUT)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
            .maxStringLength(Integer.MAX_VALUE).build());
    }

    private final Path dir;
    private final Path objects;
    private final Path generations;
    private final Path staging;
    private final Path journal;
    private final Path lastError;

    GenerationStore(Path dir) throws IOException {
        this.dir = dir;
        this.objects = dir.resolve("objects");
        this.generations = dir.resolve("generations");
        this.staging = dir.resolve("staging");
        this.journal = dir.resolve("journal.json");
        this.lastError = dir.resolve("last-error.json");
        createPrivate(dir);
        createPrivate(objects);
        createPrivate(generations);
        createPrivate(staging);
    }

    Path dir() {
        return dir;
    }

    static void createPrivate(Path d) throws IOException {
        if (!Files.isDirectory(d)) {
            Files.createDirectories(d);
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
        }
    }

    // ---- objects

    Path object(String sha) {
        return objects.resolve(sha.substring(0, 2)).resolve(sha);
    }

    boolean hasObject(String sha) {
        return Files.isRegularFile(object(sha));
    }

    /**
     * Copies {@code source} into the store unless its object is there; returns false (and stores
     * nothing) when its content no longer hashes to {@code sha} (it changed meanwhile).
     */
    boolean putObject(Path source, String sha) throws IOException {
        Path target = object(sha);
        if (Files.isRegularFile(target)) {
            return true;
        }
        createPrivate(target.getParent());
        Path tmp = target.resolveSibling(sha + ".tmp-" + UUID.randomUUID());
        MessageDigest d = Sha256.digest();
        try (InputStream in = Files.newInputStream(source);
             OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            byte[] buf = new byte[64 * 1024];
            for (int r; (r = in.read(buf)) > 0; ) {
                d.update(buf, 0, r);
                out.write(buf, 0, r);
            }
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        if (!Sha256.hex(d).equals(sha)) {
            Files.deleteIfExists(tmp);
            return false;
        }
        force(tmp);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return true;
    }

    // ---- generations

    private Path generationFile(long n) {
        return generations.resolve(String.format("%08d.json", n));
    }

    boolean hasGeneration(long n) {
        return Files.isRegularFile(generationFile(n));
    }

    Records.GenerationRecord generation(long n) throws IOException {
        try (InputStream in = Files.newInputStream(generationFile(n))) {
            return JSON.readValue(in, Records.GenerationRecord.class);
        }
    }

    /** Generation numbers, oldest first. */
    List<Long> numbers() throws IOException {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(generations, "*.json")) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                try {
                    out.add(Long.parseLong(n.substring(0, n.length() - 5)));
                } catch (NumberFormatException e) {
                    // not ours
                }
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    long latestNumber() throws IOException {
        List<Long> n = numbers();
        return n.isEmpty() ? 0 : n.getLast();
    }

    Records.GenerationRecord latest() throws IOException {
        long n = latestNumber();
        return n == 0 ? null : generation(n);
    }

    /** The commit point of a transaction: the generation's file appears whole (rename). */
    void commit(Records.GenerationRecord g) throws IOException {
        writeAtomically(generationFile(g.number()), JSON.writeValueAsBytes(g));
    }

    /**
     * Keeps the newest {@code keep} generations and the objects they (and a journal, if any) refer to;
     * deletes the rest and any staging left behind.
     */
    void prune(int keep) throws IOException {
        List<Long> all = numbers();
        for (int i = 0; i < all.size() - keep; i++) {
            Files.deleteIfExists(generationFile(all.get(i)));
        }
        Set<String> live = new HashSet<>();
        for (long n : numbers()) {
            Records.GenerationRecord g = generation(n);
            g.manifest().entries().forEach(e -> live.add(e.sha256()));
            g.before().entries().forEach(e -> live.add(e.sha256()));
        }
        Records.Journal j = journal();
        if (j != null) {
            j.generation().manifest().entries().forEach(e -> live.add(e.sha256()));
            j.generation().before().entries().forEach(e -> live.add(e.sha256()));
        }
        try (Stream<Path> s = Files.walk(objects, 2)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                if (!live.contains(p.getFileName().toString())) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    // ---- journal

    Records.Journal journal() throws IOException {
        try (InputStream in = Files.newInputStream(journal)) {
            return JSON.readValue(in, Records.Journal.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    void writeJournal(Records.Journal j) throws IOException {
        writeAtomically(journal, JSON.writeValueAsBytes(j));
    }

    void deleteJournal() throws IOException {
        Files.deleteIfExists(journal);
        forceDirectory(dir);
    }

    // ---- staging

    Path newStaging(String tx) throws IOException {
        Path p = staging.resolve(tx);
        createPrivate(p);
        return p;
    }

    void clearStaging() throws IOException {
        try (Stream<Path> s = Files.walk(staging)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                if (!p.equals(staging)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    // ---- last error

    Records.LastError lastError() throws IOException {
        try (InputStream in = Files.newInputStream(lastError)) {
            return JSON.readValue(in, Records.LastError.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    void lastError(Records.LastError e) throws IOException {
        if (e == null) {
            Files.deleteIfExists(lastError);
        } else {
            writeAtomically(lastError, JSON.writeValueAsBytes(e));
        }
    }

    // ---- helpers

    static void writeAtomically(Path target, byte[] content) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            Files.write(tmp, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            force(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(tmp + ": exists (expected: a fresh temporary name)", e);
        } finally {
            Files.deleteIfExists(tmp);
        }
        forceDirectory(target.getParent());
    }

    static void force(Path file) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            c.force(true);
        }
    }

    /** fsync of a directory, so a rename in it is on disk (best effort: not every file system allows it). */
    static void forceDirectory(Path d) {
        try (FileChannel c = FileChannel.open(d, StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException e) {
            // some file systems refuse to sync a directory; the rename itself is still atomic
        }
    }
}
