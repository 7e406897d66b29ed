package tandem.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tandem.lab.Lab;
import tandem.lab.LabException;
import tandem.lab.LabRunner;

/** {@code tandem lab}: the two-node demo cluster in network namespaces. */
@Command(name = "lab", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "A two-firewall cluster in network namespaces (needs root): up, status, failover, down.",
    subcommands = {LabCommand.Up.class, LabCommand.Status.class, LabCommand.Failover.class, LabCommand.Down.class})
final class LabCommand {
    abstract static class Base implements Callable<Integer> {
        @Option(names = "--prefix", paramLabel = "PREFIX", defaultValue = "tdm", description = "namespace name prefix (default: ${DEFAULT-VALUE})")
        String prefix;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try {
                return go(new LabRunner(new Lab(prefix), System.out), new Lab(prefix));
            } catch (LabException | IllegalArgumentException e) {
                Main.printErrors(spec.commandLine().getErr(), "lab " + spec.name() + ": " + e.getMessage());
                return 1;
            }
        }

        abstract int go(LabRunner runner, Lab lab);
    }

    @Command(name = "up", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Build the lab, start both nodes, wait for the election, show both nodes' info.",
            "With tandem, the nodes replicate their configuration over the sync link (the hotwire: keys exchanged,"
                + " the lab's nftables ruleset among the replicated files) and replicate connection state over it."})
    static final class Up extends Base {
        @Option(names = "--advert-interval", paramLabel = "MS", defaultValue = "20", description = "advert interval in ms (default: ${DEFAULT-VALUE})")
        int intervalMs;

        @Option(names = "--engine", defaultValue = "TANDEM", paramLabel = "ENGINE",
            description = "the VRRP daemon on both nodes, in any case: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
        LabRunner.Engine engine;

        @Option(names = "--no-statesync", description = "tandem without connection-state sync (for comparison)")
        boolean noStateSync;

        @Override
        int go(LabRunner runner, Lab lab) {
            runner.up(engine, Duration.ofMillis(intervalMs), engine == LabRunner.Engine.TANDEM && !noStateSync);
            System.out.println("lab " + lab.prefix() + " is up: fw1 is master (namespaces " + lab.ns("*") + ", files "
                + lab.dir() + ")");
            if (engine == LabRunner.Engine.TANDEM) {
                runner.status();
            }
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Show both nodes' tandem info.")
    static final class Status extends Base {
        @Override
        int go(LabRunner runner, Lab lab) {
            runner.status();
            return 0;
        }
    }

    @Command(name = "failover", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Power the master off during a 5 ms ICMP probe, bring it back, print the gaps.")
    static final class Failover extends Base {
        @Option(names = "--down-time", paramLabel = "MS", defaultValue = "2000", description = "ms the master stays off (default: ${DEFAULT-VALUE})")
        int downMs;

        @Override
        int go(LabRunner runner, Lab lab) {
            runner.failover(Duration.ofMillis(downMs));
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Remove the lab: processes, namespaces, files (also after a crash).")
    static final class Down extends Base {
        @Override
        int go(LabRunner runner, Lab lab) {
            lab.destroy();
            System.out.println("lab " + lab.prefix() + " removed");
            return 0;
        }
    }
}
