package tandem.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code tandem} command. */
@Command(name = "tandem", mixinStandardHelpOptions = true, version = "tandem 0.1.0",
    description = "High-availability clustering for Linux firewalls: VRRP virtual routers wire-compatible with keepalived.",
    subcommands = {RunCommand.class, InfoCommand.class, CheckCommand.class, ConntrackCommand.class, LabCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("tandem: " + ex.getMessage());
            return 1;
        });
        return cl.execute(args);
    }
}
