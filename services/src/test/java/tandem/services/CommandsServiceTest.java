package tandem.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands kind with real sh scripts: a flag file is the "daemon", a log file records the calls. */
class CommandsServiceTest {
    @TempDir
    Path dir;
    private final Recorder rec = new Recorder();
    private final ServiceHost host = ServiceHost.create(ServiceHost.Options.defaults().withOutput(rec));

    @AfterEach
    void closeHost() {
        host.close(Duration.ofSeconds(20));
    }

    private Path on() {
        return dir.resolve("on");
    }

    private Path log() {
        return dir.resolve("log");
    }

    private CommandsSpec script() {
        return new CommandsSpec(
            new CommandSpec("echo start >> " + log() + "; echo starting; touch " + on(), Duration.ofSeconds(5)),
            new CommandSpec("echo stop >> " + log() + "; rm -f " + on(), Duration.ofSeconds(5)),
            new CommandSpec("test -f " + on(), Duration.ofSeconds(5)),
            Duration.ofMillis(100));
    }

    private ServiceSupervisor supervise(String name, CommandsSpec spec) {
        return host.supervise(ServiceSpec.of(name, RunOn.ACTIVE, spec)
            .withRestart(new RestartSpec(RestartPolicy.ON_FAILURE, Duration.ofMillis(100), Duration.ofMillis(400)))
            .withStartTimeout(Duration.ofSeconds(2)), rec);
    }

    private List<String> calls() throws Exception {
        return Files.exists(log()) ? Files.readAllLines(log()) : List.of();
    }

    private static void done(java.util.concurrent.CompletionStage<Void> stage) throws Exception {
        stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    private static Throwable failure(java.util.concurrent.CompletionStage<Void> stage) {
        try {
            stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected the stage to fail");
    }

    @Test
    void aCommandsServiceRunsWhenStartAndStatusSucceedAndStopsWithItsStopCommand() throws Exception {
        ServiceSupervisor s = supervise("vpn", script());
        done(s.start());
        assertThat(on()).exists();
        assertThat(s.status().state()).isEqualTo(ServiceState.RUNNING);
        assertThat(rec.lines).contains("vpn start: starting");
        done(s.stop());
        assertThat(on()).doesNotExist();
        assertThat(calls()).containsExactly("start", "stop");
        assertThat(s.status().state()).isEqualTo(ServiceState.STOPPED);
    }

    @Test
    void aFailingStatusIsAFailureThatRunsStopAndRestartsTheService() throws Exception {
        ServiceSupervisor s = supervise("vpn", script());
        done(s.start());
        Files.delete(on()); // the daemon died
        await().until(() -> rec.of(ServiceEvent.Restarting.class).size() == 1 && s.status().state() == ServiceState.RUNNING);
        assertThat(rec.of(ServiceEvent.Failed.class).getFirst().reason()).isEqualTo("status command exited with status 1");
        assertThat(calls()).containsExactly("start", "stop", "start");
        assertThat(on()).exists();
        done(s.stop());
    }

    @Test
    void aStartCommandThatFailsCompletesTheStartExceptionallyWithItsOutput() throws Exception {
        CommandsSpec spec = new CommandsSpec(CommandSpec.of("echo no config file >&2; exit 6"),
            CommandSpec.of("echo stop >> " + log()), CommandSpec.of("false"), Duration.ofSeconds(1));
        ServiceSupervisor s = supervise("pppoe", spec);
        assertThat(failure(s.start())).isInstanceOf(ServiceException.class)
            .hasMessage("service 'pppoe' (commands): start command exited with status 6; last output: no config file");
        await().until(() -> calls().contains("stop")); // a failed start is cleaned up with the stop command
        done(s.stop());
    }

    @Test
    void aHangingStatusTimesOutAndCountsAsNotRunning() throws Exception {
        CommandsSpec spec = new CommandsSpec(CommandSpec.of("true"), CommandSpec.of("true"),
            new CommandSpec("sleep 30", Duration.ofMillis(300)), Duration.ofSeconds(1));
        ServiceSupervisor s = supervise("hang", spec);
        assertThat(failure(s.start())).hasMessageStartingWith("service 'hang' (commands): status command still says not running 2 s after the start")
            .hasMessageContaining("timed out after 300 ms");
        done(s.stop());
    }

    @Test
    void aStartCommandThatOverrunsItsTimeoutIsKilledWithItsChildren() throws Exception {
        Path kid = dir.resolve("kid");
        CommandsSpec spec = new CommandsSpec(new CommandSpec("sleep 300 & echo $! > " + kid + "; sleep 300", Duration.ofMillis(500)),
            CommandSpec.of("true"), CommandSpec.of("false"), Duration.ofSeconds(1));
        ServiceSupervisor s = supervise("stuck", spec);
        assertThat(failure(s.start())).hasMessage("service 'stuck' (commands): start command timed out after 500 ms");
        assertThat(Pids.read(kid)).hasSize(1);
        await().until(() -> !Pids.anyAlive(Pids.read(kid)));
        done(s.stop());
    }

    @Test
    void theFirstStopOfAServiceLeftRunningByAnEarlierTandemRunsItsStopCommand() throws Exception {
        Files.createFile(on());
        ServiceSupervisor s = supervise("left", script());
        done(s.stop());
        assertThat(on()).doesNotExist();
        assertThat(calls()).containsExactly("stop");
        done(s.stop()); // known to be stopped now: nothing runs
        assertThat(calls()).containsExactly("stop");
    }

    @Test
    void theFirstStopOfAServiceThatDoesNotRunRunsNoStopCommand() throws Exception {
        ServiceSupervisor s = supervise("idle", script());
        done(s.stop());
        assertThat(calls()).isEmpty();
        assertThat(s.status().state()).isEqualTo(ServiceState.STOPPED);
    }

    @Test
    void aStopCommandThatFailsFailsTheStopAndTheNextStopTriesAgain() throws Exception {
        Path allow = dir.resolve("allow-stop");
        CommandsSpec spec = new CommandsSpec(CommandSpec.of("touch " + on()),
            CommandSpec.of("echo stop >> " + log() + "; test -f " + allow + " && rm -f " + on()),
            CommandSpec.of("test -f " + on()), Duration.ofSeconds(1));
        ServiceSupervisor s = supervise("sticky", spec);
        done(s.start());
        assertThat(failure(s.stop())).hasMessage("service 'sticky' (commands): stop command exited with status 1");
        assertThat(s.status().state()).isEqualTo(ServiceState.FAILED);
        Files.createFile(allow);
        done(s.stop());
        assertThat(on()).doesNotExist();
        assertThat(s.status().state()).isEqualTo(ServiceState.STOPPED);
    }
}
