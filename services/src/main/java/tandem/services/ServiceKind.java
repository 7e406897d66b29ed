package tandem.services;

/** How a service is run: a supervised child process, init-script style commands, or a systemd unit. */
public sealed interface ServiceKind permits ProcessSpec, CommandsSpec, SystemdSpec {
    /** "process", "commands" or "systemd", as in the configuration. */
    String label();
}
