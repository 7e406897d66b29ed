package tandem.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The real command tree of {@code tandem}, run in-process with its output captured. */
class CommandsTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Every command and subcommand, as the words that name it (the top level: none). */
    static List<List<String>> commands() {
        List<List<String>> out = new ArrayList<>();
        walk(Main.commandLine(), new ArrayList<>(), out);
        return out;
    }

    private static void walk(CommandLine cl, List<String> path, List<List<String>> out) {
        out.add(List.copyOf(path));
        cl.getSubcommands().forEach((name, sub) -> {
            path.add(name);
            walk(sub, path, out);
            path.removeLast();
        });
    }

    static String[] args(List<String> path, String... more) {
        List<String> a = new ArrayList<>(path);
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void theTreeHasEveryCommandAndSubcommand() {
        assertThat(commands()).contains(List.of(), List.of("run"), List.of("info"), List.of("check"), List.of("help"),
            List.of("conntrack", "stats"), List.of("conntrack", "cache"), List.of("lab", "up"), List.of("lab", "status"),
            List.of("lab", "failover"), List.of("lab", "down"));
    }

    @Test
    void everyCommandAndSubcommandAnswersHelpAndDashH() {
        for (List<String> path : commands()) {
            String usage = "Usage: " + String.join(" ", args(List.of("tandem"), args(path))) + " [-hV]";
            for (String flag : List.of("--help", "-h")) {
                Run r = run(args(path, flag));
                assertThat(r.code()).as(path + " " + flag + ": " + r.err()).isZero();
                assertThat(r.out()).as(path + " " + flag).startsWith(usage).contains("-h, --help");
                assertThat(r.err()).as(path + " " + flag).isEmpty();
            }
        }
    }

    @Test
    void helpCommandShowsTheSameUsageForEveryCommandAndSubcommand() {
        for (List<String> path : commands()) {
            Run help = run(args(List.of("help"), args(path)));
            assertThat(help.code()).as("help " + path + ": " + help.err()).isZero();
            assertThat(help.out()).as("help " + path).isEqualTo(run(args(path, "--help")).out());
        }
        assertThat(run("help", "LAB", "Up").out()).startsWith("Usage: tandem lab up");
    }

    @Test
    void helpOfAnUnknownCommandIsAUsageError() {
        Run r = run("help", "lab", "sideways");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("Unknown command: 'sideways' (expected: one of up, status, failover, down)");
        assertThat(run("help", "run", "fast").err()).startsWith("Unknown command: 'fast' (expected: no further name,"
            + " run has no subcommands)");
    }

    @Test
    void aRequiredOptionDoesNotStandInTheWayOfHelp() {
        Run r = run("run", "-h");
        assertThat(r.code()).isZero();
        assertThat(r.err()).doesNotContain("Missing required option");
        assertThat(run("run").err()).contains("Missing required option: '--config=FILE'");
    }

    @Test
    void enumOptionsTakeAnyCaseAndListEveryAcceptedValue() {
        int seen = 0;
        for (List<String> path : commands()) {
            CommandLine cl = Main.commandLine();
            for (String name : path) {
                cl = cl.getSubcommands().get(name);
            }
            for (OptionSpec o : cl.getCommandSpec().options()) {
                if (!o.type().isEnum()) {
                    continue;
                }
                seen++;
                String usage = run(args(path, "--help")).out().replaceAll("\\s+", " ");
                for (Object constant : o.type().getEnumConstants()) {
                    String v = ((Enum<?>) constant).name();
                    assertThat(usage).as(path + " " + o.longestName() + " lists " + v).contains(v);
                    for (String spelled : List.of(v.toLowerCase(java.util.Locale.ROOT), v)) {
                        CommandLine.ParseResult parsed = Main.commandLine().parseArgs(args(path, o.longestName(), spelled));
                        while (parsed.hasSubcommand()) {
                            parsed = parsed.subcommand();
                        }
                        assertThat(parsed.matchedOptionValue(o.longestName(), (Object) null)).as(spelled).isEqualTo(constant);
                    }
                }
            }
        }
        assertThat(seen).as("enum options (lab up --engine)").isPositive();
    }

    static final String SEVERAL = """
        node:
          name: fw1
          priority: 300
        instances:
          - name: lan
            interface: lan
            vrid: 0
            advert_int: 1
            virtual-addresses: [192.0.2.1/24]
          - name: wan
            interface: wan
            vrid: 52
            preempt: maybe
            virtual-addresses: [203.0.113.1/24]
        """;

    @Test
    void checkOfflineListsEveryErrorOfTheFileAndExits2(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("fw1.yaml");
        Files.writeString(f, SEVERAL);
        Run r = run("check", "--config", f.toString(), "--offline");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines()).containsExactly(
            "tandem: " + f + ":3:13: node.priority: 300 (expected: an integer 1..255)",
            "tandem: " + f + ":7:11: instances[0] (name: lan).vrid: 0 (expected: an integer 1..255)",
            "tandem: " + f + ":8:5: instances[0] (name: lan).advert_int: unknown key (did you mean advert-interval?"
                + " expected one of: accept, advert-interval, auth, checksum, garp, interface, name, preempt,"
                + " preempt-delay, priority, track-interfaces, version, virtual-addresses, vrid)",
            "tandem: " + f + ":13:14: instances[1] (name: wan).preempt: \"maybe\" (expected: true or false)");
    }

    @Test
    void runRefusesAnInvalidFileWithTheSameErrorsAndExit2(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("fw1.yaml");
        Files.writeString(f, SEVERAL);
        Run run = run("run", "--config", f.toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).isEqualTo(run("check", "--config", f.toString(), "--offline").err());
    }

    @Test
    void checkOfflineAcceptsTheDocumentedExamples(@TempDir Path dir) throws Exception {
        for (String name : List.of("fw1", "fw2")) {
            Path f = dir.resolve(name + ".yaml");
            Files.copy(Path.of("..", "docs", "examples", name + ".yaml"), f);
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
            Run r = run("check", "--config", f.toString(), "--offline");
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.err()).isEmpty();
            assertThat(r.out()).isEqualTo(f + ": ok (node " + name + ", 2 instance(s), 1 group(s))\n");
        }
    }

    @Test
    void checkRefusesAWorldReadableFileWithThePassphrase(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("fw1.yaml");
        Files.copy(Path.of("..", "docs", "examples", "fw1.yaml"), f);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        Run r = run("check", "--config", f.toString(), "--offline");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("tandem: " + f + ": mode 0644 lets every user read the state-sync passphrase"
            + " (expected: no access for others, e.g. chmod 600)\n");
    }

    @Test
    void checkWithoutOfflineAlsoRunsTheSystemChecksOfRun(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("fw1.yaml");
        Files.writeString(f, SEVERAL.replace("priority: 300", "priority: 100").replace("    preempt: maybe\n", "")
            .replace("interface: wan", "interface: tdm-none0"));
        Run r = run("check", "--config", f.toString());
        assertThat(r.code()).isEqualTo(2);
        List<String> lines = r.err().lines().toList();
        // the file's errors first, then the system's, for the parts of the file that validated (wan)
        assertThat(lines.getFirst()).contains("instances[0] (name: lan).vrid: 0");
        assertThat(lines).anySatisfy(l -> assertThat(l).satisfiesAnyOf(
            x -> assertThat(x).contains("interface tdm-none0: no such interface on this node"),
            x -> assertThat(x).contains("cannot read this node's interfaces")));
        assertThat(lines.getLast()).doesNotContain("instances[");
    }

    @Test
    void checkOfAMissingFileSaysSo() {
        Run r = run("check", "--config", "/nonexistent/tandem.yaml");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("tandem: /nonexistent/tandem.yaml: no such file (expected: a readable YAML"
            + " configuration)\n");
    }
}
