package tandem.services;

import java.time.Duration;
import java.util.Objects;

/**
 * A shell command ({@code /bin/sh -c command}) with the time it may take; past the timeout its
 * whole process group is killed and the command counts as failed.
 */
public record CommandSpec(String command, Duration timeout) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    public CommandSpec {
        Objects.requireNonNull(command, "command");
        if (command.isBlank()) {
            throw new IllegalArgumentException("command: got an empty command, expected a shell command");
        }
        if (command.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("command: got a NUL character, expected a shell command");
        }
        Text.positive("timeout", timeout);
    }

    public static CommandSpec of(String command) {
        return new CommandSpec(command, DEFAULT_TIMEOUT);
    }
}
