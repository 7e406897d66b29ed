package tandem.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.freedesktop.dbus.connections.impl.DirectConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** systemd units through systemd's D-Bus API, against a real systemd booted in namespaces. */
class SystemdUnitIT {
    @TempDir
    static Path dir;
    private static PrivateSystemd systemd;
    private static ServiceHost host;
    private final Recorder rec = new Recorder();

    @BeforeAll
    static void boot() throws Exception {
        String why = PrivateSystemd.unavailable();
        Assumptions.assumeTrue(why == null, () -> "no private systemd: " + why);
        systemd = PrivateSystemd.boot(dir, Map.of(
            "tandem-sleep.service", "[Service]\nExecStart=/bin/sleep infinity\n",
            "tandem-crash.service", "[Service]\nExecStart=/bin/sh -c 'sleep 0.5; exit 4'\n",
            "tandem-slow.service", "[Service]\nExecStartPre=/bin/sleep 30\nExecStart=/bin/sleep infinity\n",
            "tandem-left.service", "[Service]\nExecStart=/bin/sleep infinity\n"));
        host = ServiceHost.create(ServiceHost.Options.defaults().withSystemdRuntimeDir(systemd.runDir()));
    }

    @AfterAll
    static void shutdown() throws Exception {
        if (host != null) {
            host.close(Duration.ofSeconds(20));
        }
        if (systemd != null) {
            systemd.close();
        }
    }

    private ServiceSupervisor supervise(String name, String unit) {
        return host.supervise(ServiceSpec.of(name, RunOn.ACTIVE, new SystemdSpec(unit))
            .withRestart(new RestartSpec(RestartPolicy.ON_FAILURE, Duration.ofMillis(200), Duration.ofMillis(400)))
            .withStartTimeout(Duration.ofSeconds(10)), rec);
    }

    private static Throwable failure(java.util.concurrent.CompletionStage<Void> stage) throws Exception {
        try {
            stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected the stage to fail");
    }

    @Test
    void theClientRunsAsNamedModules() {
        assertThat(SystemdClient.class.getModule().getName()).isEqualTo("tandem.services");
        assertThat(DirectConnection.class.getModule().getName()).isEqualTo("org.freedesktop.dbus");
        assertThat(ServiceHost.preflight(ServiceSpec.of("x", RunOn.ALL, new SystemdSpec("tandem-sleep")), host.options())).isEmpty();
    }

    @Test
    void aUnitIsStartedAndStoppedThroughSystemdsApi() throws Exception {
        ServiceSupervisor s = supervise("sleeper", "tandem-sleep");
        s.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(s.status().state()).isEqualTo(ServiceState.RUNNING);
        assertThat(s.status().detail()).isEqualTo("unit tandem-sleep.service");
        assertThat(systemd.systemctl("is-active", "tandem-sleep.service")).isEqualTo("active");
        s.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(systemd.systemctl("is-active", "tandem-sleep.service")).isEqualTo("inactive");
        assertThat(rec.states()).containsExactly(ServiceState.STARTING, ServiceState.RUNNING, ServiceState.STOPPING, ServiceState.STOPPED);
    }

    @Test
    void aUnitThatFailsWhileRunningIsReportedAndRestarted() throws Exception {
        ServiceSupervisor s = supervise("crash", "tandem-crash");
        s.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(20)).until(() -> rec.of(ServiceEvent.Restarting.class).size() >= 1
            && rec.count(ServiceState.RUNNING) >= 2);
        assertThat(rec.of(ServiceEvent.Failed.class).getFirst().reason()).isEqualTo("unit tandem-crash.service is failed (result exit-code)");
        s.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(systemd.systemctl("is-active", "tandem-crash.service")).isIn("inactive", "failed");
    }

    @Test
    void aUnitSystemdDoesNotKnowFailsTheStartWithSystemdsWord() throws Exception {
        ServiceSupervisor s = supervise("ghost", "tandem-nosuch");
        assertThat(failure(s.start())).isInstanceOf(ServiceException.class)
            .hasMessageStartingWith("service 'ghost' (systemd unit tandem-nosuch.service): systemd refused the start: ")
            .hasMessageContaining("tandem-nosuch.service");
        s.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void aStopDuringTheStartJobReplacesIt() throws Exception {
        ServiceSupervisor s = supervise("slow", "tandem-slow");
        CompletableFuture<Void> start = s.start().toCompletableFuture();
        await().until(() -> systemd.systemctl("is-active", "tandem-slow.service").equals("activating"));
        s.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(failure(start)).hasMessageEndingWith("a stop was requested before it ran");
        // the stop job replaced the start job; the killed ExecStartPre may leave the unit "failed": not running either way
        assertThat(systemd.systemctl("is-active", "tandem-slow.service")).isIn("inactive", "failed");
        assertThat(s.status().state()).isEqualTo(ServiceState.STOPPED);
    }

    @Test
    void theFirstStopStopsAUnitLeftRunningByAnEarlierTandem() throws Exception {
        systemd.systemctl("start", "tandem-left.service");
        assertThat(systemd.systemctl("is-active", "tandem-left.service")).isEqualTo("active");
        ServiceSupervisor s = supervise("left", "tandem-left");
        s.stop().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertThat(systemd.systemctl("is-active", "tandem-left.service")).isEqualTo("inactive");
    }
}
