package tandem.statesync;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Authenticated encryption of sync datagrams with AES-256-GCM (JDK), keys from {@link ClusterKey}.
 * Not thread-safe: one thread seals and opens.
 *
 * <pre>
 *  0       1       2       3       4       5       6       7
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |  'T'  |  'S'  | ver 3 | nlen  |  sender node name (nlen octets, 1..64) ...
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |               session id (u64, random, not 0)                  |
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |               counter (u64, 1 .. 2^63-1 per session)           |
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * | necho |  necho * u64: the peer sessions this sender heard ...
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * |      ciphertext ...                        | 16-octet GCM tag  |
 * +-------+-------+-------+-------+-------+-------+-------+-------+
 * </pre>
 *
 * The whole header is authenticated data. A key is used by one sender session only and the nonce is
 * 4 zero octets + counter, so no (key, nonce) pair repeats.
 *
 * <p>Sessions are random and carry no time: a receiver accepts a sender's new session when a datagram
 * of it echoes the receiver's own current session, which proves it was made after this receiver
 * started (the handshake costs one round trip; until then {@link #open} reports the datagram
 * {@link Status#UNCONFIRMED} and the caller answers so the peer hears its session echoed). The session
 * it replaces is retired: a datagram of a retired session, a counter already seen or below the
 * 1024-counter window of the current session are REPLAY drops. So a peer that restarts with its clock
 * set back is accepted at once, and a recording of an earlier session is never accepted again.
 *
 * <p>Checks run cheapest first and every header field is validated before it is used; nothing here
 * throws anything but {@link SyncException}.
 */
public final class SyncCrypto {
    /** Datagram format version; 3: random sessions confirmed by echo, stretched passphrase. */
    static final byte VERSION = 3;
    private static final int WINDOW = 1024;
    private static final int TAG_BITS = 128;
    private static final int TAG = TAG_BITS / 8;
    /** Sessions a datagram echoes at most (two per peer: the confirmed and a candidate). */
    static final int MAX_ECHO = 8;
    /** Peers tracked at most (a cluster has a handful). */
    static final int MAX_PEERS = 16;
    /** Retired sessions remembered per peer. */
    static final int RETIRED = 1024;
    private static final int MIN_LENGTH = 4 + 1 + 16 + 1 + TAG;

    /** What {@link #open} concluded about an authentic datagram's session. */
    public enum Status {
        /** The sender's confirmed session: act on it. */
        CURRENT,
        /** A new session of the sender, confirmed by this datagram (the peer restarted): act on it. */
        NEW_SESSION,
        /**
         * Authentic, but not proven fresh (it does not echo this node's session yet): do not act on the
         * message; answer so the sender hears its session echoed.
         */
        UNCONFIRMED
    }

    /**
     * What {@link #open} returns: who sent it, its session and status, and the plaintext in
     * {@code buffer[0, length)} - a buffer reused by the next {@link #open}, so decode it first.
     */
    public record Opened(String sender, long session, Status status, byte[] buffer, int length) {
        /** A copy of the plaintext. */
        public byte[] plaintext() {
            return java.util.Arrays.copyOf(buffer, length);
        }

        public boolean newSession() {
            return status == Status.NEW_SESSION;
        }
    }

    private final ClusterKey key;
    private final String node;
    private final byte[] nodeBytes;
    private final long session;
    private final SecretKeySpec sendKey;
    private long counter;
    private final Map<String, Peer> peers = new HashMap<>();
    /** One cipher per direction, re-initialised with a fresh nonce per datagram (single-threaded use). */
    private final Cipher encrypt;
    private final Cipher decrypt;
    /** Plaintext of the datagram {@link #open} authenticated last (datagrams are at most 64 KiB). */
    private final byte[] plainBuf = new byte[65_536];

    /** A replay window over counters (all positive). */
    private static final class Window {
        long highest;
        final long[] bits = new long[WINDOW / 64];

        boolean seen(long c) {
            if (c > highest) {
                return false;
            }
            if (highest - c >= WINDOW) {
                return true;
            }
            int i = (int) (c & (WINDOW - 1));
            return (bits[i >>> 6] & (1L << (i & 63))) != 0;
        }

        void mark(long c) {
            if (c > highest) {
                if (c - highest >= WINDOW) {
                    java.util.Arrays.fill(bits, 0L);
                } else {
                    for (long s = highest + 1; s < c; s++) {
                        int i = (int) (s & (WINDOW - 1));
                        bits[i >>> 6] &= ~(1L << (i & 63));
                    }
                }
                highest = c;
            }
            int i = (int) (c & (WINDOW - 1));
            bits[i >>> 6] |= 1L << (i & 63);
        }
    }

    private static final class Peer {
        long session;
        SecretKeySpec key;
        Window window;
        long candidate;
        SecretKeySpec candidateKey;
        Window candidateWindow;
        final LinkedHashSet<Long> retired = new LinkedHashSet<>();

        void retire(long s) {
            if (s == 0) {
                return;
            }
            retired.add(s);
            if (retired.size() > RETIRED) {
                retired.removeFirst();
            }
        }
    }

    /**
     * @param key    the cluster key (passphrase and cluster name, stretched)
     * @param node   this node's name, sent in the clear and bound into its keys
     * @param random source of this run's session id
     */
    public SyncCrypto(ClusterKey key, String node, RandomGenerator random) {
        this.key = key;
        this.node = node;
        this.nodeBytes = node.getBytes(StandardCharsets.UTF_8);
        if (!validName(nodeBytes, 0, nodeBytes.length)) {
            throw new IllegalArgumentException("node name: \"" + node + "\" (expected: 1..64 of A-Z a-z 0-9 . _ -)");
        }
        long s;
        do {
            s = random.nextLong();
        } while (s == 0);
        this.session = s;
        this.sendKey = key.sessionKey(nodeBytes, session);
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

    /** The sessions this node echoes: every peer's confirmed session and candidate. */
    private List<Long> echoes() {
        List<Long> out = new ArrayList<>(4);
        for (Peer p : peers.values()) {
            if (p.session != 0 && out.size() < MAX_ECHO) {
                out.add(p.session);
            }
            if (p.candidate != 0 && out.size() < MAX_ECHO) {
                out.add(p.candidate);
            }
        }
        return out;
    }

    /** Encrypts one plaintext message into a datagram. */
    public byte[] seal(byte[] plaintext) {
        long c = ++counter;
        List<Long> echo = echoes();
        int headerLen = 4 + nodeBytes.length + 16 + 1 + 8 * echo.size();
        byte[] out = new byte[headerLen + plaintext.length + TAG];
        ByteBuffer b = ByteBuffer.wrap(out).put((byte) 'T').put((byte) 'S').put(VERSION).put((byte) nodeBytes.length)
            .put(nodeBytes).putLong(session).putLong(c).put((byte) echo.size());
        for (long e : echo) {
            b.putLong(e);
        }
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
     * Validates the header, checks for replay, authenticates and decrypts a datagram.
     *
     * @throws SyncException MALFORMED, OWN, REPLAY or AUTH
     */
    public Opened open(byte[] d, int len) throws SyncException {
        if (d == null || len < MIN_LENGTH || len > d.length) {
            throw malformed("datagram: " + (d == null ? "none" : len + " octets") + " (expected: at least " + MIN_LENGTH
                + " octets)");
        }
        if (d[0] != 'T' || d[1] != 'S') {
            throw malformed(String.format("magic: 0x%02x%02x (expected: 0x5453 'TS')", d[0], d[1]));
        }
        if (d[2] != VERSION) {
            throw malformed("version: " + d[2] + " (expected: " + VERSION + ")");
        }
        int nlen = d[3] & 0xff;
        if (nlen == 0 || nlen > 64 || len < 4 + nlen + 17 + TAG) {
            throw malformed("datagram: " + len + " octets with a " + nlen + "-octet node name (expected: a name of"
                + " 1..64 octets and at least " + (4 + nlen + 17 + TAG) + " octets)");
        }
        if (!validName(d, 4, nlen)) {
            throw malformed("node name: not a node name (expected: 1..64 of A-Z a-z 0-9 . _ -)");
        }
        ByteBuffer h = ByteBuffer.wrap(d, 4 + nlen, 17);
        long sess = h.getLong();
        long c = h.getLong();
        int necho = h.get() & 0xff;
        int headerLen = 4 + nlen + 17 + 8 * necho;
        if (sess == 0) {
            throw malformed("session: 0 (expected: a random non-zero session id)");
        }
        if (c <= 0) {
            throw malformed("counter: " + Long.toUnsignedString(c) + " (expected: 1.." + Long.MAX_VALUE + ")");
        }
        if (necho > MAX_ECHO || len < headerLen + TAG) {
            throw malformed("echo count: " + necho + " in " + len + " octets (expected: at most " + MAX_ECHO
                + " and the datagram long enough for them)");
        }
        String sender = new String(d, 4, nlen, StandardCharsets.US_ASCII);
        if (sender.equals(node)) {
            throw new SyncException(SyncException.Reason.OWN, "datagram from this node itself (" + node
                + ") (expected: a peer's; do two nodes share the name?)");
        }
        Peer p = peers.get(sender);
        SecretKeySpec k = null;
        if (p != null) {
            if (p.retired.contains(sess)) {
                throw new SyncException(SyncException.Reason.REPLAY, "session " + Long.toHexString(sess) + " of "
                    + sender + " ended (it was replaced by a newer one; expected: the current session)");
            }
            if (sess == p.session) {
                if (p.window.seen(c)) {
                    throw replay(sender, c, p.window);
                }
                k = p.key;
            } else if (sess == p.candidate) {
                if (p.candidateWindow.seen(c)) {
                    throw replay(sender, c, p.candidateWindow);
                }
                k = p.candidateKey;
            }
        } else if (peers.size() >= MAX_PEERS) {
            throw malformed("sender " + sender + ": already " + MAX_PEERS + " peers (expected: at most " + MAX_PEERS
                + " nodes in a cluster)");
        }
        if (k == null) {
            // derive without keeping it: only authenticated sessions get state
            k = key.sessionKey(java.util.Arrays.copyOfRange(d, 4, 4 + nlen), sess);
        }
        int plainLen;
        try {
            Cipher gcm = decrypt;
            gcm.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(TAG_BITS, nonce(c)));
            gcm.updateAAD(d, 0, headerLen);
            plainLen = gcm.doFinal(d, headerLen, len - headerLen, plainBuf, 0);
        } catch (AEADBadTagException e) {
            throw new SyncException(SyncException.Reason.AUTH, "datagram from \"" + sender
                + "\" does not authenticate (expected: the same cluster passphrase and name on both nodes)");
        } catch (GeneralSecurityException | IllegalArgumentException | IllegalStateException e) {
            throw new SyncException(SyncException.Reason.AUTH, "AES-GCM: " + e.getMessage());
        }
        // authentic from here on
        if (p == null) {
            p = new Peer();
            peers.put(sender, p);
        }
        if (sess == p.session) {
            p.window.mark(c);
            return new Opened(sender, sess, Status.CURRENT, plainBuf, plainLen);
        }
        boolean echoesMe = false;
        for (int i = 0; i < necho; i++) {
            if (ByteBuffer.wrap(d, 4 + nlen + 17 + 8 * i, 8).getLong() == session) {
                echoesMe = true;
                break;
            }
        }
        if (sess != p.candidate) {
            p.candidate = sess;
            p.candidateKey = k;
            p.candidateWindow = new Window();
        }
        p.candidateWindow.mark(c);
        if (!echoesMe) {
            return new Opened(sender, sess, Status.UNCONFIRMED, plainBuf, plainLen);
        }
        p.retire(p.session);
        p.session = sess;
        p.key = p.candidateKey;
        p.window = p.candidateWindow;
        p.candidate = 0;
        p.candidateKey = null;
        p.candidateWindow = null;
        return new Opened(sender, sess, Status.NEW_SESSION, plainBuf, plainLen);
    }

    private static SyncException replay(String sender, long c, Window w) {
        return new SyncException(SyncException.Reason.REPLAY, "counter " + c + " of " + sender
            + (w.highest - c >= WINDOW ? " is older than the replay window (expected: above " + (w.highest - WINDOW)
            + ")" : " was already seen (expected: each counter once)"));
    }

    private static SyncException malformed(String message) {
        return new SyncException(SyncException.Reason.MALFORMED, message);
    }

    /** 1..64 octets of A-Z a-z 0-9 . _ - starting with a letter or digit (the configuration's node names). */
    private static boolean validName(byte[] b, int off, int len) {
        if (len < 1 || len > 64) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            int ch = b[off + i];
            boolean alnum = ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9';
            if (!alnum && (i == 0 || ch != '.' && ch != '_' && ch != '-')) {
                return false;
            }
        }
        return true;
    }

    private static byte[] nonce(long c) {
        return ByteBuffer.allocate(12).putInt(0).putLong(c).array();
    }
}
