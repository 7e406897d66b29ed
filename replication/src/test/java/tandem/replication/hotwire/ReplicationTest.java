package tandem.replication.hotwire;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelSubsystem;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.replication.Replication;
import tandem.replication.Replication.PeerState;
import tandem.replication.Replication.State;
import tandem.replication.TestSite;
import tandem.replication.apply.ApplyResult;
import tandem.replication.apply.Outcome;

/** Two in-process nodes, each with its hotwire server on 127.0.0.1: status, push, fetch and diff end to end. */
class ReplicationTest {
    static final String[] ITEMS = {
        "file /etc/nftables.conf :: grep -q table {} :: echo \"nft $(cat {})\" >> applied.log; grep -q good {}",
        "dir /etc/ipsec.d",
    };

    @TempDir
    Path dir;

    static void content(TestSite s) {
        s.shared(ITEMS).write("etc/nftables.conf", "table good 1\nchain input\n", "rw-r-----")
            .write("etc/ipsec.d/a.conf", "conn a\n")
            .write("etc/ipsec.d/sub/b.conf", "conn b\n", "rw-------");
    }

    @Test
    void aPushTakesThePeerFromPendingToSynchronizedWithEqualHashes() throws Exception {
        try (Pair p = new Pair(dir)) {
            content(p.fw1.site);
            Replication fw1 = p.fw1.replication();
            PeerState before = fw1.status(p.fw2.peer());
            assertThat(before.state()).as(before.reason()).isEqualTo(State.PENDING);
            assertThat(before.reason()).isEqualTo("4 file(s) differ from fw2 (/etc/ipsec.d/a.conf, /etc/ipsec.d/sub/b.conf, /etc/nftables.conf, ...);"
                + " a push from fw1 would add 4, change 0, delete 0 there");
            assertThat(before.localHash()).isNotEqualTo(before.peerHash());

            PeerState after = fw1.push(p.fw2.peer());
            assertThat(after.state()).as(after.reason()).isEqualTo(State.SYNCHRONIZED);
            assertThat(after.peerHash()).isEqualTo(after.localHash()).isEqualTo(fw1.manifest().hash());
            assertThat(after.push().outcome()).isEqualTo(Outcome.APPLIED);
            assertThat(after.push().manifestHash()).isEqualTo(fw1.manifest().hash());
            assertThat(after.reason()).isEqualTo("synchronized (generation 1 on fw2)");
            assertThat(p.fw2.site.read("etc/nftables.conf")).isEqualTo("table good 1\nchain input\n");
            assertThat(p.fw2.site.mode("etc/ipsec.d/sub/b.conf")).isEqualTo("rw-------");
            assertThat(p.fw2.site.read("applied.log")).isEqualTo("nft table good 1\nchain input\n");

            // the other way round: fw2 (now with the replicated shared configuration) sees fw1 as equal
            assertThat(p.fw2.replication().status(p.fw1.peer()).state()).isEqualTo(State.SYNCHRONIZED);

            // a change and a deletion travel too; a push without differences sends nothing
            p.fw1.site.write("etc/nftables.conf", "table good 2\n");
            p.fw1.site.delete("etc/ipsec.d/sub/b.conf");
            assertThat(fw1.status(p.fw2.peer()).reason()).isEqualTo("2 file(s) differ from fw2 (/etc/ipsec.d/sub/b.conf, /etc/nftables.conf); a push from fw1 would"
                + " add 0, change 1, delete 1 there");
            PeerState again = fw1.push(p.fw2.peer());
            assertThat(again.state()).isEqualTo(State.SYNCHRONIZED);
            assertThat(p.fw2.site.exists("etc/ipsec.d/sub/b.conf")).isFalse();
            assertThat(p.fw2.receiver.generations()).hasSize(2);
            PeerState nothing = fw1.push(p.fw2.peer());
            assertThat(nothing.state()).isEqualTo(State.SYNCHRONIZED);
            assertThat(nothing.push()).isNull();
            assertThat(p.fw2.receiver.generations()).hasSize(2);
        }
    }

    @Test
    void aPushWhoseApplyFailsIsAnErrorAndThePeerKeepsItsFiles() throws Exception {
        try (Pair p = new Pair(dir)) {
            content(p.fw1.site);
            Replication fw1 = p.fw1.replication();
            fw1.push(p.fw2.peer());
            p.fw1.site.write("etc/nftables.conf", "table bad\n");
            PeerState failed = fw1.push(p.fw2.peer());
            assertThat(failed.state()).isEqualTo(State.ERROR);
            assertThat(failed.push().outcome()).isEqualTo(Outcome.ROLLED_BACK);
            assertThat(failed.reason()).startsWith("fw2: push from fw1 (tandem " + TestSite.VERSION + "): apply of /etc/nftables.conf failed")
                .contains("rolled back");
            assertThat(p.fw2.site.read("etc/nftables.conf")).isEqualTo("table good 1\nchain input\n");
            PeerState status = fw1.status(p.fw2.peer());
            assertThat(status.state()).isEqualTo(State.ERROR);
            assertThat(status.reason()).startsWith("the last transaction on fw2 failed: push from fw1");
            p.fw1.site.write("etc/nftables.conf", "table good 3\n");
            assertThat(fw1.push(p.fw2.peer()).state()).isEqualTo(State.SYNCHRONIZED);
            assertThat(fw1.status(p.fw2.peer()).status().lastError()).isNull();
        }
    }

    @Test
    void aPushWhoseAnswerIsLostReportsTheHashItSentWhichThePeerHoldsWhenItApplied() throws Exception {
        // fw2 applies, then its answer does not come within the push timeout (its power cut after the apply)
        Limits limits = Pair.LIMITS.withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(3), Duration.ofSeconds(30),
            Duration.ofSeconds(1));
        try (Pair p = new Pair(dir, limits)) {
            content(p.fw1.site);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            p.fw2.receiver.onChanged(r -> {
                try {
                    release.await(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Replication fw1 = p.fw1.replication();
            PeerState lost = fw1.push(p.fw2.peer());
            release.countDown();
            assertThat(lost.state()).isEqualTo(State.ERROR);
            assertThat(lost.reason()).contains("no answer to PUSH within 1 s");
            assertThat(lost.push()).isNull();
            assertThat(lost.peerHash()).isEmpty();
            assertThat(lost.localHash()).isEqualTo(fw1.manifest().hash());
            assertThat(p.fw2.site.read("etc/nftables.conf")).isEqualTo("table good 1\nchain input\n");
            PeerState after = fw1.status(p.fw2.peer());
            assertThat(after.state()).as(after.reason()).isEqualTo(State.SYNCHRONIZED);
            assertThat(after.peerHash()).isEqualTo(lost.localHash());
        }
    }

    @Test
    void aPeerRunningAnOlderTandemIsAVersionConflictAndRefusesABundle() throws Exception {
        try (Pair p = new Pair(dir, Pair.LIMITS, s -> s.withVersion("0.2.9"))) {
            content(p.fw1.site);
            Replication fw1 = p.fw1.replication();
            PeerState st = fw1.push(p.fw2.peer());
            assertThat(st.state()).isEqualTo(State.ERROR);
            assertThat(st.reason()).isEqualTo("version conflict: fw2 runs tandem 0.2.9, this node (fw1) " + TestSite.VERSION
                + ": update fw2 first (it refuses configurations of a newer tandem)");
            assertThat(st.push()).isNull();
            // and when pushed anyway, fw2 refuses before the contents are sent
            ApplyResult r = p.fw1.client.push(p.fw2.peer(), p.fw1.site.bundleFor(p.fw2.receiver.status()), fw1.contents());
            assertThat(r.outcome()).isEqualTo(Outcome.VERSION_REFUSED);
            assertThat(r.message()).isEqualTo("sent by tandem " + TestSite.VERSION + ", this node (fw2) runs 0.2.9: update this node first");
            assertThat(p.fw2.site.exists("etc/nftables.conf")).isFalse();
        }
    }

    @Test
    void aBundleLargerThanThePeerAcceptsIsRefused() throws Exception {
        try (Pair p = new Pair(dir, Pair.LIMITS, s -> s.withMaxBundle(100))) {
            content(p.fw1.site);
            p.fw1.site.write("etc/ipsec.d/big.conf", "x".repeat(500) + "\n");
            PeerState st = p.fw1.replication().push(p.fw2.peer());
            assertThat(st.state()).isEqualTo(State.ERROR);
            assertThat(st.push().outcome()).isEqualTo(Outcome.TOO_LARGE);
            assertThat(st.reason()).contains("octets (expected: at most 100, this node's limit)");
        }
    }

    @Test
    void theDiffShowsWhatAPushWouldChangeFileByFile() throws Exception {
        try (Pair p = new Pair(dir)) {
            content(p.fw1.site);
            Replication fw1 = p.fw1.replication();
            fw1.push(p.fw2.peer());
            p.fw1.site.write("etc/nftables.conf", "table good 2\nchain input\n").write("etc/ipsec.d/c.conf", "conn c\n");
            p.fw2.site.write("etc/ipsec.d/extra.conf", "only on fw2\n").write("etc/ipsec.d/bin", "\0\1\2");
            p.fw1.site.write("etc/ipsec.d/bin", "\0\1\3");
            List<Replication.FileDiff> diffs = fw1.diff(p.fw2.peer());
            assertThat(diffs).extracting(Replication.FileDiff::path, Replication.FileDiff::change).containsExactly(
                org.assertj.core.groups.Tuple.tuple("etc/ipsec.d/bin", "changed"),
                org.assertj.core.groups.Tuple.tuple("etc/ipsec.d/c.conf", "added"),
                org.assertj.core.groups.Tuple.tuple("etc/ipsec.d/extra.conf", "deleted"),
                org.assertj.core.groups.Tuple.tuple("etc/nftables.conf", "changed"));
            assertThat(diffs.get(0).unified()).isEqualTo("binary files differ (3 octets there, 3 octets here)");
            assertThat(diffs.get(1).unified()).isEqualTo("--- /dev/null\n+++ b/etc/ipsec.d/c.conf\n@@ -1,0 +1,1 @@\n+conn c\n");
            assertThat(diffs.get(2).unified()).isEqualTo("--- a/etc/ipsec.d/extra.conf\n+++ /dev/null\n@@ -1,1 +1,0 @@\n-only on fw2\n");
            assertThat(diffs.get(3).unified()).isEqualTo("""
                mode 0640 there, 0644 here
                --- a/etc/nftables.conf
                +++ b/etc/nftables.conf
                @@ -1,2 +1,2 @@
                -table good 1
                +table good 2
                 chain input
                """);
        }
    }

    @Test
    void aFetchReturnsThePeersManifestSharedConfigurationAndFiles() throws Exception {
        try (Pair p = new Pair(dir)) {
            content(p.fw1.site);
            p.fw1.replication().push(p.fw2.peer());
            Map<String, String> files = new HashMap<>();
            Message.FetchReply r = p.fw1.client.fetch(p.fw2.peer(), List.of(),
                (e, in) -> files.put(e.path(), new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            assertThat(r.manifest().hash()).isEqualTo(p.fw1.replication().manifest().hash());
            assertThat(r.sharedConfig()).isEqualTo(p.fw1.site.read(TestSite.SHARED));
            assertThat(files).containsOnlyKeys("etc/nftables.conf", "etc/ipsec.d/a.conf", "etc/ipsec.d/sub/b.conf")
                .containsEntry("etc/ipsec.d/sub/b.conf", "conn b\n");
        }
    }

    @Test
    void aPeerThatIsDownIsAnErrorSayingSo() throws Exception {
        try (Pair p = new Pair(dir); ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            content(p.fw1.site);
            int port = s.getLocalPort();
            s.close();
            PeerState st = p.fw1.replication().push(new Peer("fw2", "127.0.0.1", port));
            assertThat(st.state()).isEqualTo(State.ERROR);
            assertThat(st.reason()).startsWith("fw2 (127.0.0.1:" + port + "): not reachable within 2 s");
            assertThat(st.localHash()).as("nothing was sent").isEmpty();
        }
    }

    @Test
    void framesOfAnotherProtocolVersionOrBeyondTheLimitAreAnsweredWithAnErrorSayingWhatWasExpected() throws Exception {
        try (Pair p = new Pair(dir); SshClient plain = SshClient.setUpDefaultClient()) {
            plain.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
            plain.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
            plain.start();
            byte[] v2 = Frames.encode(new Message.Status());
            v2[2] = 2;
            byte[] huge = Frames.encode(new Message.Status());
            huge[4] = 0x7f;
            byte[] json = Frames.frame(Frames.JSON, "{\"type\":\"STATUS\",".getBytes(StandardCharsets.UTF_8));
            byte[] reply = Frames.frame(Frames.JSON, "{\"type\":\"PUSH_READY\"}".getBytes(StandardCharsets.UTF_8));
            Map<byte[], String> cases = Map.of(
                v2, "protocol version: 2 (expected: 1",
                huge, "octets (expected: at most " + Limits.DEFAULTS.maxFrame() + ")",
                json, "not enclosed in { } (expected: a JSON object)",
                reply, "message PushReady (expected: STATUS, PUSH or FETCH)");
            for (Map.Entry<byte[], String> c : cases.entrySet()) {
                try (ClientSession s = plain.connect("fw1", "127.0.0.1", p.fw2.server.address().getPort())
                    .verify(Duration.ofSeconds(10)).getSession()) {
                    s.addPublicKeyIdentity(p.fw1.keys.keyPair());
                    s.auth().verify(Duration.ofSeconds(10));
                    try (ChannelSubsystem ch = s.createSubsystemChannel(HotwireServer.SUBSYSTEM)) {
                        ch.open().verify(Duration.ofSeconds(10));
                        OutputStream out = ch.getInvertedIn();
                        out.write(c.getKey());
                        out.flush();
                        InputStream in = ch.getInvertedOut();
                        Message m = Frames.readMessage(in, Limits.DEFAULTS.maxFrame());
                        assertThat(m).isInstanceOfSatisfying(Message.Error.class,
                            e -> assertThat(e.message()).contains(c.getValue()));
                    }
                }
            }
        }
    }
}
