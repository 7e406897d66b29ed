package tandem.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code tandem} command. */
@Command(name = "tandem", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
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
