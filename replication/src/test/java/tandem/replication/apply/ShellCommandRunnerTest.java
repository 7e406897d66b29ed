package tandem.replication.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShellCommandRunnerTest {
    @TempDir
    Path dir;

    @Test
    void aCommandRunsThroughTheShellWithTheGivenEnvironmentInTheGivenDirectory() throws Exception {
        CommandResult r = new ShellCommandRunner().run("echo \"$TANDEM_PATH $(pwd)\"; echo err >&2; exit 4",
            Map.of("TANDEM_PATH", "/etc/x"), dir);
        assertThat(r.exitCode()).isEqualTo(4);
        assertThat(r.ok()).isFalse();
        assertThat(r.output()).isEqualTo("/etc/x " + dir + "\nerr\n");
        assertThat(r.describe()).isEqualTo("'echo \"$TANDEM_PATH $(pwd)\"; echo err >&2; exit 4' exited with 4: /etc/x "
            + dir + "\nerr");
    }

    @Test
    void standardInputIsClosed() throws Exception {
        CommandResult r = new ShellCommandRunner().run("cat; echo done", Map.of(), dir);
        assertThat(r.ok()).isTrue();
        assertThat(r.output()).isEqualTo("done\n");
    }

    @Test
    void aCommandThatHangsIsKilledWithItsChildrenAtTheTimeout() throws Exception {
        CommandResult r = new ShellCommandRunner(Duration.ofMillis(300), 4096).run("echo started; sleep 30 & sleep 30; echo never",
            Map.of(), dir);
        assertThat(r.timedOut()).isTrue();
        assertThat(r.exitCode()).isEqualTo(-1);
        assertThat(r.output()).startsWith("started\n");
        assertThat(r.describe()).contains("timed out after 0 s (killed)");
    }

    @Test
    void outputIsBoundedKeepingItsStartAndItsEnd() throws Exception {
        CommandResult r = new ShellCommandRunner(Duration.ofSeconds(30), 200)
            .run("echo first; seq 1 100000; echo last", Map.of(), dir);
        assertThat(r.ok()).isTrue();
        assertThat(r.output()).startsWith("first\n1\n").endsWith("99999\n100000\nlast\n").contains("octets cut");
        assertThat(r.output().length()).isLessThan(300);
    }
}
