package tandem.replication.hotwire;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.Iterator;
import java.util.Set;
import java.util.UUID;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.digest.BuiltinDigests;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * This node's Ed25519 key pair: the SSH host key of its hotwire server and its client key. Created on
 * first use as {@code hotwire_ed25519} (OpenSSH format, mode 0600) and {@code hotwire_ed25519.pub} in
 * the state directory. {@link #load} refuses a private key that group or others may read, or a
 * directory that others may read or anyone but the owner may write: a key others could read is no
 * proof of this node.
 */
public final class Keys {
    public static final String PRIVATE_KEY = "hotwire_ed25519";
    public static final String PUBLIC_KEY = "hotwire_ed25519.pub";
    /** The key type, as OpenSSH and sshd name it. */
    public static final String KEY_TYPE = "ssh-ed25519";

    private final String node;
    private final KeyPair keyPair;

    private Keys(String node, KeyPair keyPair) {
        this.node = node;
        this.keyPair = keyPair;
    }

    /** Loads the key pair from {@code dir}, creating it (and the directory, 0700) when absent. */
    public static Keys load(Path dir, String node) throws IOException {
        TrustedKeys.checkNode(node);
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        Set<PosixFilePermission> d = Files.getPosixFilePermissions(dir);
        if (d.contains(PosixFilePermission.OTHERS_READ) || d.contains(PosixFilePermission.OTHERS_WRITE)
            || d.contains(PosixFilePermission.OTHERS_EXECUTE) || d.contains(PosixFilePermission.GROUP_WRITE)) {
            throw new IOException(dir + ": mode " + PosixFilePermissions.toString(d)
                + " (expected: no access for others and no write for the group, e.g. rwx------: it holds the hotwire's private key)");
        }
        Path priv = dir.resolve(PRIVATE_KEY);
        try {
            return new Keys(node, read(priv));
        } catch (NoSuchFileException e) {
            return new Keys(node, create(dir, node));
        }
    }

    private static KeyPair read(Path priv) throws IOException {
        if (Files.isSymbolicLink(priv) || !Files.isRegularFile(priv, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.exists(priv, LinkOption.NOFOLLOW_LINKS)) {
                throw new NoSuchFileException(priv.toString());
            }
            throw new IOException(priv + ": not a regular file (expected: the private key file)");
        }
        Set<PosixFilePermission> p = Files.getPosixFilePermissions(priv, LinkOption.NOFOLLOW_LINKS);
        for (PosixFilePermission x : p) {
            if (x.name().startsWith("GROUP") || x.name().startsWith("OTHERS")) {
                throw new IOException(priv + ": mode " + PosixFilePermissions.toString(p)
                    + " (expected: rw------- or r--------: a private key others can read proves nothing; "
                    + "chmod 600 it, and consider making a new one if it was exposed)");
            }
        }
        try (InputStream in = Files.newInputStream(priv)) {
            Iterable<KeyPair> pairs = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName(priv.toString()), in, null);
            Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
            KeyPair kp = it == null || !it.hasNext() ? null : it.next();
            if (kp == null || !KEY_TYPE.equals(KeyUtils.getKeyType(kp))) {
                throw new IOException(priv + ": " + (kp == null ? "no key" : KeyUtils.getKeyType(kp))
                    + " (expected: an " + KEY_TYPE + " private key in OpenSSH format)");
            }
            return kp;
        } catch (GeneralSecurityException e) {
            throw new IOException(priv + ": " + e.getMessage() + " (expected: an unencrypted " + KEY_TYPE + " key)", e);
        }
    }

    private static KeyPair create(Path dir, String node) throws IOException {
        KeyPair kp;
        try {
            kp = KeyUtils.generateKeyPair(KEY_TYPE, 256);
        } catch (GeneralSecurityException e) {
            throw new IOException("generating an " + KEY_TYPE + " key: " + e.getMessage()
                + " (expected: Bouncy Castle on the module path, which sshd uses for Ed25519)", e);
        }
        Path priv = dir.resolve(PRIVATE_KEY);
        Path tmp = dir.resolve("." + PRIVATE_KEY + ".tmp-" + UUID.randomUUID());
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
                OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(kp, "tandem@" + node, null, out);
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, priv, StandardCopyOption.ATOMIC_MOVE);
        } catch (GeneralSecurityException e) {
            throw new IOException("writing " + priv + ": " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(tmp);
        }
        Keys k = new Keys(node, kp);
        Files.writeString(dir.resolve(PUBLIC_KEY), k.publicKeyLine() + "\n", StandardCharsets.US_ASCII);
        return k.keyPair;
    }

    public String node() {
        return node;
    }

    public KeyPair keyPair() {
        return keyPair;
    }

    public PublicKey publicKey() {
        return keyPair.getPublic();
    }

    /** "ssh-ed25519 AAAA... tandem@NODE" (OpenSSH's authorized_keys form): what the peer trusts. */
    public String publicKeyLine() {
        return PublicKeyEntry.toString(keyPair.getPublic()) + " tandem@" + node;
    }

    /** "SHA256:..." as {@code ssh-keygen -l} prints it. */
    public String fingerprint() {
        return fingerprint(keyPair.getPublic());
    }

    public static String fingerprint(PublicKey key) {
        return KeyUtils.getFingerPrint(BuiltinDigests.sha256, key);
    }
}
