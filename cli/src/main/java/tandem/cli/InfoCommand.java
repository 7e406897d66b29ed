package tandem.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tandem.node.daemon.ControlClient;
import tandem.node.daemon.InfoFormat;

/** {@code tandem info}: like the appliance's {@code cluster info}. */
@Command(name = "info", description = "Show cluster and instance state of the running daemon.")
final class InfoCommand implements Callable<Integer> {
    @Option(names = "--socket", defaultValue = "/run/tandem/tandem.sock", description = "control socket (default: ${DEFAULT-VALUE})")
    Path socket;

    @Option(names = "--json", description = "print JSON for scripts")
    boolean json;

    @Override
    public Integer call() {
        try {
            if (json) {
                System.out.println(ControlClient.infoJson(socket));
            } else {
                System.out.print(InfoFormat.text(ControlClient.info(socket)));
            }
            return 0;
        } catch (IOException e) {
            System.err.println("tandem: control socket " + socket + ": " + (e.getMessage() == null ? e : e.getMessage())
                + " (expected: a running tandem daemon; is the path right?)");
            return 1;
        }
    }
}
