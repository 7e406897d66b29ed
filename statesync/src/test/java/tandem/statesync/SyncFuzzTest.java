package tandem.statesync;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tandem.conntrack.CtEntry;
import tandem.testkit.ByteMutator;
import tandem.testkit.Fuzz;
import tandem.testkit.LengthField;

/**
 * Mutated sync datagrams: into {@link SyncCrypto#open} (header checks, replay window, session
 * handshake, tag) and mutated plaintexts into {@link SyncCodec#decode} (what an authenticated but
 * buggy or hostile peer could send). The only outcomes allowed are a valid result and a
 * {@link SyncException}.
 */
class SyncFuzzTest {
    static final int ITERATIONS = 1_000_000;

    static List<byte[]> messages() {
        Random r = new Random(5);
        List<byte[]> c = new ArrayList<>();
        List<SyncOp> ops = new ArrayList<>();
        long seq = 1;
        ops.add(new SyncOp.ResyncBegin(seq++));
        for (int i = 0; i < 6; i++) {
            CtEntry e = Entries.random(r);
            ops.add(new SyncOp.Upsert(seq++, e));
            ops.add(new SyncOp.Update(seq++, e));
            ops.add(new SyncOp.Delete(seq++, e.key()));
        }
        for (int i = 0; i < 3; i++) {
            var x = Entries.randomExpect(r);
            ops.add(new SyncOp.ExpectUpsert(seq++, x));
            ops.add(new SyncOp.ExpectDelete(seq++, x.key()));
        }
        ops.add(new SyncOp.Skip(seq++));
        ops.add(new SyncOp.ResyncEnd(seq++));
        for (int i = 0; i < ops.size(); i += 4) {
            c.add(SyncCodec.encode(new SyncMessage.Data(ops.subList(i, Math.min(ops.size(), i + 4)))));
        }
        c.add(SyncCodec.encode(new SyncMessage.Ack(12345)));
        c.add(SyncCodec.encode(new SyncMessage.Nack(7, 99)));
        c.add(SyncCodec.encode(new SyncMessage.Alive(42, true)));
        c.add(SyncCodec.encode(new SyncMessage.ResyncRequest()));
        c.add(SyncCodec.encode(new SyncMessage.Hello()));
        try {
            c.add(SyncCodec.encode(new SyncMessage.Hello(List.of(java.net.InetAddress.getByName("192.0.2.2"),
                java.net.InetAddress.getByName("fe80::2")))));
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
        return c;
    }

    @Test
    void aMillionMutatedPlaintextsAreDecodedOrDropped() {
        ByteMutator m = new ByteMutator(messages()).lengthFields(b -> b.length > 3 && b[0] == SyncCodec.DATA
            ? List.of(new LengthField(1, 2, true)) : List.of());
        Fuzz.runParallel("sync plaintext", ITERATIONS, m, SyncException.class, in -> {
            SyncMessage msg = SyncCodec.decode(in);
            // what decodes re-encodes to a message that decodes to the same
            assertThat(SyncCodec.decode(SyncCodec.encode(msg))).isEqualTo(msg);
        }).requireBothOutcomes(ITERATIONS);
    }

    @Test
    void aMillionMutatedDatagramsAreOpenedOrDropped() throws Exception {
        ClusterKey key = ClusterKey.derive("correct horse battery staple", "lab", 1_000);
        SyncCrypto fw1 = new SyncCrypto(key, "fw1", new SecureRandom());
        SyncCrypto fw2 = new SyncCrypto(key, "fw2", new SecureRandom());
        SyncCryptoTest.handshake(fw1, fw2);
        List<byte[]> sealed = new ArrayList<>();
        for (byte[] p : messages()) {
            sealed.add(fw1.seal(p));
        }
        ByteMutator m = new ByteMutator(sealed).lengthFields(b -> List.of(LengthField.u8(3), LengthField.u8(4 + 3 + 16)));
        // one input in eight is a fresh datagram of fw1 (so some open); the rest are mutated ones
        Fuzz.run("sync datagram", ITERATIONS, rng -> rng.oneIn(8) ? fw1.seal(SyncCodec.encode(
            new SyncMessage.Ack(rng.below(1000)))) : m.apply(rng), SyncException.class, msg -> msg.contains("expected"), in -> {
                SyncCrypto.Opened o = fw2.open(in, in.length);
                assertThat(o.sender()).isEqualTo("fw1");
                SyncCodec.decode(o.buffer(), o.length());
            }).requireBothOutcomes(ITERATIONS);
    }
}
