package tandem.replication.hotwire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustedKeysTest {
    @TempDir
    Path dir;

    @Test
    void keysAreTrustedReplacedAndRemovedAndTheFileIsReadAgainWhenItChanges() throws Exception {
        Keys fw2 = Keys.load(dir.resolve("fw2"), "fw2");
        Keys fw3 = Keys.load(dir.resolve("fw3"), "fw3");
        Keys fw2b = Keys.load(dir.resolve("fw2b"), "fw2");
        Path file = dir.resolve("trusted_keys");
        TrustedKeys t = TrustedKeys.load(file);
        assertThat(t.entries()).isEmpty();
        assertThat(t.trust("fw2", fw2.publicKeyLine())).isNull();
        t.trust("fw3", fw3.publicKeyLine());
        assertThat(t.nodeOf(fw2.publicKey())).isEqualTo("fw2");
        assertThat(t.keyOf("fw3")).isEqualTo(fw3.publicKey());
        assertThat(Files.readString(file)).contains("fw2 " + fw2.publicKeyLine() + "\n", "fw3 " + fw3.publicKeyLine() + "\n");

        TrustedKeys other = TrustedKeys.load(file); // another process, e.g. `tandem cluster trust`
        assertThat(other.trust("fw2", fw2b.publicKeyLine()).fingerprint()).isEqualTo(fw2.fingerprint());
        assertThat(t.nodeOf(fw2.publicKey())).isNull();
        assertThat(t.nodeOf(fw2b.publicKey())).isEqualTo("fw2");
        assertThat(other.remove("fw3")).isTrue();
        assertThat(other.remove("fw3")).isFalse();
        assertThat(t.keyOf("fw3")).isNull();
        assertThat(t.entries()).extracting(TrustedKeys.Trusted::node).containsExactly("fw2");
    }

    @Test
    void aKeyLineThatIsNotAnEd25519KeySaysWhatWasGotAndWhatWasExpected() throws Exception {
        TrustedKeys t = TrustedKeys.load(dir.resolve("trusted_keys"));
        assertThatThrownBy(() -> t.trust("fw2", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 root@fw2"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("key of fw2: got 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7...' (expected: 'ssh-ed25519 AAAA...', "
                + "the line `tandem cluster key` prints on fw2)");
        assertThatThrownBy(() -> t.trust("fw2", "hello")).hasMessageStartingWith("key of fw2: got 'hello' (expected: ");
        assertThatThrownBy(() -> t.trust("fw2", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIQ== x"))
            .hasMessageContaining("which does not decode").hasMessageContaining("expected: 'ssh-ed25519 AAAA...'");
        assertThatThrownBy(() -> t.trust("fw 2", Keys.load(dir.resolve("k"), "fw2").publicKeyLine()))
            .hasMessageContaining("node name \"fw 2\"");
        assertThat(t.entries()).isEmpty();
    }

    @Test
    void aKeyAlreadyTrustedForAnotherNodeIsRefused() throws Exception {
        Keys fw2 = Keys.load(dir.resolve("fw2"), "fw2");
        TrustedKeys t = TrustedKeys.load(dir.resolve("trusted_keys"));
        t.trust("fw2", fw2.publicKeyLine());
        assertThatThrownBy(() -> t.trust("fw3", fw2.publicKeyLine()))
            .hasMessage("key " + fw2.fingerprint() + " is already trusted for fw2 (expected: one key per node: each node has its own key)");
    }

    @Test
    void aTrustFileOthersMayWriteIsRefused() throws Exception {
        Path file = dir.resolve("trusted_keys");
        TrustedKeys.load(file).trust("fw2", Keys.load(dir.resolve("fw2"), "fw2").publicKeyLine());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThatThrownBy(() -> TrustedKeys.load(file)).hasMessageContaining("mode rw-rw-rw-")
            .hasMessageContaining("not writable by group or others");
    }

    @Test
    void aMalformedLineInTheFileIsReportedWithItsLineNumber() throws Exception {
        Path file = dir.resolve("trusted_keys");
        Files.writeString(file, "# peers\nfw2\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> TrustedKeys.load(file)).hasMessageContaining("trusted_keys:2: no key after the node name");
    }
}
