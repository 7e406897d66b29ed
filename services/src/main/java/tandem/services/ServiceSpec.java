package tandem.services;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One role-bound service as configured: what runs ({@code kind}), where ({@code runOn}), how it is
 * restarted, and whether its failures count against the node ({@code monitor}).
 *
 * @param startTimeout how long a start may take until the service runs (the process's ready check,
 *                     the start command and the first passing status, the systemd start job);
 *                     past it the start has failed (and is retried per the restart policy)
 */
public record ServiceSpec(String name, RunOn runOn, ServiceKind kind, RestartSpec restart, Optional<MonitorSpec> monitor,
                          Duration startTimeout) {
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    public ServiceSpec {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name: got " + Text.got(name)
                + ", expected 1 to 63 letters, digits and _.- starting with a letter or digit");
        }
        try {
            Objects.requireNonNull(runOn, "run-on");
            Objects.requireNonNull(kind, "kind");
            restart = restart == null ? RestartSpec.DEFAULT : restart;
            monitor = monitor == null ? Optional.empty() : monitor;
            Text.positive("start-timeout", startTimeout);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("service '" + name + "': " + e.getMessage(), e);
        }
    }

    /** A service with the default restart (on-failure, 1 s to 30 s), no monitor and a 30 s start timeout. */
    public static ServiceSpec of(String name, RunOn runOn, ServiceKind kind) {
        return new ServiceSpec(name, runOn, kind, RestartSpec.DEFAULT, Optional.empty(), DEFAULT_START_TIMEOUT);
    }

    public ServiceSpec withRestart(RestartSpec restart) {
        return new ServiceSpec(name, runOn, kind, restart, monitor, startTimeout);
    }

    public ServiceSpec withMonitor(MonitorSpec monitor) {
        return new ServiceSpec(name, runOn, kind, restart, Optional.of(monitor), startTimeout);
    }

    public ServiceSpec withStartTimeout(Duration startTimeout) {
        return new ServiceSpec(name, runOn, kind, restart, monitor, startTimeout);
    }

    /** "service 'dhcp' (process /usr/sbin/dhcpd)" - how messages name the service. */
    public String describe() {
        return "service '" + name + "' (" + switch (kind) {
            case ProcessSpec p -> "process " + p.argv().getFirst();
            case CommandsSpec c -> "commands";
            case SystemdSpec s -> "systemd unit " + s.unit();
        } + ")";
    }
}
