package tandem.replication.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hash cache: a file whose identity, size and times are unchanged is not read again; any change is seen. */
class ManifestCacheTest {
    @TempDir
    Path dir;

    @AfterEach
    void racyAgain() {
        Manifest.racyMillis = 3_000;
    }

    @Test
    void aChangedFileIsHashedAgainWhateverTheCache() throws Exception {
        Manifest.racyMillis = 0; // cache at once (the test changes files in later clock ticks on purpose)
        Path f = dir.resolve("a");
        Files.writeString(f, "one\n");
        String first = Manifest.entry("a", f).sha256();
        assertThat(Manifest.entry("a", f).sha256()).isEqualTo(first);
        Thread.sleep(20); // a later tick of the file system's clock
        Files.writeString(f, "two\n"); // same size, other content
        assertThat(Manifest.entry("a", f).sha256()).isNotEqualTo(first).isEqualTo(Sha256.hex("two\n"));
        Files.writeString(f, "three\n"); // other size
        assertThat(Manifest.entry("a", f).sha256()).isEqualTo(Sha256.hex("three\n"));
        Path g = dir.resolve("g");
        Files.writeString(g, "one\n");
        Thread.sleep(20);
        Files.move(g, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING); // another inode under the name
        assertThat(Manifest.entry("a", f).sha256()).isEqualTo(first);
    }

    @Test
    void aFileChangedRecentlyIsNotCached() throws Exception {
        Path f = dir.resolve("b");
        Files.writeString(f, "x\n");
        Manifest.entry("b", f);
        Files.writeString(f, "y\n"); // possibly within the same tick: still seen, the file was too recent to cache
        assertThat(Manifest.entry("b", f).sha256()).isEqualTo(Sha256.hex("y\n"));
    }
}
