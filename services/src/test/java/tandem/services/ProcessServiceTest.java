package tandem.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The process kind with real processes: sh, sleep, scripts that fork. */
class ProcessServiceTest {
    @TempDir
    Path dir;
    private final Recorder rec = new Recorder();
    private final ServiceHost host = ServiceHost.create(ServiceHost.Options.defaults().withOutput(rec));

    @AfterEach
    void closeHost() {
        assertThat(host.close(Duration.ofSeconds(20))).isEmpty();
    }

    private static Duration ms(long ms) {
        return Duration.ofMillis(ms);
    }

    private static RestartSpec fast(RestartPolicy policy) {
        return new RestartSpec(policy, ms(100), ms(400));
    }

    private ServiceSupervisor supervise(String name, ProcessSpec p, RestartSpec restart) {
        return host.supervise(ServiceSpec.of(name, RunOn.ALL, p.withSettle(ms(100))).withRestart(restart), rec);
    }

    private static ProcessSpec sh(String script) {
        return ProcessSpec.of("/bin/sh", "-c", script);
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
    void aStartedProcessRunsAsItselfAndItsOutputGoesToTheLogPrefixedWithItsName() throws Exception {
        Path pid = dir.resolve("pid");
        ServiceSupervisor s = supervise("dhcp", sh("echo $$ > " + pid + "; echo hello from $SVC; echo oops >&2; exec sleep 60")
            .withEnv(Map.of("SVC", "dhcp")), fast(RestartPolicy.ON_FAILURE));
        done(s.start());
        assertThat(s.status().state()).isEqualTo(ServiceState.RUNNING);
        await().until(() -> Pids.read(pid).size() == 1);
        long p = Pids.read(pid).getFirst();
        assertThat(s.status().detail()).isEqualTo("pid " + p); // setpriv and setsid exec in place
        assertThat(Procs.pgid(p)).isEqualTo(p); // the leader of its own process group
        await().untilAsserted(() -> assertThat(rec.lines).contains("dhcp out: hello from dhcp", "dhcp out: oops"));
        ServiceEvent.Running running = rec.of(ServiceEvent.Running.class).getFirst();
        assertThat(running.took()).isPositive();
        assertThat(s.status().lastStartTook()).contains(running.took());
        done(s.stop());
        assertThat(Procs.alive(p)).isFalse();
        assertThat(rec.states()).containsExactly(ServiceState.STARTING, ServiceState.RUNNING, ServiceState.STOPPING, ServiceState.STOPPED);
        assertThat(s.status().state()).isEqualTo(ServiceState.STOPPED);
    }

    @Test
    void aServiceThatExitsIsRestartedAfterItsDelayDoublingUpToTheMaximum() throws Exception {
        Path pids = dir.resolve("pids");
        ServiceSupervisor s = supervise("flaky", sh("echo $$ >> " + pids + "; sleep 0.2; exit 3"), fast(RestartPolicy.ON_FAILURE));
        done(s.start());
        await().atMost(Duration.ofSeconds(20)).until(() -> rec.of(ServiceEvent.Restarting.class).size() >= 4);
        done(s.stop());
        List<ServiceEvent.Restarting> r = rec.of(ServiceEvent.Restarting.class);
        assertThat(r.subList(0, 4)).extracting(ServiceEvent.Restarting::attempt).containsExactly(1, 2, 3, 4);
        assertThat(r.subList(0, 4)).extracting(ServiceEvent.Restarting::in).containsExactly(ms(100), ms(200), ms(400), ms(400));
        assertThat(rec.of(ServiceEvent.Failed.class).getFirst().reason()).isEqualTo("exited with status 3");
        assertThat(Pids.read(pids).size()).isGreaterThanOrEqualTo(4);
        assertThat(Pids.anyAlive(Pids.read(pids))).isFalse();
        assertThat(s.status().restarts()).isGreaterThanOrEqualTo(4);
        assertThat(s.status().lastError()).contains("exited with status 3");
        assertThat(s.status().state()).isEqualTo(ServiceState.STOPPED);
    }

    @Test
    void aStartThatFailsCompletesExceptionallyWithAClearMessageAndIsRetried() throws Exception {
        ServiceSupervisor s = supervise("bad", sh("echo cannot bind 10.0.0.1:67; exit 7"), fast(RestartPolicy.ON_FAILURE));
        assertThat(failure(s.start())).isInstanceOf(ServiceException.class)
            .hasMessage("service 'bad' (process /bin/sh): exited with status 7 during its start; last output: cannot bind 10.0.0.1:67");
        await().until(() -> rec.of(ServiceEvent.Starting.class).size() >= 3); // the policy retries
        assertThat(rec.of(ServiceEvent.Starting.class).get(1).attempt()).isEqualTo(2);
        done(s.stop());
        assertThat(s.status().state()).isEqualTo(ServiceState.STOPPED);
    }

    @Test
    void aProgramThatDoesNotExistFailsItsStartSayingSo() {
        ServiceSupervisor s = supervise("ghost", ProcessSpec.of("/nonexistent/dhcpd", "-f"), fast(RestartPolicy.NEVER));
        assertThat(failure(s.start())).hasMessageStartingWith("service 'ghost' (process /nonexistent/dhcpd): exited with status")
            .hasMessageContaining("/nonexistent/dhcpd").hasMessageContaining("No such file or directory");
        await().until(() -> s.status().state() == ServiceState.FAILED);
        assertThat(rec.of(ServiceEvent.Restarting.class)).isEmpty();
        assertThat(ServiceHost.preflight(s.spec())).containsExactly(
            "service 'ghost' (process /nonexistent/dhcpd): argv[0] '/nonexistent/dhcpd' is no executable file");
    }

    @Test
    void aChildThatIgnoresTermGetsKillAfterTheStopTimeout() throws Exception {
        Path pid = dir.resolve("pid");
        ServiceSupervisor s = supervise("stubborn", sh("trap '' TERM; echo $$ > " + pid + "; while :; do sleep 0.05; done")
            .withStop(Signal.TERM, ms(500)), fast(RestartPolicy.ALWAYS));
        done(s.start());
        await().until(() -> Pids.allAlive(Pids.read(pid)));
        done(s.stop());
        assertThat(Pids.anyAlive(Pids.read(pid))).isFalse();
        assertThat(rec.of(ServiceEvent.Failed.class)).isEmpty(); // a stop is no failure
    }

    @Test
    void aStopEndsTheWholeTreeIncludingChildrenThatLeftTheProcessGroup() throws Exception {
        Path pids = dir.resolve("pids");
        ServiceSupervisor s = supervise("tree", sh("sleep 300 & echo $! >> " + pids
            + "; setsid sleep 301 & echo $! >> " + pids + "; (sleep 302 & echo $! >> " + pids + "; wait) & echo $$ >> " + pids + "; wait"),
            fast(RestartPolicy.ALWAYS));
        done(s.start());
        await().until(() -> Pids.read(pids).size() == 4 && Pids.allAlive(Pids.read(pids)));
        List<Long> all = Pids.read(pids);
        assertThat(all.stream().map(Procs::pgid).distinct().count()).isEqualTo(2); // one child left the group
        done(s.stop());
        assertThat(Pids.anyAlive(all)).isFalse();
    }

    @Test
    void whenTheLeaderDiesItsRemainingChildrenAreStoppedBeforeTheRestart() throws Exception {
        Path pids = dir.resolve("pids");
        ServiceSupervisor s = supervise("orphans", sh("sleep 300 & echo $! >> " + pids + "; sleep 0.3; exit 1"), fast(RestartPolicy.ON_FAILURE));
        done(s.start());
        await().until(() -> rec.of(ServiceEvent.Restarting.class).size() >= 1);
        List<Long> first = Pids.read(pids).subList(0, 1);
        await().until(() -> !Pids.anyAlive(first));
        done(s.stop());
        assertThat(Pids.anyAlive(Pids.read(pids))).isFalse();
    }

    @Test
    void aStopDuringAStartWins() throws Exception {
        Path pid = dir.resolve("pid");
        ServiceSupervisor s = host.supervise(ServiceSpec.of("slow", RunOn.ACTIVE, sh("echo $$ > " + pid + "; exec sleep 60")
            .withReady(new CommandSpec("false", ms(500)))).withStartTimeout(Duration.ofSeconds(30)), rec);
        CompletableFuture<Void> start = s.start().toCompletableFuture();
        await().until(() -> Pids.allAlive(Pids.read(pid)));
        assertThat(s.status().state()).isEqualTo(ServiceState.STARTING);
        CompletableFuture<Void> stop = s.stop().toCompletableFuture();
        assertThat(failure(start)).hasMessage("service 'slow' (process /bin/sh): a stop was requested before it ran");
        done(stop);
        assertThat(s.status().state()).isEqualTo(ServiceState.STOPPED);
        assertThat(Pids.anyAlive(Pids.read(pid))).isFalse();
        assertThat(rec.of(ServiceEvent.Stopped.class).getLast().reason()).isEqualTo("start cancelled: stop requested");
        assertThat(rec.of(ServiceEvent.Failed.class)).isEmpty();
    }

    @Test
    void aReadyCheckDecidesWhenAProcessRuns() throws Exception {
        Path flag = dir.resolve("ready");
        ServiceSupervisor s = host.supervise(ServiceSpec.of("web", RunOn.ALL, sh("sleep 0.3; touch " + flag + "; exec sleep 60")
            .withReady(new CommandSpec("test -f " + flag, ms(500)))), rec);
        done(s.start());
        assertThat(flag).exists();
        assertThat(s.status().state()).isEqualTo(ServiceState.RUNNING);
        done(s.stop());
    }

    @Test
    void theLastCallDecidesAndRepeatedCallsAreIdempotent() throws Exception {
        ServiceSupervisor s = supervise("toggle", sh("exec sleep 60"), fast(RestartPolicy.ON_FAILURE));
        var a = s.start();
        var b = s.stop();
        var c = s.start();
        var d = s.start();
        assertThat(failure(a)).hasMessageEndingWith("a stop was requested before it ran");
        assertThat(failure(b)).hasMessageEndingWith("a start was requested before it stopped");
        done(c);
        done(d);
        assertThat(s.status().state()).isEqualTo(ServiceState.RUNNING);
        done(s.stop());
        done(s.stop());
        assertThat(rec.count(ServiceState.STOPPING)).isEqualTo(1);
        assertThat(s.status().state()).isEqualTo(ServiceState.STOPPED);
    }

    @Test
    void underOnFailureACleanExitLeavesTheServiceStoppedAndIsNoFailure() throws Exception {
        ServiceSupervisor s = supervise("job", sh("sleep 0.3; exit 0"), fast(RestartPolicy.ON_FAILURE));
        done(s.start());
        await().until(() -> s.status().state() == ServiceState.STOPPED);
        assertThat(rec.of(ServiceEvent.Stopped.class).getLast().reason()).isEqualTo("exited with status 0");
        assertThat(rec.of(ServiceEvent.Failed.class)).isEmpty();
        assertThat(rec.of(ServiceEvent.Restarting.class)).isEmpty();
        done(s.start()); // an explicit start runs it again
        assertThat(rec.count(ServiceState.STARTING)).isEqualTo(2);
    }

    @Test
    void underNeverAFailedServiceStaysFailed() throws Exception {
        ServiceSupervisor s = supervise("once", sh("sleep 0.3; exit 2"), fast(RestartPolicy.NEVER));
        done(s.start());
        await().until(() -> s.status().state() == ServiceState.FAILED && rec.of(ServiceEvent.Failed.class).size() == 1);
        assertThat(rec.of(ServiceEvent.Restarting.class)).isEmpty();
        assertThat(s.status().wanted()).isTrue();
        done(s.stop());
        assertThat(s.status().state()).isEqualTo(ServiceState.STOPPED);
    }

    @Test
    void aMonitoredServiceThatKeepsFailingDemotesAndTheVerdictExpiresOnceItNoLongerFails() throws Exception {
        ServiceSupervisor s = host.supervise(ServiceSpec.of("dns", RunOn.ALL, sh("sleep 0.2; exit 1").withSettle(ms(100)))
            .withRestart(fast(RestartPolicy.ON_FAILURE))
            .withMonitor(new MonitorSpec(2, Duration.ofSeconds(30), ms(800), MonitorAction.demote(30))), rec);
        s.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> !rec.of(ServiceEvent.VerdictChanged.class).isEmpty());
        Verdict v = rec.of(ServiceEvent.VerdictChanged.class).getFirst().verdict();
        assertThat(v.state()).isEqualTo(Verdict.State.DEMOTE);
        assertThat(v.weight()).isEqualTo(30);
        assertThat(v.reason()).startsWith("service dns failed 2 times within 30 s (last: exited with status 1)");
        assertThat(s.status().verdict().state()).isEqualTo(Verdict.State.DEMOTE);
        done(s.stop()); // e.g. the node became standby: no more failures
        await().atMost(Duration.ofSeconds(10)).until(() -> rec.of(ServiceEvent.VerdictChanged.class).size() == 2);
        assertThat(rec.of(ServiceEvent.VerdictChanged.class).getLast().verdict()).isEqualTo(Verdict.OK);
        assertThat(s.status().verdict()).isEqualTo(Verdict.OK);
    }

    @Test
    void aFloodOfOutputIsRateLimitedAndNeverBlocksTheService() throws Exception {
        Path finished = dir.resolve("finished");
        ServiceSupervisor s = supervise("chatty", sh("i=0; while [ $i -lt 20000 ]; do echo line $i; i=$((i+1)); done; touch "
            + finished + "; exec sleep 60"), fast(RestartPolicy.ON_FAILURE));
        done(s.start());
        await().until(() -> Files.exists(finished)); // 20000 lines went through a 64 KiB pipe: it was read all along
        done(s.stop());
        await().untilAsserted(() -> assertThat(rec.lines).anyMatch(l -> l.matches("chatty out: \\(\\d+ (more )?lines not logged: more than 20 lines/s\\)")));
        assertThat(rec.lines.size()).isLessThan(1000);
        assertThat(rec.lines).contains("chatty out: line 0");
    }

    @Test
    void aServiceRunsAsTheConfiguredUser() throws Exception {
        Assumptions.assumeTrue("0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).trim()),
            "needs root");
        ServiceSupervisor s = supervise("unpriv", sh("echo uid=$(id -u); exec sleep 60").withUser("nobody"), fast(RestartPolicy.ON_FAILURE));
        done(s.start());
        await().untilAsserted(() -> assertThat(rec.lines).contains("unpriv out: uid=65534"));
        done(s.stop());
    }

    @Test
    void aServiceOutlivesTheThreadThatAskedForIt() throws Exception {
        Path pid = dir.resolve("pid");
        ServiceSupervisor s = supervise("steady", sh("echo $$ > " + pid + "; exec sleep 60"), fast(RestartPolicy.NEVER));
        Thread t = Thread.ofPlatform().start(() -> s.start().toCompletableFuture().join());
        t.join();
        // the parent-death signal follows the thread that forked: the spawn thread never ends, so no KILL comes
        await().during(ms(500)).atMost(Duration.ofSeconds(5)).until(() -> Pids.allAlive(Pids.read(pid)));
        assertThat(s.status().state()).isEqualTo(ServiceState.RUNNING);
    }
}
