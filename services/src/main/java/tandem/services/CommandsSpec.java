package tandem.services;

import java.time.Duration;
import java.util.Objects;

/**
 * A service run like a SysV init script: {@code start} and {@code stop} commands and a {@code status}
 * command (exit 0: running, anything else - or its timeout - not running), polled every
 * {@code interval} while the service should run. The service runs when {@code start} exited 0 and
 * then {@code status} did; what {@code start} leaves running is the script's business (it may
 * daemonize), so such a service does not die with a killed tandem - the next tandem's first stop
 * asks {@code status} and runs {@code stop} when it says running.
 */
public record CommandsSpec(CommandSpec start, CommandSpec stop, CommandSpec status, Duration interval)
    implements ServiceKind {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);

    public CommandsSpec {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(stop, "stop");
        Objects.requireNonNull(status, "status");
        Text.positive("interval", interval);
    }

    /** Commands with the default timeouts (30 s) and a 5 s status interval. */
    public static CommandsSpec of(String start, String stop, String status) {
        return new CommandsSpec(CommandSpec.of(start), CommandSpec.of(stop), CommandSpec.of(status), DEFAULT_INTERVAL);
    }

    public CommandsSpec withInterval(Duration interval) {
        return new CommandsSpec(start, stop, status, interval);
    }

    @Override
    public String label() {
        return "commands";
    }
}
