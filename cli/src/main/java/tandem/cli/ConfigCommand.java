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

/** {@code tandem config sync|diff|files|rollback}: configuration replication of the running daemon. */
@Command(name = "config", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Configuration replication over the hotwire: 'sync' (push now), 'diff' (against each peer),"
        + " 'files' (what is replicated) or 'rollback' (restore the previous generation here).",
    subcommands = {ConfigCommand.Sync.class, ConfigCommand.Diff.class, ConfigCommand.Files.class,
        ConfigCommand.Rollback.class})
final class ConfigCommand {
    abstract static class Base implements Callable<Integer> {
        @Mixin
        ControlOptions control;

        @Spec
        CommandSpec spec;

        abstract String request();

        /** Prints the reply; returns the exit code. */
        abstract int print(PrintWriter out, Map<String, Object> reply);

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try {
                String raw = ControlClient.request(control.socket, request());
                Map<String, Object> reply = ControlClient.parse(raw);
                int code;
                if (control.json) {
                    out.println(raw);
                    code = exitCode(reply);
                } else {
                    code = print(out, reply);
                }
                out.flush();
                return code;
            } catch (IOException e) {
                Main.printErrors(spec.commandLine().getErr(), "config " + spec.name() + ": " + (e.getMessage() == null
                    ? e : e.getMessage()) + (e.getMessage() != null && e.getMessage().contains("not configured") ? ""
                    : " (control socket " + control.socket + ": expected a running tandem daemon)"));
                return 2;
            }
        }

        int exitCode(Map<String, Object> reply) {
            return Boolean.FALSE.equals(reply.get("ok")) ? 1 : 0;
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Object o) {
        return o == null ? List.of() : (List<Map<String, Object>>) o;
    }

    @Command(name = "sync", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Push this node's shared configuration and replicated files to every peer now.",
            "Exit 0 only when every peer applied them and reports the same hashes; 1 with each peer's error (a"
                + " failing check command's output included); 2 when the daemon cannot be asked."})
    static final class Sync extends Base {
        @Override
        String request() {
            return "config-sync";
        }

        @Override
        int print(PrintWriter out, Map<String, Object> reply) {
            for (Map<String, Object> p : list(reply.get("peers"))) {
                String state = String.valueOf(p.get("state"));
                out.println(p.get("name") + " (" + p.get("address") + "): " + state
                    + (state.equals("synchronized") ? "" : "\n  " + String.valueOf(p.get("reason")).replace("\n", "\n  ")));
            }
            return exitCode(reply);
        }
    }

    @Command(name = "diff", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"A unified diff per replicated file between each peer (a/) and this node (b/).",
            "Exit 0 when no file differs, 1 when some do, 2 when a peer or the daemon cannot be asked."})
    static final class Diff extends Base {
        @Override
        String request() {
            return "config-diff";
        }

        @Override
        @SuppressWarnings("unchecked")
        int print(PrintWriter out, Map<String, Object> reply) {
            return code((Map<String, Object>) reply.get("peers"), out);
        }

        @Override
        @SuppressWarnings("unchecked")
        int exitCode(Map<String, Object> reply) {
            return code((Map<String, Object>) reply.get("peers"), null);
        }

        @SuppressWarnings("unchecked")
        private static int code(Map<String, Object> peers, PrintWriter out) {
            int code = 0;
            for (Map.Entry<String, Object> e : peers.entrySet()) {
                Map<String, Object> p = (Map<String, Object>) e.getValue();
                if (p.containsKey("error")) {
                    if (out != null) {
                        out.println(e.getKey() + ": cannot compare: " + p.get("error"));
                    }
                    code = 2;
                    continue;
                }
                List<Map<String, Object>> files = list(p.get("files"));
                if (files.isEmpty()) {
                    if (out != null) {
                        out.println(e.getKey() + ": no differences");
                    }
                    continue;
                }
                code = Math.max(code, 1);
                if (out != null) {
                    out.println(e.getKey() + ": " + files.size() + " file(s) differ");
                    for (Map<String, Object> f : files) {
                        out.print(String.valueOf(f.get("diff")));
                        if (!String.valueOf(f.get("diff")).endsWith("\n")) {
                            out.println();
                        }
                    }
                }
            }
            return code;
        }
    }

    @Command(name = "files", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "The replicated files (path, size, mode, SHA-256), the declared items with their check and"
            + " apply commands, this node's exceptions and the generations kept.")
    static final class Files extends Base {
        @Override
        String request() {
            return "config-files";
        }

        @Override
        int print(PrintWriter out, Map<String, Object> reply) {
            out.println("root " + reply.get("root") + ", manifest " + reply.get("manifest_hash"));
            out.println();
            out.printf("%-50s %10s %5s  %s%n", "FILE", "SIZE", "MODE", "SHA-256");
            for (Map<String, Object> f : list(reply.get("files"))) {
                out.printf("%-50s %10s %5s  %s%n", f.get("path"), f.get("size"), f.get("mode"), f.get("sha256"));
            }
            out.println();
            out.println("items (in apply order):");
            for (Map<String, Object> i : list(reply.get("items"))) {
                out.println("  " + i.get("path") + (String.valueOf(i.get("check")).isEmpty() ? "" : "\n    check: " + i.get("check"))
                    + (String.valueOf(i.get("apply")).isEmpty() ? "" : "\n    apply: " + i.get("apply")));
            }
            List<?> ex = (List<?>) reply.get("exceptions");
            out.println(ex == null || ex.isEmpty() ? "exceptions (never sent, never overwritten): none"
                : "exceptions (never sent, never overwritten):");
            if (ex != null) {
                ex.forEach(x -> out.println("  " + x));
            }
            List<Map<String, Object>> gens = list(reply.get("generations"));
            out.println(gens.isEmpty() ? "generations kept: none (nothing received yet)" : "generations kept:");
            for (Map<String, Object> g : gens) {
                out.println("  " + g.get("generation") + "  " + g.get("time") + "  " + g.get("kind")
                    + (String.valueOf(g.get("sender")).isEmpty() ? "" : " from " + g.get("sender")) + ", " + g.get("files") + " file(s)");
            }
            return 0;
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Restore the files of before the newest generation on this node.",
            "The apply commands run; the rollback is recorded as a new generation, so a second rollback undoes the"
                + " first. The peers then differ: pending, or with auto-sync the rollback is pushed to them."})
    static final class Rollback extends Base {
        @Override
        String request() {
            return "config-rollback";
        }

        @Override
        int print(PrintWriter out, Map<String, Object> reply) {
            out.println(reply.get("outcome") + ": " + reply.get("message"));
            return exitCode(reply);
        }
    }
}
