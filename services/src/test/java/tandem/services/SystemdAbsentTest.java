package tandem.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where no systemd runs, a systemd service says so up front (preflight) and at every start. */
class SystemdAbsentTest {
    @TempDir
    Path dir;

    private static final ServiceSpec DHCP = ServiceSpec.of("dhcp", RunOn.ACTIVE, new SystemdSpec("isc-dhcp-server"))
        .withRestart(new RestartSpec(RestartPolicy.ON_FAILURE, Duration.ofMillis(100), Duration.ofMillis(200)));

    @Test
    void thePreflightSaysSystemdIsNotRunningOnThisNode() {
        Assumptions.assumeFalse(Files.isDirectory(Path.of("/run/systemd/system")), "this machine runs systemd");
        assertThat(ServiceHost.preflight(DHCP)).containsExactly("service 'dhcp' (systemd unit isc-dhcp-server.service): "
            + "systemd is not running on this node (no /run/systemd/system); use kind process or commands");
    }

    @Test
    void aStartFailsWithTheSameClearErrorAndIsRetriedPerPolicy() throws Exception {
        ServiceHost host = ServiceHost.create(ServiceHost.Options.defaults().withSystemdRuntimeDir(dir));
        Recorder rec = new Recorder();
        try {
            ServiceSupervisor s = host.supervise(DHCP, rec);
            String expected = "service 'dhcp' (systemd unit isc-dhcp-server.service): systemd is not running on this node (no "
                + dir.resolve("system") + "); use kind process or commands";
            try {
                s.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
                throw new AssertionError("the start should fail");
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(ServiceException.class).hasMessage(expected);
            }
            assertThat(ServiceHost.preflight(DHCP, host.options())).containsExactly(expected);
            await().until(() -> rec.of(ServiceEvent.Restarting.class).size() >= 2);
            assertThat(s.status().lastError()).contains(expected);
            s.stop().toCompletableFuture().get(10, TimeUnit.SECONDS); // without systemd no unit runs: the stop succeeds
            assertThat(s.status().state()).isEqualTo(ServiceState.STOPPED);
        } finally {
            host.close(Duration.ofSeconds(10));
        }
    }

    @Test
    void withTheMarkerButNoApiSocketThePreflightNamesTheMissingSocket() throws Exception {
        Files.createDirectory(dir.resolve("system"));
        assertThat(ServiceHost.preflight(DHCP, ServiceHost.Options.defaults().withSystemdRuntimeDir(dir))).containsExactly(
            "service 'dhcp' (systemd unit isc-dhcp-server.service): systemd's API socket " + dir.resolve("private")
                + " is missing; use kind process or commands");
    }
}
