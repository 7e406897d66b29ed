package tandem.replication.hotwire;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import tandem.replication.model.RelativePath;

/**
 * The node-local file of the peers this node trusts on the hotwire, one per line:
 * <pre>
 *   # comment
 *   fw2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI... tandem@fw2
 * </pre>
 * The server accepts a client only with a key listed here (and knows the node by it); the client
 * accepts a server only with the host key listed for the node it connects to. One key per node and
 * one node per key. The file is read again whenever it changed on disk (e.g. by `tandem cluster trust`
 * in another process); it must not be writable by group or others.
 */
public final class TrustedKeys {
    /** The node-name rule of the configuration. */
    private static final Pattern NODE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** A trusted peer. */
    public record Trusted(String node, PublicKey key, String line) {
        public String fingerprint() {
            return Keys.fingerprint(key);
        }
    }

    private final Path file;
    private Map<String, Trusted> byNode = Map.of();
    private FileTime loadedTime;
    private long loadedSize = -1;
    private Object loadedKey;

    private TrustedKeys(Path file) {
        this.file = file;
    }

    /** The trusted keys of {@code file} (absent: none yet). */
    public static TrustedKeys load(Path file) throws IOException {
        TrustedKeys t = new TrustedKeys(file);
        t.refresh();
        return t;
    }

    public Path file() {
        return file;
    }

    /** Validates a node name (what the configuration allows). */
    public static String checkNode(String node) {
        if (node == null || !NODE.matcher(node).matches()) {
            throw new IllegalArgumentException("node name " + RelativePath.quote(node)
                + " (expected: 1-64 letters, digits, '.', '_', '-', starting with a letter or digit)");
        }
        return node;
    }

    /**
     * Parses an OpenSSH public key line ("ssh-ed25519 AAAA... [comment]") as `tandem cluster key` prints
     * it; anything else throws an IllegalArgumentException saying what was got and what was expected.
     */
    public static PublicKey parseKey(String node, String line) {
        String l = line == null ? "" : line.strip();
        String shown = l.length() > 40 ? l.substring(0, 40) + "..." : l;
        String expected = "(expected: 'ssh-ed25519 AAAA...', the line `tandem cluster key` prints on " + node + ")";
        String[] parts = l.split("\\s+");
        if (parts.length < 2 || !parts[0].equals(Keys.KEY_TYPE)) {
            throw new IllegalArgumentException("key of " + node + ": got '" + shown + "' " + expected);
        }
        try {
            PublicKeyEntry e = PublicKeyEntry.parsePublicKeyEntry(parts[0] + " " + parts[1]);
            PublicKey k = e.resolvePublicKey(null, Map.of(), PublicKeyEntryResolver.FAILING);
            if (k == null || !Keys.KEY_TYPE.equals(KeyUtils.getKeyType(k))) {
                throw new IllegalArgumentException("key of " + node + ": got '" + shown + "', a "
                    + (k == null ? "key of unknown type" : KeyUtils.getKeyType(k) + " key") + " " + expected);
            }
            return k;
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("key of ")) {
                throw e;
            }
            throw new IllegalArgumentException("key of " + node + ": got '" + shown + "', which does not decode ("
                + e.getMessage() + ") " + expected, e);
        } catch (Exception e) {
            throw new IllegalArgumentException("key of " + node + ": got '" + shown + "', which does not decode ("
                + e.getMessage() + ") " + expected, e);
        }
    }

    /**
     * Trusts {@code keyLine} for {@code node} (replacing the key it had); refuses a key that is trusted
     * for another node. Returns the key it replaced, or null.
     */
    public synchronized Trusted trust(String node, String keyLine) throws IOException {
        checkNode(node);
        PublicKey key = parseKey(node, keyLine);
        refresh();
        for (Trusted t : byNode.values()) {
            if (!t.node().equals(node) && KeyUtils.compareKeys(t.key(), key)) {
                throw new IllegalArgumentException("key " + Keys.fingerprint(key) + " is already trusted for " + t.node()
                    + " (expected: one key per node: each node has its own key)");
            }
        }
        String[] parts = keyLine.strip().split("\\s+");
        String line = node + " " + parts[0] + " " + parts[1] + (parts.length > 2 ? " " + parts[2] : "");
        Map<String, Trusted> m = new LinkedHashMap<>(byNode);
        Trusted old = m.put(node, new Trusted(node, key, line));
        write(m);
        return old;
    }

    /** Removes {@code node}'s key; false when it had none. */
    public synchronized boolean remove(String node) throws IOException {
        refresh();
        if (!byNode.containsKey(node)) {
            return false;
        }
        Map<String, Trusted> m = new LinkedHashMap<>(byNode);
        m.remove(node);
        write(m);
        return true;
    }

    public synchronized List<Trusted> entries() throws IOException {
        refresh();
        return new ArrayList<>(byNode.values());
    }

    /** The key trusted for {@code node}, or null. */
    public synchronized PublicKey keyOf(String node) throws IOException {
        refresh();
        Trusted t = byNode.get(node);
        return t == null ? null : t.key();
    }

    /** The node {@code key} is trusted for, or null. */
    public synchronized String nodeOf(PublicKey key) throws IOException {
        refresh();
        for (Trusted t : byNode.values()) {
            if (KeyUtils.compareKeys(t.key(), key)) {
                return t.node();
            }
        }
        return null;
    }

    private void refresh() throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            byNode = Map.of();
            loadedTime = null;
            loadedSize = -1;
            return;
        }
        if (a.lastModifiedTime().equals(loadedTime) && a.size() == loadedSize && java.util.Objects.equals(a.fileKey(), loadedKey)) {
            return;
        }
        if (!a.isRegularFile()) {
            throw new IOException(file + ": not a regular file (expected: the trusted keys file)");
        }
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        if (p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
            throw new IOException(file + ": mode " + PosixFilePermissions.toString(p)
                + " (expected: not writable by group or others: whoever writes it decides whom this node trusts)");
        }
        Map<String, Trusted> m = new LinkedHashMap<>();
        int n = 0;
        for (String raw : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split("\\s+", 2);
            try {
                String node = checkNode(parts[0]);
                if (parts.length < 2) {
                    throw new IllegalArgumentException("no key after the node name (expected: NODE ssh-ed25519 AAAA...)");
                }
                PublicKey key = parseKey(node, parts[1]);
                if (m.containsKey(node)) {
                    throw new IllegalArgumentException(node + " is listed twice (expected: one key per node)");
                }
                m.put(node, new Trusted(node, key, line));
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ":" + n + ": " + e.getMessage(), e);
            }
        }
        byNode = m;
        loadedTime = a.lastModifiedTime();
        loadedSize = a.size();
        loadedKey = a.fileKey();
    }

    private void write(Map<String, Trusted> m) throws IOException {
        StringBuilder b = new StringBuilder("# tandem: peers trusted on the hotwire (NODE ssh-ed25519 KEY [comment])\n");
        for (Trusted t : m.values()) {
            b.append(t.line()).append('\n');
        }
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve("." + file.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            Files.writeString(tmp, b, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        loadedTime = null;
        refresh();
    }
}
