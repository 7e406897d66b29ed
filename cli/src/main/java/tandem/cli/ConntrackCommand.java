package tandem.cli;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import tandem.node.control.ControlClient;
import tandem.node.control.InfoFormat;

/** {@code tandem conntrack stats|cache}: connection-state sync details. */
@Command(name = "conntrack", description = "Connection-state sync: 'stats' (counters) or 'cache' (the replicated table).")
final class ConntrackCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "stats or cache")
    String what;

    @Mixin
    ControlOptions control;

    @Override
    public Integer call() {
        if (!what.equals("stats") && !what.equals("cache")) {
            System.err.println("tandem conntrack: \"" + what + "\" (expected: stats or cache)");
            return 2;
        }
        try {
            if (control.json) {
                System.out.println(ControlClient.request(control.socket, "conntrack-" + what));
                return 0;
            }
            Map<String, Object> m = ControlClient.requestMap(control.socket, "conntrack-" + what);
            if (what.equals("stats")) {
                System.out.print(InfoFormat.text(m));
            } else {
                List<String> cache = ((List<?>) m.get("cache")).stream().map(String::valueOf).toList();
                cache.stream().filter(l -> !l.startsWith("expect ")).sorted().forEach(System.out::println);
                cache.stream().filter(l -> l.startsWith("expect ")).sorted().forEach(System.out::println);
                long expects = cache.stream().filter(l -> l.startsWith("expect ")).count();
                System.out.println((cache.size() - expects) + " entries and " + expects + " expectations in the external cache");
            }
            return 0;
        } catch (IOException e) {
            System.err.println("tandem conntrack: " + control.socket + ": " + e.getMessage());
            return 1;
        }
    }
}
