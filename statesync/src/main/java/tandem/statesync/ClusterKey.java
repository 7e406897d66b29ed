package tandem.statesync;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import javax.crypto.KDF;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.HKDFParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The cluster's key material for the sync link, derived once at start from the passphrase.
 *
 * <pre>
 * stretched = PBKDF2-HMAC-SHA256(passphrase (UTF-8), salt = "tandem statesync v3 " + cluster name,
 *                                {@value #PBKDF2_ITERATIONS} iterations, 32 octets)        (RFC 8018)
 * PRK       = HKDF-Extract(salt = "tandem statesync v3 " + cluster name, IKM = stretched)  (RFC 5869)
 * key(sender, session) = HKDF-Expand(PRK, info = sender name | u64 session, 32)  -> AES-256-GCM key
 * </pre>
 *
 * The stretching makes offline guessing from one captured datagram cost 600 000 HMAC-SHA256
 * computations per guess (the OWASP 2023 figure for PBKDF2-HMAC-SHA256); it runs once per daemon
 * start (about 0.15-0.35 s on this project's 2-core lab machine with C2). It does not make a weak
 * passphrase strong: the configuration demands 16 octets, docs/configuration.md recommends 20 or
 * more random characters.
 */
public final class ClusterKey {
    /** PBKDF2 iterations (cost of one offline guess, and of every daemon start). */
    public static final int PBKDF2_ITERATIONS = 600_000;
    private static final String LABEL = "tandem statesync v3 ";

    private final SecretKey prk;
    private final KDF hkdf;

    private ClusterKey(SecretKey prk) {
        this.prk = prk;
        try {
            this.hkdf = KDF.getInstance("HKDF-SHA256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HKDF-SHA256 unavailable: " + e, e);
        }
    }

    /** Stretches the passphrase (the slow part) and extracts the pseudo-random key. */
    public static ClusterKey derive(String passphrase, String clusterName) {
        return derive(passphrase, clusterName, PBKDF2_ITERATIONS);
    }

    /** With another cost: tests only (a lower cost would weaken the key). */
    static ClusterKey derive(String passphrase, String clusterName, int iterations) {
        if (passphrase.isEmpty()) {
            throw new IllegalArgumentException("passphrase: empty (expected: at least 16 octets)");
        }
        byte[] salt = (LABEL + clusterName).getBytes(StandardCharsets.UTF_8);
        char[] chars = passphrase.toCharArray();
        PBEKeySpec spec = new PBEKeySpec(chars, salt, iterations, 256);
        try {
            byte[] stretched = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            KDF kdf = KDF.getInstance("HKDF-SHA256");
            SecretKey prk = kdf.deriveKey("Generic", HKDFParameterSpec.ofExtract().addIKM(stretched).addSalt(salt)
                .extractOnly());
            java.util.Arrays.fill(stretched, (byte) 0);
            return new ClusterKey(prk);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2/HKDF: " + e, e);
        } finally {
            spec.clearPassword();
            java.util.Arrays.fill(chars, '\0');
        }
    }

    /** The AES-256-GCM key of one sender session. */
    SecretKeySpec sessionKey(byte[] sender, long session) {
        byte[] info = ByteBuffer.allocate(sender.length + 8).put(sender).putLong(session).array();
        try {
            SecretKey k = hkdf.deriveKey("AES", HKDFParameterSpec.expandOnly(prk, info, 32));
            return new SecretKeySpec(k.getEncoded(), "AES");
        } catch (InvalidAlgorithmParameterException e) {
            throw new IllegalStateException("HKDF-Expand: " + e, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HKDF-SHA256: " + e, e);
        }
    }

    @Override
    public String toString() {
        return "ClusterKey[****]";
    }
}
