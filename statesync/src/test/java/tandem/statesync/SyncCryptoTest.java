package tandem.statesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class SyncCryptoTest {
    static final String PASS = "correct horse battery staple";
    /** Stretched at a test cost (the real cost is ClusterKey.PBKDF2_ITERATIONS). */
    static final ClusterKey KEY = ClusterKey.derive(PASS, "lab", 1_000);
    final SyncCrypto fw1 = new SyncCrypto(KEY, "fw1", new SecureRandom());
    final SyncCrypto fw2 = new SyncCrypto(KEY, "fw2", new SecureRandom());

    static SyncException.Reason reason(SyncCrypto c, byte[] d) {
        try {
            c.open(d, d.length);
            return null;
        } catch (SyncException e) {
            return e.reason();
        }
    }

    static SyncCrypto.Status status(SyncCrypto c, byte[] d) throws SyncException {
        return c.open(d, d.length).status();
    }

    /** A source whose first session id is {@code session}. */
    static RandomGenerator fixed(long session) {
        return new RandomGenerator() {
            @Override
            public long nextLong() {
                return session;
            }
        };
    }

    /** fw1 and fw2 exchange datagrams until both have confirmed the other's session. */
    static void handshake(SyncCrypto a, SyncCrypto b) throws SyncException {
        for (int i = 0; i < 3; i++) {
            byte[] x = a.seal(new byte[] {1});
            b.open(x, x.length);
            byte[] y = b.seal(new byte[] {2});
            a.open(y, y.length);
        }
    }

    @Test
    void aNewPeerSessionIsConfirmedWhenItsDatagramEchoesThisNodesSession() throws Exception {
        byte[] d = fw1.seal("hello".getBytes());
        SyncCrypto.Opened o = fw2.open(d, d.length);
        assertThat(o.status()).as("fw1 has not heard fw2 yet").isEqualTo(SyncCrypto.Status.UNCONFIRMED);
        assertThat(o.plaintext()).isEqualTo("hello".getBytes());
        assertThat(o.sender()).isEqualTo("fw1");
        byte[] answer = fw2.seal("hi".getBytes());
        assertThat(status(fw1, answer)).as("fw2 echoes fw1's session").isEqualTo(SyncCrypto.Status.NEW_SESSION);
        byte[] d2 = fw1.seal("again".getBytes());
        assertThat(status(fw2, d2)).isEqualTo(SyncCrypto.Status.NEW_SESSION);
        byte[] d3 = fw1.seal("and again".getBytes());
        assertThat(status(fw2, d3)).isEqualTo(SyncCrypto.Status.CURRENT);
        assertThat(new String(d)).doesNotContain("hello");
    }

    @Test
    void tamperedDatagramsFailWhereverTheBitFlips() throws Exception {
        handshake(fw1, fw2);
        byte[] d = fw1.seal("payload".getBytes());
        for (int i = 0; i < d.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] t = d.clone();
                t[i] ^= (byte) (1 << bit);
                assertThat(reason(fw2, t)).as("flipped bit %d of octet %d", bit, i).isNotNull();
            }
        }
        assertThat(status(fw2, d)).as("the original still opens").isEqualTo(SyncCrypto.Status.CURRENT);
    }

    @Test
    void aWrongPassphraseOrClusterNameIsAnAuthenticationFailure() {
        SyncCrypto other = new SyncCrypto(ClusterKey.derive("wrong passphrase, 16+", "lab", 1_000), "fw2", new SecureRandom());
        SyncCrypto otherCluster = new SyncCrypto(ClusterKey.derive(PASS, "lab2", 1_000), "fw2", new SecureRandom());
        byte[] d = fw1.seal("x".getBytes());
        assertThat(reason(other, d)).isEqualTo(SyncException.Reason.AUTH);
        assertThat(reason(otherCluster, d)).isEqualTo(SyncException.Reason.AUTH);
    }

    @Test
    void aDatagramSeenBeforeIsAReplayButReorderingWithinTheWindowIsFine() throws Exception {
        handshake(fw1, fw2);
        byte[] a = fw1.seal("a".getBytes());
        byte[] b = fw1.seal("b".getBytes());
        fw2.open(b, b.length);
        fw2.open(a, a.length);
        assertThatThrownBy(() -> fw2.open(a, a.length)).isInstanceOf(SyncException.class)
            .hasMessageContaining("was already seen");
        assertThat(reason(fw2, b)).isEqualTo(SyncException.Reason.REPLAY);
    }

    @Test
    void aDatagramNeverSeenButOlderThanTheWindowIsAReplay() throws Exception {
        handshake(fw1, fw2);
        byte[] held = fw1.seal("held back".getBytes());
        for (int i = 0; i < 1100; i++) {
            byte[] d = fw1.seal("newer".getBytes());
            fw2.open(d, d.length);
        }
        assertThatThrownBy(() -> fw2.open(held, held.length)).isInstanceOf(SyncException.class)
            .hasMessageContaining("older than the replay window")
            .extracting(e -> ((SyncException) e).reason()).isEqualTo(SyncException.Reason.REPLAY);
    }

    @Test
    void aPeerThatRestartsWithItsClockSetBackIsAcceptedAfterOneRoundTrip() throws Exception {
        // the former scheme ordered sessions by their start second: a session id lower than the
        // current one (a clock set back) was a replay until the receiver restarted
        SyncCrypto before = new SyncCrypto(KEY, "fw1", fixed(0x7000_0000_0000_0000L));
        handshake(before, fw2);
        SyncCrypto restarted = new SyncCrypto(KEY, "fw1", fixed(0x0000_0000_0000_0001L));
        byte[] hello = restarted.seal("I am back".getBytes());
        assertThat(status(fw2, hello)).isEqualTo(SyncCrypto.Status.UNCONFIRMED);
        byte[] answer = fw2.seal(new byte[0]);
        assertThat(status(restarted, answer)).isEqualTo(SyncCrypto.Status.NEW_SESSION);
        byte[] next = restarted.seal("data".getBytes());
        assertThat(status(fw2, next)).isEqualTo(SyncCrypto.Status.NEW_SESSION);
        assertThat(status(fw2, restarted.seal("more".getBytes()))).isEqualTo(SyncCrypto.Status.CURRENT);
    }

    @Test
    void datagramsRecordedFromThePreviousSessionAreDroppedAsReplaysAfterTheRestart() throws Exception {
        SyncCrypto before = new SyncCrypto(KEY, "fw1", new SecureRandom());
        handshake(before, fw2);
        List<byte[]> recorded = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            recorded.add(before.seal(("old " + i).getBytes())); // never delivered: captured by an attacker
        }
        SyncCrypto restarted = new SyncCrypto(KEY, "fw1", new SecureRandom());
        handshake(restarted, fw2);
        for (byte[] d : recorded) {
            assertThatThrownBy(() -> fw2.open(d, d.length)).isInstanceOf(SyncException.class)
                .hasMessageContaining("ended").extracting(e -> ((SyncException) e).reason())
                .isEqualTo(SyncException.Reason.REPLAY);
        }
    }

    @Test
    void aDatagramOfASessionFromBeforeThisNodeStartedIsNeverActedOn() throws Exception {
        SyncCrypto oldFw2 = new SyncCrypto(KEY, "fw2", new SecureRandom());
        handshake(fw1, oldFw2);
        byte[] recorded = fw1.seal("recorded while the old fw2 ran".getBytes());
        SyncCrypto newFw2 = new SyncCrypto(KEY, "fw2", new SecureRandom());
        assertThat(status(newFw2, recorded)).as("it echoes the old fw2's session, not this one's")
            .isEqualTo(SyncCrypto.Status.UNCONFIRMED);
    }

    @Test
    void aForgedDatagramWithASniffedSessionAndANegativeCounterIsMalformedNotAnException() throws Exception {
        handshake(fw1, fw2);
        byte[] d = fw1.seal("x".getBytes());
        int counterAt = 4 + 3 + 8;
        for (long c : new long[] {-100, -1, 0, Long.MIN_VALUE}) {
            byte[] forged = d.clone();
            ByteBuffer.wrap(forged, counterAt, 8).putLong(c);
            assertThatThrownBy(() -> fw2.open(forged, forged.length)).isInstanceOf(SyncException.class)
                .hasMessageContaining("counter").extracting(e -> ((SyncException) e).reason())
                .isEqualTo(SyncException.Reason.MALFORMED);
        }
        byte[] zeroSession = d.clone();
        ByteBuffer.wrap(zeroSession, 4 + 3, 8).putLong(0);
        assertThat(reason(fw2, zeroSession)).isEqualTo(SyncException.Reason.MALFORMED);
    }

    @Test
    void headerFieldsThatLieAreMalformed() {
        byte[] d = fw1.seal("x".getBytes());
        byte[] echoLie = d.clone();
        echoLie[4 + 3 + 16] = (byte) 200;
        assertThat(reason(fw2, echoLie)).isEqualTo(SyncException.Reason.MALFORMED);
        byte[] nameLie = d.clone();
        nameLie[3] = (byte) 250;
        assertThat(reason(fw2, nameLie)).isEqualTo(SyncException.Reason.MALFORMED);
        byte[] badName = d.clone();
        badName[4] = ' ';
        assertThat(reason(fw2, badName)).isEqualTo(SyncException.Reason.MALFORMED);
        assertThat(reason(fw2, new byte[10])).isEqualTo(SyncException.Reason.MALFORMED);
        assertThat(reason(fw2, fw2.seal("mine".getBytes()))).isEqualTo(SyncException.Reason.OWN);
    }

    @Test
    void aDatagramOfTheFormerVersionIsMalformedAndSaysWhichVersionWasExpected() {
        byte[] v = fw1.seal("x".getBytes());
        v[2] = 2; // version 2 ordered sessions by wall clock and used the passphrase unstretched
        assertThatThrownBy(() -> fw2.open(v, v.length)).isInstanceOf(SyncException.class)
            .hasMessage("version: 2 (expected: 3)");
    }

    @Test
    void theClusterKeyNeverPrintsItsSecret() {
        assertThat(KEY.toString()).doesNotContain(PASS).contains("****");
    }
}
