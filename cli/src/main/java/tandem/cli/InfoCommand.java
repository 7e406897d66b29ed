package tandem.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tandem.node.control.ControlClient;
import tandem.node.control.InfoFormat;

/** {@code tandem info}: like the appliance's {@code cluster info} and VyOS {@code show vrrp}. */
@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = {"Show the node: cluster and sync states, problems, and one row per virtual router (state, VRID,"
        + " priority, master and its node, last transition and why).",
        "--detail shows every key; --json prints the same keys as JSON (docs/operations.md)."})
final class InfoCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    ControlOptions control;

    @Option(names = "--detail", description = "every key: counters, drops per reason, groups and their role pipeline,"
        + " health reports, sockets, state sync")
    boolean detail;

    @Override
    public Integer call() {
        try {
            Map<String, Object> info = ControlClient.info(control.socket);
            Map<String, Object> shown = detail ? info : InfoFormat.summary(info);
            if (control.json) {
                System.out.println(JSON.writeValueAsString(shown));
            } else {
                System.out.print(detail ? InfoFormat.detailText(shown) : InfoFormat.summaryText(shown));
            }
            return 0;
        } catch (IOException e) {
            System.err.println("tandem: control socket " + control.socket + ": " + (e.getMessage() == null ? e : e.getMessage())
                + " (expected: a running tandem daemon; is the path right?)");
            return 1;
        }
    }
}
