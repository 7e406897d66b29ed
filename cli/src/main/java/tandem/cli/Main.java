package tandem.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code tandem} command. */
@Command(name = "tandem", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "High-availability clustering for Linux firewalls: VRRP virtual routers wire-compatible with keepalived.",
    footer = {"", "Every command answers --help; 'tandem help COMMAND [SUBCOMMAND]' shows the same."},
    subcommands = {RunCommand.class, InfoCommand.class, CheckCommand.class, ConntrackCommand.class, ConfigCommand.class,
        ClusterCommand.class, LabCommand.class, HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    public static int execute(String... args) {
        return commandLine().execute(args);
    }

    /** Runs the command with its output and errors written to {@code out} and {@code err} (tests). */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine();
        cl.setOut(out);
        cl.setErr(err);
        try {
            return cl.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The whole command tree, as {@code tandem} runs it: enum values in any case, failures as one line. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("tandem: " + ex.getMessage());
            return 1;
        });
        return cl;
    }

    /** Prints a message of one or more lines to {@code err}, each line as "tandem: LINE". */
    static void printErrors(PrintWriter err, String message) {
        String.valueOf(message).lines().forEach(l -> err.println("tandem: " + l));
        err.flush();
    }

    /** {@code tandem --version}: the Maven project version, written into version.properties by the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"tandem " + p.getProperty("version", "(version unknown)")};
        }
    }
}
