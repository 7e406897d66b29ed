package tandem.node.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ExampleConfigTest {
    @ParameterizedTest
    @ValueSource(strings = {"fw1.yaml", "fw2.yaml"})
    void theDocumentedExamplesValidate(String name) throws Exception {
        NodeConfig c = ConfigLoader.load(Path.of("..", "docs", "examples", name));
        assertThat(c.instances()).hasSize(2);
        assertThat(c.groups()).hasSize(1);
    }
}
