package tandem.statesync;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticated encryption of sync datagrams with AES-256-GCM (JDK). Not thread-safe: one thread
 * seals and opens.
 *
 * <pre>
 *  0       1       2       3       4       5       6       7
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |  'T'  |  'S'  | ver 2 | nlen  |  sender node name (nlen octets) ...
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |               session id (u64: start time s &lt;&lt; 32 | random)       |
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |               counter (u64, starts at 1 per session)           |
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |      ciphertext ...                        | 16-octet GCM tag  |
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * </pre>
 *
 * The whole header is authenticated data. Keys: PRK = HKDF-Extract(salt = "tandem statesync v1 " +
 * cluster name, IKM = passphrase); the key of a sender session = HKDF-Expand(PRK, node name | session
 * id, 32). A key is used by one sender session only and the nonce is 4 zero octets + counter, so no
 * nonce repeats under a key. Replay: per peer the newest session is kept with a 1024-counter sliding
 * window; older sessions and seen or too-old counters are dropped. A newer session (the peer
 * restarted) replaces the old one once a datagram of it authenticates.
 */
public final class SyncCrypto {
    private static final int WINDOW = 1024;
    private static final int TAG_BITS = 128;
    /** Datagram format version; 2 added expectations (an older node drops version-2 datagrams as malformed). */
    static final byte VERSION = 2;

    private final byte[] prk;
    private final String node;
    private final byte[] nodeBytes;
    private final long session;
    private final SecretKeySpec sendKey;
    private long counter;
    private final Map<String, Peer> peers = new HashMap<>();
    private final Map<String, SecretKeySpec> keyCache = new HashMap<>();
    /** One cipher per direction, re-initialised with a fresh nonce per datagram (single-threaded use). */
    private final Cipher encrypt;
    private final Cipher decrypt;

    /**
     * What {@link #open} returns: who sent it, whether it started a new session, and the plaintext in
     * {@code buffer[0, length)} - a buffer reused by the next {@link #open}, so decode it first.
     */
    public record Opened(String sender, long session, boolean newSession, byte[] buffer, int length) {
        /** A copy of the plaintext. */
        public byte[] plaintext() {
            return java.util.Arrays.copyOf(buffer, length);
        }
    }

    /** Plaintext of the datagram {@link #open} authenticated last (datagrams are at most 64 KiB). */
    private final byte[] plainBuf = new byte[65_536];

    private static final class Peer {
        long session;
        long highest;
        final long[] window = new long[WINDOW / 64];
    }

    /**
     * @param passphrase   the cluster secret
     * @param clusterName  salt, so equal passphrases of different clusters give different keys
     * @param node         this node's name, sent in the clear and bound into its keys
     * @param nowSeconds   wall-clock seconds, the high half of the session id (sessions sort by start)
     */
    public SyncCrypto(byte[] passphrase, String clusterName, String node, long nowSeconds, SecureRandom random) {
        this.prk = hmac(("tandem statesync v1 " + clusterName).getBytes(StandardCharsets.UTF_8), passphrase);
        this.node = node;
        this.nodeBytes = node.getBytes(StandardCharsets.UTF_8);
        if (nodeBytes.length == 0 || nodeBytes.length > 64) {
            throw new IllegalArgumentException("node name: " + nodeBytes.length + " octets (expected: 1..64)");
        }
        this.session = (nowSeconds << 32) | (random.nextInt() & 0xffffffffL);
        this.sendKey = key(node, session);
        try {
            this.encrypt = Cipher.getInstance("AES/GCM/NoPadding");
            this.decrypt = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM unavailable: " + e, e);
        }
    }

    public long session() {
        return session;
    }

    /** Encrypts one plaintext message into a datagram. */
    public byte[] seal(byte[] plaintext) {
        long c = ++counter;
        int headerLen = 4 + nodeBytes.length + 16;
        byte[] out = new byte[headerLen + plaintext.length + TAG_BITS / 8];
        ByteBuffer.wrap(out).put((byte) 'T').put((byte) 'S').put(VERSION).put((byte) nodeBytes.length).put(nodeBytes)
            .putLong(session).putLong(c);
        try {
            Cipher gcm = encrypt;
            gcm.init(Cipher.ENCRYPT_MODE, sendKey, new GCMParameterSpec(TAG_BITS, nonce(c)));
            gcm.updateAAD(out, 0, headerLen);
            gcm.doFinal(plaintext, 0, plaintext.length, out, headerLen);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM: " + e, e);
        }
    }

    /**
     * Authenticates, checks for replay and decrypts a datagram.
     *
     * @throws SyncException MALFORMED, AUTH, REPLAY or OWN
     */
    public Opened open(byte[] d, int len) throws SyncException {
        if (len < 4 + 1 + 16 + 16 || d[0] != 'T' || d[1] != 'S') {
            throw new SyncException(SyncException.Reason.MALFORMED, "datagram: " + len
                + " octets" + (len >= 2 ? String.format(", magic 0x%02x%02x", d[0], d[1]) : "")
                + " (expected: 'TS' header, at least 37 octets)");
        }
        if (d[2] != VERSION) {
            throw new SyncException(SyncException.Reason.MALFORMED, "version: " + d[2] + " (expected: " + VERSION + ")");
        }
        int nlen = d[3] & 0xff;
        int headerLen = 4 + nlen + 16;
        if (nlen == 0 || len < headerLen + 16) {
            throw new SyncException(SyncException.Reason.MALFORMED, "datagram: " + len + " octets with a "
                + nlen + "-octet node name (expected: at least " + (headerLen + 16) + ")");
        }
        String sender = new String(d, 4, nlen, StandardCharsets.UTF_8);
        if (sender.equals(node)) {
            throw new SyncException(SyncException.Reason.OWN, "datagram from this node itself (" + node + ")");
        }
        ByteBuffer h = ByteBuffer.wrap(d, 4 + nlen, 16);
        long sess = h.getLong();
        long c = h.getLong();
        Peer p = peers.get(sender);
        if (p != null && Long.compareUnsigned(sess, p.session) < 0) {
            throw new SyncException(SyncException.Reason.REPLAY, "session " + Long.toHexString(sess) + " of "
                + sender + " is older than the current " + Long.toHexString(p.session));
        }
        boolean sameSession = p != null && sess == p.session;
        if (sameSession && seen(p, c)) {
            throw new SyncException(SyncException.Reason.REPLAY, "counter " + c + " of " + sender
                + " already seen or older than the window (highest " + p.highest + ")");
        }
        int plainLen;
        try {
            Cipher gcm = decrypt;
            // derive without caching: only authenticated sessions may occupy the cache
            SecretKeySpec k = keyCache.containsKey(sender + "/" + sess) ? keyCache.get(sender + "/" + sess) : derive(sender, sess);
            gcm.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(TAG_BITS, nonce(c)));
            gcm.updateAAD(d, 0, headerLen);
            plainLen = gcm.doFinal(d, headerLen, len - headerLen, plainBuf, 0);
        } catch (AEADBadTagException e) {
            throw new SyncException(SyncException.Reason.AUTH, "datagram from \"" + sender
                + "\" does not authenticate (expected: the same cluster passphrase and name on both nodes)");
        } catch (GeneralSecurityException e) {
            throw new SyncException(SyncException.Reason.AUTH, "AES-GCM: " + e.getMessage());
        }
        boolean fresh = !sameSession;
        if (fresh) {
            if (p != null) {
                keyCache.remove(sender + "/" + p.session);
            }
            keyCache.put(sender + "/" + sess, derive(sender, sess));
            p = new Peer();
            p.session = sess;
            peers.put(sender, p);
        }
        mark(p, c);
        return new Opened(sender, sess, fresh, plainBuf, plainLen);
    }

    private static boolean seen(Peer p, long c) {
        if (c > p.highest) {
            return false;
        }
        if (p.highest - c >= WINDOW) {
            return true;
        }
        return (p.window[(int) ((c % WINDOW) / 64)] & (1L << (c % 64))) != 0;
    }

    private static void mark(Peer p, long c) {
        if (c > p.highest) {
            for (long i = Math.max(p.highest + 1, c - WINDOW + 1); i < c; i++) {
                p.window[(int) ((i % WINDOW) / 64)] &= ~(1L << (i % 64));
            }
            p.highest = c;
        }
        p.window[(int) ((c % WINDOW) / 64)] |= 1L << (c % 64);
    }

    private static byte[] nonce(long c) {
        return ByteBuffer.allocate(12).putInt(0).putLong(c).array();
    }

    private SecretKeySpec key(String sender, long sess) {
        return keyCache.computeIfAbsent(sender + "/" + sess, k -> derive(sender, sess));
    }

    private SecretKeySpec derive(String sender, long sess) {
        byte[] info = ByteBuffer.allocate(sender.getBytes(StandardCharsets.UTF_8).length + 8)
            .put(sender.getBytes(StandardCharsets.UTF_8)).putLong(sess).array();
        // HKDF-Expand (RFC 5869) with one block of 32 octets: T(1) = HMAC(PRK, info | 0x01)
        byte[] t = hmac(prk, ByteBuffer.allocate(info.length + 1).put(info).put((byte) 1).array());
        return new SecretKeySpec(t, "AES");
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256: " + e, e);
        }
    }
}
