package tandem.replication.hotwire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import tandem.replication.apply.ApplyResult;
import tandem.replication.apply.Bundle;
import tandem.replication.apply.CommandResult;
import tandem.replication.apply.NodeStatus;
import tandem.replication.apply.Outcome;
import tandem.replication.model.Manifest;
import tandem.replication.model.Sha256;
import tandem.testkit.ByteMutator;
import tandem.testkit.Fuzz;
import tandem.testkit.LengthField;
import tandem.testkit.Rng;

/**
 * Mutated frames of every message type into {@link Frames#decode}: the only outcomes allowed are a
 * message that encodes and decodes to itself, a DATA frame, or a {@link ProtocolException} saying what
 * was expected. Half of the inputs get their length field set to the mutated payload's length, so the
 * JSON parser and the messages' validation run, not only the header checks.
 */
class FramesFuzzTest {
    static final int ITERATIONS = 1_000_000;
    static final int MAX_FRAME = 1 << 16;

    static List<byte[]> corpus() {
        Manifest m = new Manifest(List.of(
            new Manifest.Entry("etc/nftables.conf", 20, 0640, Sha256.hex("table inet filter {}")),
            new Manifest.Entry("etc/ipsec.d/a.conf", 7, 0644, Sha256.hex("conn a\n")),
            new Manifest.Entry("etc/tandem/shared.yaml", 5, 0600, Sha256.hex("a: 1\n"))));
        Manifest.Diff d = new Manifest.Diff(List.of("etc/ipsec.d/a.conf"), List.of("etc/nftables.conf"), List.of("etc/x"));
        List<byte[]> c = new ArrayList<>();
        c.add(Frames.encode(new Message.Status()));
        c.add(Frames.encode(new Message.StatusReply(new NodeStatus("fw2", "0.10.0", m.hash(), Sha256.hex("a: 1\n"), 7,
            "check of /etc/nftables.conf failed", m, List.of("/etc/ipsec.d/private")))));
        c.add(Frames.encode(new Message.Push(new Bundle("fw1", "0.9.3", "a: 1\n", m, List.of("etc/nftables.conf"),
            List.of("etc/ipsec.d/old.conf"), List.of("/etc/ipsec.d/*.key")))));
        c.add(Frames.encode(new Message.PushReady()));
        c.add(Frames.encode(new Message.PushReply(new ApplyResult(Outcome.ROLLED_BACK, "apply failed", 3, m.hash(), "",
            new CommandResult("nft -f /etc/nftables.conf", 1, "Error: syntax error\n", false, 12), d))));
        c.add(Frames.encode(new Message.PushReply(new ApplyResult(Outcome.APPLIED, "applied", 4, m.hash(), Sha256.hex("x"),
            null, d))));
        c.add(Frames.encode(new Message.Fetch(List.of("etc/nftables.conf"))));
        c.add(Frames.encode(new Message.FetchReply(m, "a: 1\n", List.of("etc/nftables.conf", "etc/ipsec.d/a.conf"))));
        c.add(Frames.encode(new Message.Error(Message.Error.PROTOCOL, "frame type: 9 (expected: 1 JSON or 2 DATA)")));
        c.add(Frames.frame(Frames.DATA, "table inet filter {}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        return c;
    }

    static Function<Rng, byte[]> generator() {
        ByteMutator mutator = new ByteMutator(corpus()).lengthFields(b -> List.of(new LengthField(4, 4, true)));
        return rng -> {
            byte[] b = mutator.apply(rng);
            if (b.length >= Frames.HEADER && rng.nextBoolean()) {
                new LengthField(4, 4, true).write(b, b.length - Frames.HEADER);
                if (rng.nextBoolean()) {
                    b[0] = Frames.MAGIC_0;
                    b[1] = Frames.MAGIC_1;
                    b[2] = Frames.VERSION;
                }
            }
            return b;
        };
    }

    @Test
    void aMillionMutatedFramesAreDecodedOrRefusedWithTheirOwnException() {
        Fuzz.runParallel("hotwire frames", ITERATIONS, generator(), ProtocolException.class, in -> {
            Message m = Frames.decode(in, MAX_FRAME);
            if (m == null) {
                assertThat(in[3]).isEqualTo((byte) Frames.DATA);
                return;
            }
            byte[] again = Frames.encode(m);
            assertThat(Frames.decode(again, Integer.MAX_VALUE)).isEqualTo(m);
        }).requireBothOutcomes(ITERATIONS);
    }

    @Test
    void theCorpusDecodesToWhatWasEncoded() throws Exception {
        for (byte[] b : corpus()) {
            Message m = Frames.decode(b, MAX_FRAME);
            if (m != null) {
                assertThat(Frames.encode(m)).isEqualTo(b);
            }
        }
    }
}
