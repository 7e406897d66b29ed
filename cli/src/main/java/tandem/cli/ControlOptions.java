package tandem.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options of commands that ask a running daemon: its control socket and JSON output. */
final class ControlOptions {
    @Option(names = "--socket", paramLabel = "PATH", defaultValue = "/run/tandem/tandem.sock", description = "control socket (default: ${DEFAULT-VALUE})")
    Path socket;

    @Option(names = "--json", description = "print JSON for scripts")
    boolean json;
}
