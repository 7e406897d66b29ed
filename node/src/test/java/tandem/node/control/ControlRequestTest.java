package tandem.node.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.testkit.ByteMutator;
import tandem.testkit.Fuzz;

class ControlRequestTest {
    static byte[] line(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static ControlRequest parse(String s) throws ControlRequestException {
        byte[] b = line(s);
        return ControlRequest.parse(b, b.length);
    }

    @Test
    void everyVerbParsesWithOrWithoutItsNewline() throws Exception {
        assertThat(parse("info\n").verb()).isEqualTo(ControlRequest.Verb.INFO);
        assertThat(parse("conntrack-stats").verb()).isEqualTo(ControlRequest.Verb.CONNTRACK_STATS);
        assertThat(parse("conntrack-cache\n").line()).isEqualTo("conntrack-cache\n");
    }

    @Test
    void badRequestsSayWhatWasGotAndWhatWasExpected() {
        assertThatThrownBy(() -> parse("status\n")).isInstanceOf(ControlRequestException.class)
            .hasMessage("request: \"status\" (expected: one of info, conntrack-stats, conntrack-cache, config-sync, config-diff, config-files, config-rollback)");
        assertThatThrownBy(() -> parse("\n")).hasMessageStartingWith("request: empty (expected: one of");
        assertThatThrownBy(() -> parse("info  x")).hasMessageContaining("(expected: words separated by single spaces)");
        assertThatThrownBy(() -> parse("info now")).hasMessage("request: info with 1 argument(s) (expected: info alone)");
        assertThatThrownBy(() -> parse("in\u00e9fo")).hasMessageContaining("(expected: printable ASCII, one line)");
        assertThatThrownBy(() -> parse("info\n\n")).hasMessageContaining("octet 0x0a at 4");
        assertThatThrownBy(() -> parse("x".repeat(300))).hasMessage("request: 300 octets (expected: at most 256)");
    }

    @Test
    void aMillionMutatedRequestsAreParsedOrRefused() {
        ByteMutator m = new ByteMutator(List.of(line("info\n"), line("conntrack-stats\n"), line("conntrack-cache\n"),
            line("info"), line("conntrack-cache extra\n")));
        Fuzz.runParallel("control request", 1_000_000, m, ControlRequestException.class, in -> {
            ControlRequest r = ControlRequest.parse(in, in.length);
            byte[] again = line(r.line());
            assertThat(ControlRequest.parse(again, again.length)).isEqualTo(r);
        }).requireBothOutcomes(1_000_000);
    }

    @Test
    void aControlSocketPathThatIsARegularFileIsRefusedAndKept(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("tandem.sock");
        Files.writeString(file, "precious");
        assertThatThrownBy(() -> ControlServer.checkFree(file)).isInstanceOf(IOException.class)
            .hasMessageContaining("exists and is a regular file, not a socket");
        assertThat(Files.readString(file)).isEqualTo("precious");
        Path link = dir.resolve("link.sock");
        Files.createSymbolicLink(link, file);
        assertThatThrownBy(() -> ControlServer.checkFree(link)).hasMessageContaining("a symbolic link");
        assertThatThrownBy(() -> ControlServer.checkFree(dir)).hasMessageContaining("a directory");
    }

    @Test
    void aStaleSocketIsRemovedAndALiveOneRefused(@TempDir Path dir) throws IOException {
        Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(stale));
        }
        ControlServer.checkFree(stale);
        assertThat(stale).doesNotExist();
        Path live = dir.resolve("live.sock");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(live));
            assertThatThrownBy(() -> ControlServer.checkFree(live)).hasMessageContaining("another tandem daemon");
        }
    }
}
