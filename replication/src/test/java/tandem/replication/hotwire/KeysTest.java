package tandem.replication.hotwire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Base64;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysTest {
    @TempDir
    Path dir;

    @Test
    void aKeyPairIsCreatedOnFirstUsePrivateToItsOwnerAndLoadedAgainAfterwards() throws Exception {
        Path state = dir.resolve("state");
        Keys k = Keys.load(state, "fw1");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve(Keys.PRIVATE_KEY))))
            .isEqualTo("rw-------");
        assertThat(Files.readString(state.resolve(Keys.PRIVATE_KEY))).startsWith("-----BEGIN OPENSSH PRIVATE KEY-----");
        assertThat(k.publicKeyLine()).matches("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} tandem@fw1");
        assertThat(Files.readString(state.resolve(Keys.PUBLIC_KEY))).isEqualTo(k.publicKeyLine() + "\n");
        Keys again = Keys.load(state, "fw1");
        assertThat(again.fingerprint()).isEqualTo(k.fingerprint());
        assertThat(again.publicKeyLine()).isEqualTo(k.publicKeyLine());
        assertThat(Keys.load(dir.resolve("other"), "fw1").fingerprint()).isNotEqualTo(k.fingerprint());
    }

    @Test
    void theFingerprintIsTheSha256OfTheKeyBlobAsSshKeygenPrintsIt() throws Exception {
        Keys k = Keys.load(dir.resolve("state"), "fw1");
        byte[] blob = Base64.getDecoder().decode(k.publicKeyLine().split(" ")[1]);
        String expected = "SHA256:" + Base64.getEncoder().withoutPadding()
            .encodeToString(MessageDigest.getInstance("SHA-256").digest(blob));
        assertThat(k.fingerprint()).isEqualTo(expected);
    }

    @Test
    void openSshReadsTheKeyFilesAndPrintsTheSameFingerprint() throws Exception {
        Path keygen = Path.of("/usr/bin/ssh-keygen");
        Assumptions.assumeTrue(Files.isExecutable(keygen), "ssh-keygen (openssh-client) is not installed");
        Path state = dir.resolve("state");
        Keys k = Keys.load(state, "fw1");
        assertThat(run(keygen.toString(), "-l", "-f", state.resolve(Keys.PUBLIC_KEY).toString()))
            .isEqualTo("256 " + k.fingerprint() + " tandem@fw1 (ED25519)\n");
        assertThat(run(keygen.toString(), "-y", "-f", state.resolve(Keys.PRIVATE_KEY).toString()))
            .startsWith(k.publicKeyLine().substring(0, k.publicKeyLine().lastIndexOf(' ')));
    }

    static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    @Test
    void aPrivateKeyThatOthersMayReadIsRefused() throws Exception {
        Path state = dir.resolve("state");
        Keys.load(state, "fw1");
        Files.setPosixFilePermissions(state.resolve(Keys.PRIVATE_KEY), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> Keys.load(state, "fw1")).hasMessageContaining("mode rw-r--r--")
            .hasMessageContaining("expected: rw------- or r--------");
    }

    @Test
    void aKeyDirectoryThatOthersMayReadIsRefused() throws Exception {
        Path state = dir.resolve("state");
        Keys.load(state, "fw1");
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatThrownBy(() -> Keys.load(state, "fw1")).hasMessageContaining("mode rwxr-xr-x")
            .hasMessageContaining("expected: no access for others");
    }

    @Test
    void anInvalidNodeNameIsRefused() {
        assertThatThrownBy(() -> Keys.load(dir, "fw 1")).hasMessageContaining("node name \"fw 1\"");
    }
}
