package tandem.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import tandem.node.control.ControlClient;
import tandem.node.control.InfoFormat;

/** {@code tandem conntrack stats|cache}: connection-state sync details. */
@Command(name = "conntrack", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Connection-state sync of the running daemon: 'stats' (counters) or 'cache' (the replicated table).",
    subcommands = {ConntrackCommand.Stats.class, ConntrackCommand.Cache.class})
final class ConntrackCommand {
    abstract static class Base implements Callable<Integer> {
        @Mixin
        ControlOptions control;

        @Spec
        CommandSpec spec;

        abstract String request();

        abstract void print(PrintWriter out, Map<String, Object> reply);

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try {
                if (control.json) {
                    out.println(ControlClient.request(control.socket, request()));
                } else {
                    print(out, ControlClient.requestMap(control.socket, request()));
                }
                out.flush();
                return 0;
            } catch (IOException e) {
                Main.printErrors(spec.commandLine().getErr(), "conntrack " + spec.name() + ": control socket "
                    + control.socket + ": " + (e.getMessage() == null ? e : e.getMessage())
                    + " (expected: a running tandem daemon; is the path right?)");
                return 1;
            }
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "State-sync counters: role, ops, resyncs, drops, cache size, last commit.")
    static final class Stats extends Base {
        @Override
        String request() {
            return "conntrack-stats";
        }

        @Override
        void print(PrintWriter out, Map<String, Object> reply) {
            out.print(InfoFormat.text(reply));
        }
    }

    @Command(name = "cache", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "The replicated table of the standby's external cache: entries, then expectations.")
    static final class Cache extends Base {
        @Override
        String request() {
            return "conntrack-cache";
        }

        @Override
        void print(PrintWriter out, Map<String, Object> reply) {
            List<String> cache = ((List<?>) reply.get("cache")).stream().map(String::valueOf).toList();
            cache.stream().filter(l -> !l.startsWith("expect ")).sorted().forEach(out::println);
            cache.stream().filter(l -> l.startsWith("expect ")).sorted().forEach(out::println);
            long expects = cache.stream().filter(l -> l.startsWith("expect ")).count();
            out.println((cache.size() - expects) + " entries and " + expects + " expectations in the external cache");
        }
    }
}
