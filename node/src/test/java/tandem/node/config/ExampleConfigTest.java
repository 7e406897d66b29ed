package tandem.node.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** docs/examples: the two nodes of docs/install.md. */
class ExampleConfigTest {
    /** The example as an administrator installs it: mode 600 (it holds the state-sync passphrase). */
    static NodeConfig load(Path dir, String name) throws Exception {
        Path f = dir.resolve(name);
        Files.copy(Path.of("..", "docs", "examples", name), f);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        return ConfigLoader.load(f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"fw1.yaml", "fw2.yaml"})
    void theDocumentedExamplesValidate(String name, @TempDir Path dir) throws Exception {
        NodeConfig c = load(dir, name);
        assertThat(c.instances()).hasSize(2);
        assertThat(c.groups()).hasSize(1);
        assertThat(c.stateSync()).isNotNull();
        assertThat(c.stateSync().group()).isEqualTo(c.groups().getFirst().name());
    }

    @Test
    void theTwoExamplesAreOneCluster(@TempDir Path dir) throws Exception {
        NodeConfig fw1 = load(dir, "fw1.yaml");
        NodeConfig fw2 = load(dir, "fw2.yaml");
        assertThat(fw1.nodeName()).isNotEqualTo(fw2.nodeName());
        assertThat(fw1.nodePriority()).isGreaterThan(fw2.nodePriority());
        assertThat(fw1.instances()).isEqualTo(fw2.instances().stream().map(i -> new NodeConfig.Instance(i.name(),
            i.interfaceName(), i.vrid(), i.version(), i.advertInterval(), fw1.nodePriority(), i.preempt(),
            i.preemptDelay(), i.accept(), i.virtualAddresses(), i.authType(), i.password(), i.checksumMode(), i.garp(),
            i.tracks())).toList());
        assertThat(fw1.groups()).isEqualTo(fw2.groups());
        NodeConfig.StateSync s1 = fw1.stateSync();
        NodeConfig.StateSync s2 = fw2.stateSync();
        assertThat(s1.local()).isEqualTo(s2.peer());
        assertThat(s1.peer()).isEqualTo(s2.local());
        assertThat(s1.cluster()).isEqualTo(s2.cluster());
        assertThat(s1.passphrase()).isEqualTo(s2.passphrase());
        assertThat(s1.port()).isEqualTo(s2.port());
    }
}
