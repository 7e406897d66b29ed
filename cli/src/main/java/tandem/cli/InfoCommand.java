package tandem.cli;

import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import tandem.node.control.ControlClient;
import tandem.node.control.InfoFormat;

/** {@code tandem info}: like the appliance's {@code cluster info}. */
@Command(name = "info", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Show cluster and instance state of the running daemon.")
final class InfoCommand implements Callable<Integer> {
    @Mixin
    ControlOptions control;

    @Override
    public Integer call() {
        try {
            if (control.json) {
                System.out.println(ControlClient.infoJson(control.socket));
            } else {
                System.out.print(InfoFormat.text(ControlClient.info(control.socket)));
            }
            return 0;
        } catch (IOException e) {
            System.err.println("tandem: control socket " + control.socket + ": " + (e.getMessage() == null ? e : e.getMessage())
                + " (expected: a running tandem daemon; is the path right?)");
            return 1;
        }
    }
}
