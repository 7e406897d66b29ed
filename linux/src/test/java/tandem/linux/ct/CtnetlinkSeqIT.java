package tandem.linux.ct;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tandem.conntrack.CtEntry;
import tandem.conntrack.CtTuple;
import tandem.linux.Netns;

/**
 * Batches whose sequence numbers wrap, against the kernel in a throwaway network namespace: replies
 * are matched by unsigned distance, so a batch through Integer.MAX_VALUE or through 0 is answered like
 * any other (a signed comparison dropped every reply after the wrap and waited for the timeout).
 */
class CtnetlinkSeqIT {
    static final String NS = "tdmseq" + ProcessHandle.current().pid();

    static void sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + out);
        }
    }

    @BeforeAll
    static void namespace() throws Exception {
        tandem.linux.TestNamespace.sweep("tdmseq");
        sh("ip", "netns", "add", NS);
    }

    @AfterAll
    static void removeNamespace() throws Exception {
        sh("ip", "netns", "del", NS);
    }

    static List<CtEntry> udpEntries(int n, int basePort) throws Exception {
        List<CtEntry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            CtTuple o = new CtTuple(InetAddress.getByName("192.0.2.10"), InetAddress.getByName("198.51.100.1"),
                CtTuple.UDP, basePort + i, 53);
            out.add(new CtEntry(o, o.inverted(), CtEntry.SEEN_REPLY | CtEntry.ASSURED, 120, 0, 0, null, null, null,
                null, null, null));
        }
        return out;
    }

    @Test
    void batchesWhoseSequenceNumbersWrapThroughMaxValueAndZeroAreAnsweredInFull() throws Exception {
        Netns.call(NS, () -> {
            try (Ctnetlink ct = Ctnetlink.open()) {
                List<CtEntry> entries = udpEntries(10, 40000);
                ct.nextSeq(Integer.MAX_VALUE - 4);
                Ctnetlink.CommitResult r = ct.commit(entries);
                assertThat(r.created()).isEqualTo(10);
                assertThat(r.failed()).isZero();
                ct.nextSeq(-5);
                assertThat(ct.dump()).extracting(CtEntry::key).containsAll(entries.stream().map(CtEntry::key).toList());
                assertThat(ct.delete(entries.stream().map(CtEntry::key).toList())).as("deleted through seq 0")
                    .isEqualTo(10);
                ct.nextSeq(-1);
                assertThat(ct.get(entries.getFirst().key())).isEmpty();
                assertThat(ct.dump()).extracting(CtEntry::key).doesNotContainAnyElementsOf(
                    entries.stream().map(CtEntry::key).toList());
                assertThat(ct.undecodable()).isZero();
            }
            return null;
        });
    }
}
