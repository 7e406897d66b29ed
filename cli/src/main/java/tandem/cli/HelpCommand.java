package tandem.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.ColorScheme;
import picocli.CommandLine.Parameters;

/**
 * {@code tandem help [COMMAND [SUBCOMMAND]]}: the usage of tandem or of any command, also of a subcommand
 * such as {@code lab up} (picocli's own HelpCommand takes one name only).
 */
@Command(name = "help", helpCommand = true, mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Show the usage of tandem, of a command or of a subcommand (e.g. tandem help lab up).")
final class HelpCommand implements CommandLine.IHelpCommandInitializable2, Callable<Integer> {
    @Parameters(paramLabel = "COMMAND", arity = "0..*", completionCandidates = Commands.class,
        description = "a command and its subcommands: ${COMPLETION-CANDIDATES}")
    List<String> path = new ArrayList<>();

    private CommandLine self;
    private ColorScheme colors;
    private PrintWriter out;

    @Override
    public void init(CommandLine helpCommandLine, ColorScheme colorScheme, PrintWriter out, PrintWriter err) {
        this.self = helpCommandLine;
        this.colors = colorScheme;
        this.out = out;
    }

    @Override
    public Integer call() {
        CommandLine target = self.getParent();
        for (String name : path) {
            Map<String, CommandLine> subs = target.getSubcommands();
            CommandLine sub = subs.get(name);
            if (sub == null) {
                sub = subs.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
                    .findFirst().orElse(null);
            }
            if (sub == null) {
                throw new CommandLine.ParameterException(self, "Unknown command: '" + name + "' (expected: "
                    + (subs.isEmpty() ? "no further name, " + target.getCommandName() + " has no subcommands"
                        : "one of " + String.join(", ", subs.keySet())) + ")");
            }
            target = sub;
        }
        target.usage(out, colors);
        return 0;
    }

    /** What bash completes after "tandem help": the commands. */
    static final class Commands implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("run", "info", "check", "conntrack", "lab").iterator();
        }
    }
}
