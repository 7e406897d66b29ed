package tandem.replication.apply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.replication.TestSite;
import tandem.replication.model.Exceptions;
import tandem.replication.model.Manifest;
import tandem.replication.model.Sha256;

/**
 * The receiver's transaction on real files in a temporary root, with real /bin/sh commands: checks on
 * the staged copy, the swap, apply commands, rollbacks, generations and the recovery after a crash.
 */
class ReceiverTest {
    /** nftables stand-in: the check wants "table" in the staged file; the apply logs and wants "good". */
    static final String[] ITEMS = {
        "file /etc/nftables.conf :: grep -q table {} :: echo \"nft $(cat {})\" >> applied.log; grep -q good {}",
        "dir /etc/ipsec.d :: :: echo \"ipsec $(ls etc/ipsec.d | tr '\\n' ' ')\" >> applied.log",
    };

    @TempDir
    Path dir;
    TestSite fw1;
    TestSite fw2;

    @BeforeEach
    void sites() {
        fw1 = new TestSite(dir, "fw1").shared(ITEMS)
            .write("etc/nftables.conf", "table good 1\n", "rw-r-----")
            .write("etc/ipsec.d/a.conf", "conn a\n")
            .write("etc/ipsec.d/sub/b.conf", "conn b\n", "rw-------");
        fw2 = new TestSite(dir, "fw2");
    }

    ApplyResult push(Receiver r) throws Exception {
        return r.apply(fw1.bundleFor(r.status()), fw1.replication().contents());
    }

    List<String> applied() throws IOException {
        Path log = fw2.root.resolve("applied.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    @Test
    void aFirstPushCreatesTheFilesWithTheirModesAndRecordsGenerationOne() throws Exception {
        Receiver r = fw2.receiver();
        ApplyResult res = push(r);
        assertThat(res.outcome()).as(res.message()).isEqualTo(Outcome.APPLIED);
        assertThat(res.generation()).isEqualTo(1);
        assertThat(fw2.read("etc/nftables.conf")).isEqualTo("table good 1\n");
        assertThat(fw2.mode("etc/nftables.conf")).isEqualTo("rw-r-----");
        assertThat(fw2.mode("etc/ipsec.d/sub/b.conf")).isEqualTo("rw-------");
        assertThat(fw2.read(TestSite.SHARED)).isEqualTo(fw1.read(TestSite.SHARED));
        assertThat(res.manifestHash()).isEqualTo(fw1.set().manifest().hash()).isEqualTo(r.status().manifestHash());
        assertThat(res.sharedConfigHash()).isEqualTo(Sha256.hex(fw1.read(TestSite.SHARED)));
        assertThat(applied()).containsExactly("nft table good 1", "ipsec a.conf sub ");
        assertThat(r.generations()).singleElement().satisfies(g -> {
            assertThat(g.sender()).isEqualTo("fw1");
            assertThat(g.senderVersion()).isEqualTo(TestSite.VERSION);
            assertThat(g.kind()).isEqualTo("push");
            assertThat(g.manifestHash()).isEqualTo(res.manifestHash());
        });
        assertThat(r.status().generation()).isEqualTo(1);
        assertThat(r.lastError()).isNull();
    }

    @Test
    void aPushOfWhatIsAlreadyThereChangesNothing() throws Exception {
        Receiver r = fw2.receiver();
        push(r);
        ApplyResult again = push(r);
        assertThat(again.outcome()).isEqualTo(Outcome.UNCHANGED);
        assertThat(r.generations()).hasSize(1);
        assertThat(applied()).hasSize(2);
    }

    @Test
    void onlyTheItemsWhoseFilesChangedAreCheckedAndApplied() throws Exception {
        Receiver r = fw2.receiver();
        push(r);
        fw1.write("etc/ipsec.d/c.conf", "conn c\n");
        ApplyResult res = push(r);
        assertThat(res.outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(res.changes().added()).containsExactly("etc/ipsec.d/c.conf");
        assertThat(applied()).containsExactly("nft table good 1", "ipsec a.conf sub ", "ipsec a.conf c.conf sub ");
    }

    @Test
    void aCheckThatFailsChangesNothingAndReportsTheCommandItsExitCodeAndOutput() throws Exception {
        Receiver r = fw2.receiver();
        push(r);
        String before = r.status().manifestHash();
        fw1.write("etc/nftables.conf", "tabel typo\n");
        fw1.write("etc/ipsec.d/a.conf", "conn a2\n");
        ApplyResult res = push(r);
        assertThat(res.outcome()).isEqualTo(Outcome.CHECK_FAILED);
        assertThat(res.failedCommand().command()).startsWith("grep -q table '" + fw2.state.resolve("staging"));
        assertThat(res.failedCommand().exitCode()).isEqualTo(1);
        assertThat(res.message()).contains("check of /etc/nftables.conf failed", "exited with 1", "nothing changed");
        assertThat(fw2.read("etc/nftables.conf")).isEqualTo("table good 1\n");
        assertThat(fw2.read("etc/ipsec.d/a.conf")).isEqualTo("conn a\n");
        assertThat(r.status().manifestHash()).isEqualTo(before);
        assertThat(r.status().lastError()).contains("check of /etc/nftables.conf failed");
        assertThat(r.generations()).hasSize(1);
        assertThat(applied()).hasSize(2);
        try (Stream<Path> staging = Files.list(fw2.state.resolve("staging"))) {
            assertThat(staging).isEmpty();
        }
    }

    @Test
    void aCheckSeesTheWholeStagedDirectoryAndItsOutputIsReported() throws Exception {
        fw1.shared("dir /etc/ipsec.d :: echo staged: $(cd {} && find . -type f | sort | tr '\\n' ' ')in $TANDEM_STAGED for "
            + "$TANDEM_PATH; ! test -e {}/c.conf || exit 3");
        fw2.write("etc/ipsec.d/old.conf", "old\n");
        Receiver r = fw2.receiver();
        assertThat(push(r).outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(fw2.exists("etc/ipsec.d/old.conf")).isFalse();
        fw1.write("etc/ipsec.d/c.conf", "conn c\n");
        ApplyResult res = push(r);
        assertThat(res.outcome()).isEqualTo(Outcome.CHECK_FAILED);
        assertThat(res.failedCommand().exitCode()).isEqualTo(3);
        // b.conf did not change: it is staged from the store, so the check sees the whole directory
        assertThat(res.failedCommand().output())
            .startsWith("staged: ./a.conf ./c.conf ./sub/b.conf in " + fw2.state.resolve("staging"))
            .endsWith("/etc/ipsec.d for " + fw2.root.resolve("etc/ipsec.d") + "\n");
        assertThat(fw2.exists("etc/ipsec.d/c.conf")).isFalse();
    }

    @Test
    void anApplyThatFailsRestoresThePreviousFilesAndAppliesThemAgain() throws Exception {
        Receiver r = fw2.receiver();
        push(r);
        String before = r.status().manifestHash();
        fw1.write("etc/nftables.conf", "table bad 2\n");
        fw1.write("etc/ipsec.d/new.conf", "conn new\n");
        ApplyResult res = push(r);
        assertThat(res.outcome()).isEqualTo(Outcome.ROLLED_BACK);
        assertThat(res.message()).contains("apply of /etc/nftables.conf failed", "exited with 1",
            "rolled back", "restored and applied again");
        assertThat(res.failedCommand().exitCode()).isEqualTo(1);
        assertThat(fw2.read("etc/nftables.conf")).isEqualTo("table good 1\n");
        assertThat(fw2.exists("etc/ipsec.d/new.conf")).isFalse();
        assertThat(applied()).containsExactly("nft table good 1", "ipsec a.conf sub ", "nft table bad 2",
            "nft table good 1", "ipsec a.conf sub ");
        assertThat(r.status().manifestHash()).isEqualTo(before);
        assertThat(r.status().lastError()).contains("rolled back");
        assertThat(r.generations()).hasSize(1);
    }

    @Test
    void aDeletedFileIsDeletedOnTheReceiverAndRecreatedByARollback() throws Exception {
        Receiver r = fw2.receiver();
        push(r);
        fw1.delete("etc/ipsec.d/sub/b.conf");
        ApplyResult res = push(r);
        assertThat(res.outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(res.changes().deleted()).containsExactly("etc/ipsec.d/sub/b.conf");
        assertThat(fw2.exists("etc/ipsec.d/sub/b.conf")).isFalse();
        assertThat(r.status().manifestHash()).isEqualTo(fw1.set().manifest().hash());

        ApplyResult back = r.rollback();
        assertThat(back.outcome()).as(back.message()).isEqualTo(Outcome.APPLIED);
        assertThat(fw2.read("etc/ipsec.d/sub/b.conf")).isEqualTo("conn b\n");
        assertThat(fw2.mode("etc/ipsec.d/sub/b.conf")).isEqualTo("rw-------");
        assertThat(r.generations()).extracting(Generation::kind).containsExactly("push", "push", "rollback");
        assertThat(applied()).last().isEqualTo("ipsec a.conf sub ");
    }

    @Test
    void aRollbackRemovesTheFilesThePushAddedAndASecondRollbackUndoesTheFirst() throws Exception {
        Receiver r = fw2.receiver();
        push(r);
        String first = r.status().manifestHash();
        fw1.write("etc/ipsec.d/added.conf", "added\n").write("etc/nftables.conf", "table good 2\n");
        push(r);
        String second = r.status().manifestHash();
        assertThat(r.rollback().outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(fw2.exists("etc/ipsec.d/added.conf")).isFalse();
        assertThat(fw2.read("etc/nftables.conf")).isEqualTo("table good 1\n");
        assertThat(r.status().manifestHash()).isEqualTo(first);
        assertThat(r.rollback().outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(r.status().manifestHash()).isEqualTo(second);
    }

    @Test
    void theFirstPushCanBeRolledBackToWhatTheNodeHadBefore() throws Exception {
        fw2.shared("file /etc/nftables.conf").write("etc/nftables.conf", "table local good\n").write("etc/ipsec.d/mine.conf", "mine\n");
        Receiver r = fw2.receiver();
        String local = r.status().manifestHash();
        push(r);
        assertThat(fw2.exists("etc/ipsec.d/mine.conf")).isFalse();
        assertThat(r.rollback().outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(fw2.read("etc/nftables.conf")).isEqualTo("table local good\n");
        assertThat(fw2.read("etc/ipsec.d/mine.conf")).isEqualTo("mine\n");
        assertThat(fw2.read(TestSite.SHARED)).isEqualTo("file /etc/nftables.conf\n");
        assertThat(r.status().manifestHash()).isEqualTo(local);
    }

    @Test
    void aRollbackWithoutAGenerationSaysThereIsNothingToRollBack() throws Exception {
        ApplyResult res = fw2.receiver().rollback();
        assertThat(res.outcome()).isEqualTo(Outcome.NO_GENERATION);
        assertThat(res.message()).contains("no generation on fw2");
    }

    @Test
    void aKeptGenerationCanBeRestored() throws Exception {
        Receiver r = fw2.receiver();
        push(r);
        String first = r.status().manifestHash();
        for (int i = 2; i <= 3; i++) {
            fw1.write("etc/nftables.conf", "table good " + i + "\n");
            push(r);
        }
        assertThat(r.restore(1).outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(r.status().manifestHash()).isEqualTo(first);
        assertThat(r.restore(99).outcome()).isEqualTo(Outcome.NO_GENERATION);
    }

    @Test
    void onlyTheNewestGenerationsAreKeptAndContentsNoGenerationNeedsArePruned() throws Exception {
        Receiver r = Receiver.open(fw2.settings().withKeep(2));
        for (int i = 1; i <= 4; i++) {
            fw1.write("etc/nftables.conf", "table good " + i + "\n");
            assertThat(push(r).outcome()).isEqualTo(Outcome.APPLIED);
        }
        assertThat(r.generations()).extracting(Generation::number).containsExactly(3L, 4L);
        Path objects = fw2.state.resolve("objects");
        String one = Sha256.hex("table good 1\n");
        String two = Sha256.hex("table good 2\n");
        String four = Sha256.hex("table good 4\n");
        assertThat(objects.resolve(one.substring(0, 2)).resolve(one)).doesNotExist();
        assertThat(objects.resolve(two.substring(0, 2)).resolve(two)).exists(); // generation 3's before
        assertThat(objects.resolve(four.substring(0, 2)).resolve(four)).exists();
    }

    @Test
    void anExceptionPathIsNeverOverwrittenEvenIfTheSenderSendsIt() throws Exception {
        fw2.exceptions = Exceptions.of("/etc/ipsec.d/private");
        fw2.write("etc/ipsec.d/private/ca.key", "fw2's own key\n", "rw-------");
        fw1.write("etc/ipsec.d/private/ca.key", "fw1's key\n", "rw-------");
        Receiver r = fw2.receiver();
        NodeStatus st = r.status();
        // a sender that ignores fw2's exceptions
        Bundle honest = fw1.bundleFor(st);
        Manifest all = fw1.set().manifest();
        Bundle rogue = new Bundle(honest.sender(), honest.version(), honest.sharedConfig(), all,
            all.entries().stream().map(Manifest.Entry::path).filter(p -> !p.equals(TestSite.SHARED)).toList(),
            List.of(), List.of());
        ApplyResult res = r.apply(rogue, fw1.replication().contents());
        assertThat(res.outcome()).isEqualTo(Outcome.PATH_REFUSED);
        assertThat(res.message()).contains("etc/ipsec.d/private/ca.key", "a local exception of fw2");
        assertThat(fw2.read("etc/ipsec.d/private/ca.key")).isEqualTo("fw2's own key\n");
        assertThat(fw2.exists("etc/nftables.conf")).isFalse();

        // the honest bundle leaves the excepted file out, and fw2 neither overwrites nor deletes it
        assertThat(honest.manifest().entry("etc/ipsec.d/private/ca.key")).isNull();
        assertThat(r.apply(honest, fw1.replication().contents()).outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(fw2.read("etc/ipsec.d/private/ca.key")).isEqualTo("fw2's own key\n");
        assertThat(fw2.read("etc/nftables.conf")).isEqualTo("table good 1\n");
    }

    @Test
    void aFileTheSenderExceptsIsNotDeletedOnTheReceiver() throws Exception {
        fw1.exceptions = Exceptions.of("/etc/ipsec.d/host.pem");
        fw2.write("etc/ipsec.d/host.pem", "fw2's certificate\n");
        Receiver r = fw2.receiver();
        assertThat(push(r).outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(fw2.read("etc/ipsec.d/host.pem")).isEqualTo("fw2's certificate\n");
    }

    @Test
    void aNewerSenderVersionIsRefusedAndNothingIsApplied() throws Exception {
        Receiver r = Receiver.open(fw2.settings().withVersion("0.9.3"));
        Bundle b = fw1.bundleFor(r.status());
        Bundle newer = new Bundle(b.sender(), "0.10.0", b.sharedConfig(), b.manifest(), b.files(), b.deletions(), b.exceptions());
        assertThat(r.precheck(newer).outcome()).isEqualTo(Outcome.VERSION_REFUSED);
        ApplyResult res = r.apply(newer, fw1.replication().contents());
        assertThat(res.outcome()).isEqualTo(Outcome.VERSION_REFUSED);
        assertThat(res.message()).isEqualTo("sent by tandem 0.10.0, this node (fw2) runs 0.9.3: update this node first");
        assertThat(fw2.exists("etc/nftables.conf")).isFalse();
        assertThat(r.status().lastError()).isEqualTo(res.message());
        Bundle older = new Bundle(b.sender(), "0.9.2", b.sharedConfig(), b.manifest(), b.files(), b.deletions(), b.exceptions());
        assertThat(r.apply(older, fw1.replication().contents()).outcome()).isEqualTo(Outcome.APPLIED);
    }

    @Test
    void pathsOutsideTheDeclaredItemsAreRefused() throws Exception {
        Receiver r = fw2.receiver();
        Bundle b = fw1.bundleFor(r.status());
        Manifest.Entry shadow = new Manifest.Entry("etc/shadow", 5, 0600, Sha256.hex("root:"));
        List<Manifest.Entry> entries = new java.util.ArrayList<>(b.manifest().entries());
        entries.add(shadow);
        Bundle rogue = new Bundle(b.sender(), b.version(), b.sharedConfig(), new Manifest(entries),
            Stream.concat(b.files().stream(), Stream.of("etc/shadow")).toList(), b.deletions(), b.exceptions());
        ApplyResult res = r.apply(rogue, (e, out) -> out.write(Files.readAllBytes(fw1.root.resolve(e.path()))));
        assertThat(res.outcome()).isEqualTo(Outcome.PATH_REFUSED);
        assertThat(res.message()).contains("path etc/shadow from fw1: not declared by the shared configuration's items");
        assertThat(fw2.exists("etc/shadow")).isFalse();
        assertThatThrownBy(() -> new Bundle("fw1", "0.1", "", Manifest.EMPTY, List.of("etc/../shadow"), List.of(), List.of()))
            .hasMessageContaining("'..' segment");
    }

    @Test
    void contentThatDoesNotMatchItsManifestEntryIsRefused() throws Exception {
        Receiver r = fw2.receiver();
        Bundle b = fw1.bundleFor(r.status());
        ApplyResult res = r.apply(b, (e, out) -> {
            byte[] c = Files.readAllBytes(fw1.root.resolve(e.path()));
            c[0] ^= 1;
            out.write(c);
        });
        assertThat(res.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(res.message()).contains("does not match its manifest entry");
        assertThat(fw2.exists("etc/nftables.conf")).isFalse();
    }

    @Test
    void anInvalidSharedConfigurationIsRefusedBeforeAnythingChanges() throws Exception {
        Receiver r = fw2.receiver();
        var sender = fw1.replication();
        fw1.shared("file /etc/nftables.conf", "folder /etc/x");
        ApplyResult res = r.apply(sender.bundle(r.status(), sender.manifest(), false), sender.contents());
        assertThat(res.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(res.message()).contains("the shared configuration from fw1 is invalid: line 2: folder /etc/x");
        assertThat(fw2.exists(TestSite.SHARED)).isFalse();
    }

    @Test
    void aFileThatChangedSinceTheSendersStatusIsABaseChange() throws Exception {
        Receiver r = fw2.receiver();
        push(r);
        fw1.write("etc/nftables.conf", "table good 2\n");
        NodeStatus st = r.status();
        fw2.write("etc/ipsec.d/a.conf", "edited on fw2\n");
        ApplyResult res = r.apply(fw1.bundleFor(st), fw1.replication().contents());
        assertThat(res.outcome()).isEqualTo(Outcome.BASE_CHANGED);
        assertThat(res.message()).contains("etc/ipsec.d/a.conf differs on fw2 from what fw1 saw", "push again");
        assertThat(fw2.read("etc/nftables.conf")).isEqualTo("table good 1\n");
        assertThat(push(r).outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(fw2.read("etc/ipsec.d/a.conf")).isEqualTo("conn a\n");
    }

    @Test
    void newDirectoriesTakeThePermissionsOfTheirParent() throws Exception {
        Files.createDirectories(fw2.root.resolve("etc"));
        Files.setPosixFilePermissions(fw2.root.resolve("etc"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
        push(fw2.receiver());
        assertThat(Files.getPosixFilePermissions(fw2.root.resolve("etc/ipsec.d/sub")))
            .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
    }

    /** Thrown by the swap hook: the process "dies" in the middle of the renames. */
    static final class Crash extends Error {
        private static final long serialVersionUID = 1L;

        Crash() {
            super("simulated crash");
        }
    }

    @Test
    void aCrashInTheMiddleOfTheSwapIsUndoneAtTheNextStart() throws Exception {
        Receiver r = fw2.receiver();
        push(r);
        String before = r.status().manifestHash();
        fw1.write("etc/nftables.conf", "table good 2\n").write("etc/ipsec.d/a.conf", "conn a2\n")
            .write("etc/ipsec.d/c.conf", "conn c\n");
        fw1.delete("etc/ipsec.d/sub/b.conf");
        r.swapHook((path, done, total) -> {
            if (done == total / 2) {
                throw new Crash();
            }
        });
        Bundle b = fw1.bundleFor(r.status());
        assertThatThrownBy(() -> r.apply(b, fw1.replication().contents())).isInstanceOf(Crash.class);
        assertThat(fw2.state.resolve("journal.json")).exists();
        assertThat(fw2.read("etc/ipsec.d/a.conf")).isEqualTo("conn a2\n"); // half swapped
        assertThat(fw2.exists("etc/ipsec.d/sub/b.conf")).isTrue();

        Receiver restarted = fw2.receiver();
        assertThat(restarted.recovered()).contains("push from fw1", "was cut off (crash or restart) and undone",
            "restored and applied again");
        assertThat(fw2.state.resolve("journal.json")).doesNotExist();
        assertThat(restarted.status().manifestHash()).isEqualTo(before);
        assertThat(fw2.read("etc/ipsec.d/a.conf")).isEqualTo("conn a\n");
        assertThat(fw2.read("etc/ipsec.d/sub/b.conf")).isEqualTo("conn b\n");
        assertThat(fw2.exists("etc/ipsec.d/c.conf")).isFalse();
        assertThat(applied()).last().isEqualTo("ipsec a.conf sub ");
        assertThat(restarted.lastError()).contains("cut off");
        try (Stream<Path> files = Files.walk(fw2.root)) {
            assertThat(files.map(Path::toString)).noneMatch(p -> p.contains(".tandem-"));
        }
        assertThat(push(restarted).outcome()).isEqualTo(Outcome.APPLIED);
        assertThat(restarted.status().manifestHash()).isEqualTo(fw1.set().manifest().hash());
    }

    @Test
    void aJournalWhoseGenerationWasCommittedIsOnlyRemovedAtTheNextStart() throws Exception {
        Receiver r = fw2.receiver();
        push(r);
        fw1.write("etc/nftables.conf", "table good 2\n");
        push(r);
        String hash = r.status().manifestHash();
        GenerationStore store = new GenerationStore(fw2.state);
        Records.GenerationRecord g = store.latest();
        // the crash came after the commit (the generation's file), before the journal's deletion
        store.writeJournal(new Records.Journal("tx", Instant.now().toString(), g, g.paths()));
        Receiver restarted = fw2.receiver();
        assertThat(restarted.recovered()).contains("generation 2", "had been committed");
        assertThat(restarted.status().manifestHash()).isEqualTo(hash);
        assertThat(fw2.read("etc/nftables.conf")).isEqualTo("table good 2\n");
        assertThat(fw2.state.resolve("journal.json")).doesNotExist();
    }

    @Test
    void theSharedConfigurationTravelsAsTextAndMustMatchItsEntry() throws Exception {
        Receiver r = fw2.receiver();
        Bundle b = fw1.bundleFor(r.status());
        Bundle tampered = new Bundle(b.sender(), b.version(), b.sharedConfig() + "dir /etc\n", b.manifest(), b.files(),
            b.deletions(), b.exceptions());
        ApplyResult res = r.apply(tampered, fw1.replication().contents());
        assertThat(res.outcome()).isEqualTo(Outcome.INVALID);
        assertThat(res.message()).contains("the shared configuration's text", "does not match its manifest entry");
        assertThat(new String(Files.readAllBytes(fw1.root.resolve(TestSite.SHARED)), StandardCharsets.UTF_8))
            .isEqualTo(b.sharedConfig());
    }
}
