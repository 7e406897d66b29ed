package tandem.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tandem.node.config.ConfigException;
import tandem.node.config.ConfigLoader;
import tandem.node.config.NodeConfig;

/** {@code tandem check}: validate a configuration without touching the system. */
@Command(name = "check", description = "Validate a configuration file (exit 2 when invalid).")
final class CheckCommand implements Callable<Integer> {
    @Option(names = "--config", required = true)
    Path config;

    @Override
    public Integer call() {
        try {
            NodeConfig c = ConfigLoader.load(config);
            System.out.println(config + ": ok (node " + c.nodeName() + ", " + c.instances().size() + " instance(s), "
                + c.groups().size() + " group(s))");
            return 0;
        } catch (ConfigException e) {
            System.err.println("tandem: " + e.getMessage());
            return 2;
        }
    }
}
