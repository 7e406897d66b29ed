package tandem.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SpecTest {
    @Test
    void configurationWordsParseCaseInsensitivelyAndSayWhatTheyExpect() {
        assertThat(RunOn.parse("Active")).isEqualTo(RunOn.ACTIVE);
        assertThat(RestartPolicy.parse("on-failure")).isEqualTo(RestartPolicy.ON_FAILURE);
        assertThat(Signal.parse("SIGHUP")).isEqualTo(Signal.HUP);
        assertThat(MonitorAction.parse("demote 20")).isEqualTo(MonitorAction.demote(20));
        assertThat(MonitorAction.parse("FAULT")).isEqualTo(MonitorAction.FAULT);
        assertThatThrownBy(() -> RunOn.parse("master")).hasMessage("run-on: got 'master', expected active, standby or all");
        assertThatThrownBy(() -> RestartPolicy.parse("sometimes"))
            .hasMessage("restart: got 'sometimes', expected always, on-failure or never");
        assertThatThrownBy(() -> Signal.parse("STOP")).hasMessageContaining("got 'STOP', expected one of TERM");
        assertThatThrownBy(() -> MonitorAction.parse("demote lots")).hasMessage("action: got 'demote lots', expected demote WEIGHT (1 to 254) or fault");
        assertThatThrownBy(() -> MonitorAction.parse("demote 300")).hasMessage("action: got demote 300, expected a weight of 1 to 254");
    }

    @Test
    void runOnSaysWhereAServiceRuns() {
        assertThat(RunOn.ACTIVE.runsWhen(true)).isTrue();
        assertThat(RunOn.ACTIVE.runsWhen(false)).isFalse();
        assertThat(RunOn.STANDBY.runsWhen(false)).isTrue();
        assertThat(RunOn.STANDBY.runsWhen(true)).isFalse();
        assertThat(RunOn.ALL.runsWhen(true)).isTrue();
        assertThat(RunOn.ALL.runsWhen(false)).isTrue();
    }

    @Test
    void restartDelaysDoubleFromTheDelayUpToTheMaximum() {
        RestartSpec r = new RestartSpec(RestartPolicy.ALWAYS, Duration.ofSeconds(1), Duration.ofSeconds(30));
        assertThat(List.of(1, 2, 3, 4, 5, 6, 7, 100).stream().map(r::delay).map(Duration::toSeconds).toList())
            .containsExactly(1L, 2L, 4L, 8L, 16L, 30L, 30L, 30L);
        assertThatThrownBy(() -> new RestartSpec(RestartPolicy.ALWAYS, Duration.ofSeconds(5), Duration.ofSeconds(1)))
            .hasMessage("restart-max-delay: got 1 s, expected at least restart-delay (5 s)");
        assertThatThrownBy(() -> new RestartSpec(RestartPolicy.ALWAYS, Duration.ZERO, Duration.ofSeconds(1)))
            .hasMessage("restart-delay: got 0 ms, expected a positive duration");
    }

    @Test
    void policiesSayWhatIsAFailureAndWhatIsRestarted() {
        assertThat(RestartPolicy.ALWAYS.isFailure(true)).isTrue();
        assertThat(RestartPolicy.ALWAYS.restarts(true)).isTrue();
        assertThat(RestartPolicy.ON_FAILURE.isFailure(true)).isFalse();
        assertThat(RestartPolicy.ON_FAILURE.restarts(true)).isFalse();
        assertThat(RestartPolicy.ON_FAILURE.restarts(false)).isTrue();
        assertThat(RestartPolicy.NEVER.isFailure(false)).isTrue();
        assertThat(RestartPolicy.NEVER.restarts(false)).isFalse();
    }

    @Test
    void aProcessSpecRejectsWhatCannotBeStartedAndSaysWhatItExpected() {
        assertThatThrownBy(() -> ProcessSpec.of()).hasMessage("argv: got nothing, expected the program and its arguments, e.g. [/usr/sbin/dhcpd, -f]");
        assertThatThrownBy(() -> ProcessSpec.of("/bin/true").withEnv(Map.of("1X", "y")))
            .hasMessage("env: got the name '1X', expected letters, digits and _ (not first a digit)");
        assertThatThrownBy(() -> ProcessSpec.of("/bin/true").withWorkdir(Path.of("relative")))
            .hasMessage("workdir: got 'relative', expected an absolute path");
        assertThatThrownBy(() -> ProcessSpec.of("/bin/true").withStop(Signal.TERM, Duration.ofSeconds(-1)))
            .hasMessage("stop-timeout: got -1 s, expected a positive duration");
        assertThatThrownBy(() -> ProcessSpec.of("/bin/true").withUser("root; rm"))
            .hasMessage("user: got 'root; rm', expected a user name");
        ProcessSpec p = ProcessSpec.of("/usr/sbin/dhcpd", "-f", "a b");
        assertThat(p.stopSignal()).isEqualTo(Signal.TERM);
        assertThat(p.stopTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(p.commandLine()).isEqualTo("/usr/sbin/dhcpd -f 'a b'");
    }

    @Test
    void aServiceSpecNamesTheServiceInItsErrors() {
        assertThatThrownBy(() -> ServiceSpec.of("bad name", RunOn.ALL, ProcessSpec.of("/bin/true")))
            .hasMessage("name: got 'bad name', expected 1 to 63 letters, digits and _.- starting with a letter or digit");
        assertThatThrownBy(() -> ServiceSpec.of("dhcp", RunOn.ALL, ProcessSpec.of("/bin/true")).withStartTimeout(Duration.ZERO))
            .hasMessage("service 'dhcp': start-timeout: got 0 ms, expected a positive duration");
        assertThatThrownBy(() -> new ServiceSpec("dhcp", null, ProcessSpec.of("/bin/true"), null, Optional.empty(), Duration.ofSeconds(1)))
            .hasMessage("service 'dhcp': run-on");
        assertThat(ServiceSpec.of("dhcp", RunOn.ACTIVE, ProcessSpec.of("/usr/sbin/dhcpd")).describe())
            .isEqualTo("service 'dhcp' (process /usr/sbin/dhcpd)");
    }

    @Test
    void aUnitNameWithoutTypeIsAService() {
        assertThat(new SystemdSpec("isc-dhcp-server").unit()).isEqualTo("isc-dhcp-server.service");
        assertThat(new SystemdSpec("openvpn@wan.service").unit()).isEqualTo("openvpn@wan.service");
        assertThat(new SystemdSpec("vpn.target").unit()).isEqualTo("vpn.target");
        assertThatThrownBy(() -> new SystemdSpec("a/b")).hasMessageContaining("unit: got 'a/b.service', expected a unit name");
        assertThatThrownBy(() -> new SystemdSpec(" ")).hasMessage("unit: got nothing, expected a unit name, e.g. isc-dhcp-server.service");
    }

    @Test
    void monitorAndCommandSpecsCheckTheirNumbers() {
        assertThatThrownBy(() -> new MonitorSpec(0, Duration.ofMinutes(1), Duration.ofMinutes(5), MonitorAction.FAULT))
            .hasMessage("failures: got 0, expected 1 to 1000");
        assertThatThrownBy(() -> new MonitorSpec(3, Duration.ofMinutes(1), Duration.ZERO, MonitorAction.FAULT))
            .hasMessage("expire: got 0 ms, expected a positive duration");
        assertThatThrownBy(() -> CommandSpec.of(" ")).hasMessage("command: got an empty command, expected a shell command");
        assertThat(MonitorSpec.of(MonitorAction.demote(50)).failures()).isEqualTo(3);
    }
}
