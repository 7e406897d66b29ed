package tandem.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tandem.node.config.ConfigLoader;
import tandem.node.config.NodeConfig;
import tandem.node.daemon.Preflight;

/**
 * {@code tandem check}: everything {@code tandem run} would refuse, without changing anything: every
 * error of the file, then every problem on this node (interfaces, source addresses, the sync address).
 */
@Command(name = "check", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = {"Validate a configuration without changing anything (exit 2 when invalid).",
        "Lists every error of the file, then every problem on this node that would make 'tandem run' refuse it"
            + " (interfaces, source addresses, the sync address); prints 'FILE: ok (...)' when there is none."})
final class CheckCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the node's YAML configuration")
    Path config;

    @Option(names = "--offline", description = "check the file only, not against this node's interfaces and"
        + " addresses (e.g. a configuration written for another machine)")
    boolean offline;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ConfigLoader.Checked checked = ConfigLoader.check(config);
        List<String> errors = new ArrayList<>(checked.errors());
        // the parts of the file that validated are checked against the system too, so that one run shows all
        NodeConfig forSystem = checked.config() != null ? checked.config() : checked.validParts();
        if (!offline && forSystem != null) {
            errors.addAll(Preflight.problems(forSystem));
        }
        if (!errors.isEmpty()) {
            errors.forEach(e -> Main.printErrors(err, e));
            return 2;
        }
        NodeConfig c = checked.config();
        out.println(config + ": ok (node " + c.nodeName() + ", " + c.instances().size() + " instance(s), "
            + c.groups().size() + " group(s))");
        out.flush();
        return 0;
    }
}
