package tandem.statesync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import org.junit.jupiter.api.Test;

class SyncCryptoTest {
    static final byte[] PASS = "correct horse battery staple".getBytes();
    final SyncCrypto fw1 = new SyncCrypto(PASS, "lab", "fw1", 1_000, new SecureRandom());
    final SyncCrypto fw2 = new SyncCrypto(PASS, "lab", "fw2", 1_000, new SecureRandom());

    static SyncException.Reason reason(SyncCrypto c, byte[] d) {
        try {
            c.open(d, d.length);
            return null;
        } catch (SyncException e) {
            return e.reason();
        }
    }

    @Test
    void aSealedDatagramOpensOnThePeerAndNamesItsSender() throws Exception {
        byte[] d = fw1.seal("hello".getBytes());
        SyncCrypto.Opened o = fw2.open(d, d.length);
        assertThat(o.plaintext()).isEqualTo("hello".getBytes());
        assertThat(o.sender()).isEqualTo("fw1");
        assertThat(o.newSession()).isTrue();
        byte[] d2 = fw1.seal("again".getBytes());
        assertThat(fw2.open(d2, d2.length).newSession()).isFalse();
        assertThat(new String(d)).doesNotContain("hello");
    }

    @Test
    void tamperedDatagramsFailAuthenticationWhereverTheBitFlips() {
        byte[] d = fw1.seal("payload".getBytes());
        for (int i = 4; i < d.length; i++) {
            byte[] t = d.clone();
            t[i] ^= 0x01;
            SyncCrypto fresh = new SyncCrypto(PASS, "lab", "fw2", 1_000, new SecureRandom());
            assertThat(reason(fresh, t)).as("flipped octet " + i).isIn(SyncException.Reason.AUTH, SyncException.Reason.MALFORMED,
                SyncException.Reason.OWN);
        }
    }

    @Test
    void aWrongPassphraseOrClusterNameIsAnAuthenticationFailure() {
        SyncCrypto other = new SyncCrypto("wrong".getBytes(), "lab", "fw2", 1_000, new SecureRandom());
        SyncCrypto otherCluster = new SyncCrypto(PASS, "lab2", "fw2", 1_000, new SecureRandom());
        byte[] d = fw1.seal("x".getBytes());
        assertThat(reason(other, d)).isEqualTo(SyncException.Reason.AUTH);
        assertThat(reason(otherCluster, d)).isEqualTo(SyncException.Reason.AUTH);
    }

    @Test
    void replayedDatagramsAndOlderSessionsAreRejected() throws Exception {
        byte[] a = fw1.seal("a".getBytes());
        byte[] b = fw1.seal("b".getBytes());
        fw2.open(b, b.length);
        fw2.open(a, a.length); // out of order within the window is fine
        assertThat(reason(fw2, a)).isEqualTo(SyncException.Reason.REPLAY);
        assertThat(reason(fw2, b)).isEqualTo(SyncException.Reason.REPLAY);
        SyncCrypto restarted = new SyncCrypto(PASS, "lab", "fw1", 2_000, new SecureRandom());
        byte[] c = restarted.seal("c".getBytes());
        assertThat(fw2.open(c, c.length).newSession()).isTrue();
        byte[] old = fw1.seal("old session".getBytes());
        assertThat(reason(fw2, old)).as("the session before the restart").isEqualTo(SyncException.Reason.REPLAY);
        for (int i = 0; i < 1100; i++) {
            restarted.seal("skip".getBytes());
        }
        byte[] late = c.clone();
        assertThat(reason(fw2, late)).isEqualTo(SyncException.Reason.REPLAY);
    }

    @Test
    void shortForeignAndOwnDatagramsAreDroppedWithTheirReason() {
        assertThat(reason(fw2, new byte[10])).isEqualTo(SyncException.Reason.MALFORMED);
        byte[] d = fw2.seal("mine".getBytes());
        assertThat(reason(fw2, d)).isEqualTo(SyncException.Reason.OWN);
        byte[] v = fw1.seal("x".getBytes());
        v[2] = 9;
        assertThat(reason(fw2, v)).isEqualTo(SyncException.Reason.MALFORMED);
    }

    @Test
    void aDatagramOfTheFormerVersionIsMalformedAndSaysWhichVersionWasExpected() {
        byte[] v = fw1.seal("x".getBytes());
        v[2] = 1; // version 1 had no expectations: a mixed cluster must not half-understand the stream
        assertThatThrownBy(() -> fw2.open(v, v.length)).isInstanceOf(SyncException.class)
            .hasMessage("version: 1 (expected: 2)");
    }
}
