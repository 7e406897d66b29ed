package tandem.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Netns.call must hand back whatever the body throws: assertions inside it must be able to fail. */
class NetnsIT {
    static final String NS = "tdmns" + ProcessHandle.current().pid();

    @BeforeAll
    static void namespace() throws Exception {
        tandem.linux.TestNamespace.sweep("tdmns");
        LinuxLayerIT.sh("ip", "netns", "add", NS);
    }

    @AfterAll
    static void remove() throws Exception {
        LinuxLayerIT.sh("ip", "netns", "del", NS);
    }

    @Test
    void anAssertionErrorInsideTheNamespaceFailsTheCaller() {
        assertThatThrownBy(() -> Netns.call(NS, () -> {
            assertThat(1).isEqualTo(2);
            return null;
        })).isInstanceOf(AssertionError.class);
    }

    @Test
    void anExceptionInsideTheNamespaceIsRethrownAsItIs() {
        assertThatThrownBy(() -> Netns.call(NS, () -> {
            throw new IOException("inside");
        })).isInstanceOf(IOException.class).hasMessage("inside");
    }

    @Test
    void aNamespaceThatDoesNotExistIsAnError() {
        assertThatThrownBy(() -> Netns.call("tdm-no-such-ns", () -> null)).isInstanceOf(LinuxException.class)
            .hasMessageContaining("/run/netns/tdm-no-such-ns");
    }

    @Test
    void theBodyRunsInTheNamespace() throws Exception {
        String inside = Netns.call(NS, () -> java.nio.file.Files.readSymbolicLink(
            java.nio.file.Path.of("/proc/thread-self/ns/net")).toString());
        String outside = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self/ns/net")).toString();
        assertThat(inside).isNotEqualTo(outside);
    }
}
