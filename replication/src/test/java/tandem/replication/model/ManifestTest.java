package tandem.replication.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.replication.TestSite;

class ManifestTest {
    @TempDir
    Path dir;

    TestSite site() {
        return new TestSite(dir, "fw1").shared("file /etc/nftables.conf", "dir /etc/ipsec.d")
            .write("etc/nftables.conf", "table inet filter {}\n")
            .write("etc/ipsec.d/a.conf", "conn a\n", "rw-------")
            .write("etc/ipsec.d/sub/b.conf", "conn b\n")
            .write("etc/other.conf", "not replicated\n");
    }

    @Test
    void theManifestListsTheSharedConfigurationAndEveryRegularFileOfEveryItemSorted() throws Exception {
        Manifest m = site().set().manifest();
        assertThat(m.entries()).extracting(Manifest.Entry::path)
            .containsExactly("etc/ipsec.d/a.conf", "etc/ipsec.d/sub/b.conf", "etc/nftables.conf", TestSite.SHARED);
        Manifest.Entry a = m.entry("etc/ipsec.d/a.conf");
        assertThat(a.size()).isEqualTo(7);
        assertThat(a.mode()).isEqualTo(0600);
        assertThat(a.sha256()).isEqualTo(Sha256.hex("conn a\n"));
        assertThat(m.canonical()).contains("etc/ipsec.d/a.conf\t7\t0600\t" + Sha256.hex("conn a\n") + "\n");
        assertThat(m.hash()).isEqualTo(Sha256.hex(m.canonical()));
    }

    @Test
    void exceptionsLeaveOutAPathEverythingUnderAnExceptedDirectoryAndWhatAGlobMatches() throws Exception {
        TestSite s = site().write("etc/ipsec.d/private/ca.key", "secret", "rw-------")
            .write("etc/ipsec.d/certs/host.pem", "host");
        s.exceptions = Exceptions.of("/etc/ipsec.d/private", "/etc/ipsec.d/*/*.pem", "/etc/ipsec.d/a.conf");
        assertThat(s.set().manifest().entries()).extracting(Manifest.Entry::path)
            .containsExactly("etc/ipsec.d/sub/b.conf", "etc/nftables.conf", TestSite.SHARED);
        assertThat(s.exceptions.matches("etc/ipsec.d/private/deeper/x")).isTrue();
        assertThat(s.exceptions.matches("etc/ipsec.d/privateer")).isFalse();
    }

    @Test
    void aSymbolicLinkInADirectoryItemIsRefusedNamingThePath() throws Exception {
        TestSite s = site();
        Files.createSymbolicLink(s.root.resolve("etc/ipsec.d/sub/link.conf"), s.root.resolve("etc/other.conf"));
        assertThatThrownBy(() -> s.set().manifest()).isInstanceOf(ManifestException.class)
            .hasMessageContaining("etc/ipsec.d/sub/link.conf: a symbolic link");
    }

    @Test
    void aSymbolicLinkAsAFileItemIsRefusedToo() throws Exception {
        TestSite s = site();
        Files.delete(s.root.resolve("etc/nftables.conf"));
        Files.createSymbolicLink(s.root.resolve("etc/nftables.conf"), s.root.resolve("etc/other.conf"));
        assertThatThrownBy(() -> s.set().manifest()).isInstanceOf(ManifestException.class)
            .hasMessageContaining("etc/nftables.conf: a symbolic link (expected: a regular file");
    }

    @Test
    void aFifoIsRefusedNamingThePath() throws Exception {
        TestSite s = site();
        Path fifo = s.root.resolve("etc/ipsec.d/pipe");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        assertThatThrownBy(() -> s.set().manifest()).isInstanceOf(ManifestException.class)
            .hasMessageContaining("etc/ipsec.d/pipe: a special file");
    }

    @Test
    void aDirectoryWhereAFileIsDeclaredIsRefused() throws Exception {
        TestSite s = site().shared("file /etc/ipsec.d");
        assertThatThrownBy(() -> s.set().manifest()).isInstanceOf(ManifestException.class)
            .hasMessageContaining("etc/ipsec.d: a directory (expected: a regular file");
    }

    @Test
    void anAbsentItemHasNoEntries() throws Exception {
        TestSite s = site().shared("file /etc/missing.conf", "dir /etc/missing.d");
        assertThat(s.set().manifest().entries()).extracting(Manifest.Entry::path).containsExactly(TestSite.SHARED);
    }

    @Test
    void theHashCoversPathSizeModeAndContentButNotTheModificationTime() throws Exception {
        TestSite s = site();
        String h = s.set().manifest().hash();
        Files.setLastModifiedTime(s.root.resolve("etc/nftables.conf"), FileTime.fromMillis(0));
        assertThat(s.set().manifest().hash()).isEqualTo(h);
        Files.setPosixFilePermissions(s.root.resolve("etc/nftables.conf"), PosixFilePermissions.fromString("rw-------"));
        String h2 = s.set().manifest().hash();
        assertThat(h2).isNotEqualTo(h);
        s.write("etc/nftables.conf", "table inet filter {}\n".replace('f', 'g'), "rw-------");
        assertThat(s.set().manifest().hash()).isNotEqualTo(h2);
    }

    @Test
    void diffReportsAddedChangedAndDeletedPaths() throws Exception {
        TestSite s = site();
        Manifest before = s.set().manifest();
        s.write("etc/ipsec.d/new.conf", "new").write("etc/nftables.conf", "changed");
        s.delete("etc/ipsec.d/sub/b.conf");
        Manifest.Diff d = before.diff(s.set().manifest());
        assertThat(d.added()).containsExactly("etc/ipsec.d/new.conf");
        assertThat(d.changed()).containsExactly("etc/nftables.conf");
        assertThat(d.deleted()).containsExactly("etc/ipsec.d/sub/b.conf");
        assertThat(d.toString()).isEqualTo("1 added, 1 changed, 1 deleted");
        assertThat(before.diff(before).isEmpty()).isTrue();
    }

    @Test
    void entriesAreValidatedAndUnique() {
        String sha = Sha256.hex("x");
        assertThatThrownBy(() -> new Manifest.Entry("../etc/passwd", 1, 0644, sha)).hasMessageContaining("'..' segment");
        assertThatThrownBy(() -> new Manifest.Entry("/etc/passwd", 1, 0644, sha)).hasMessageContaining("absolute");
        assertThatThrownBy(() -> new Manifest.Entry("etc//passwd", 1, 0644, sha)).hasMessageContaining("empty segment");
        assertThatThrownBy(() -> new Manifest.Entry("etc/pa\nsswd", 1, 0644, sha)).hasMessageContaining("control");
        assertThatThrownBy(() -> new Manifest.Entry("etc/x", -1, 0644, sha)).hasMessageContaining("size");
        assertThatThrownBy(() -> new Manifest.Entry("etc/x", 1, 04755, sha)).hasMessageContaining("mode");
        assertThatThrownBy(() -> new Manifest.Entry("etc/x", 1, 0644, "ABC")).hasMessageContaining("sha256");
        Manifest.Entry e = new Manifest.Entry("etc/x", 1, 0644, sha);
        assertThatThrownBy(() -> new Manifest(List.of(e, e))).hasMessageContaining("twice");
    }

    @Test
    void itemsAndExceptionsMustBeAbsoluteAndNormalized() {
        assertThatThrownBy(() -> ReplicatedItem.file("etc/x")).hasMessageContaining("relative (expected: absolute");
        assertThatThrownBy(() -> ReplicatedItem.file("/etc/../x")).hasMessageContaining("not normalized");
        assertThatThrownBy(() -> ReplicatedItem.directory("/")).hasMessageContaining("the root itself");
        assertThatThrownBy(() -> Exceptions.of("etc/x")).hasMessageContaining("not absolute");
        assertThat(ReplicatedItem.directory("/etc/ipsec.d").covers("etc/ipsec.d/x")).isTrue();
        assertThat(ReplicatedItem.directory("/etc/ipsec.d").covers("etc/ipsec.dx")).isFalse();
        assertThat(ReplicatedItem.file("/etc/a").covers("etc/a")).isTrue();
    }

    @Test
    void versionsCompareNumericallyAndAQualifierIsOlder() {
        assertThat(TandemVersion.parse("0.10.0").isNewerThan(TandemVersion.parse("0.9.3"))).isTrue();
        assertThat(TandemVersion.parse("0.9.3").isNewerThan(TandemVersion.parse("0.10.0"))).isFalse();
        assertThat(TandemVersion.parse("1.0").compareTo(TandemVersion.parse("1.0.0"))).isZero();
        assertThat(TandemVersion.parse("0.2.0").isNewerThan(TandemVersion.parse("0.2.0-SNAPSHOT"))).isTrue();
        assertThat(TandemVersion.parse("0.2.0-SNAPSHOT").compareTo(TandemVersion.parse("0.2.0-SNAPSHOT"))).isZero();
        assertThatThrownBy(() -> TandemVersion.parse("1.x")).hasMessageContaining("expected: numbers");
    }
}
