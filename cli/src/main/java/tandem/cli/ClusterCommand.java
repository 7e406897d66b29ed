package tandem.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tandem.node.config.ConfigException;
import tandem.node.config.ConfigLoader;
import tandem.node.config.NodeConfig;
import tandem.replication.hotwire.Keys;
import tandem.replication.hotwire.TrustedKeys;

/**
 * {@code tandem cluster key|trust|untrust|trusted}: the hotwire's key exchange. Works on this node's files
 * (the configuration names them), with or without a running daemon, which reads the trusted keys again
 * when they change.
 */
@Command(name = "cluster", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "The hotwire's keys: 'key' prints this node's public key (made on first use), 'trust NODE KEY' pins"
        + " a peer's key, 'untrust NODE' removes it, 'trusted' lists the pinned keys.",
    subcommands = {ClusterCommand.Key.class, ClusterCommand.Trust.class, ClusterCommand.Untrust.class,
        ClusterCommand.Trusted.class})
final class ClusterCommand {
    abstract static class Base implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "/etc/tandem/tandem.yaml",
            description = "this node's configuration (default: ${DEFAULT-VALUE})")
        Path config;

        @Spec
        CommandSpec spec;

        abstract int run(NodeConfig cfg, NodeConfig.Hotwire hw, PrintWriter out) throws IOException;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            NodeConfig cfg;
            try {
                cfg = ConfigLoader.load(config);
            } catch (ConfigException e) {
                Main.printErrors(spec.commandLine().getErr(), e.getMessage());
                return 2;
            }
            NodeConfig.Hotwire hw = cfg.replication() == null ? null : cfg.replication().hotwire();
            if (hw == null) {
                Main.printErrors(spec.commandLine().getErr(), config + ": no hotwire section (expected: a node-local file"
                    + " with shared: and hotwire: {local, peers} for configuration replication)");
                return 2;
            }
            try {
                int code = run(cfg, hw, out);
                out.flush();
                return code;
            } catch (IOException | IllegalArgumentException e) {
                Main.printErrors(spec.commandLine().getErr(), "cluster " + spec.name() + ": " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "key", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Print this node's hotwire public key line and its fingerprint.",
            "The key pair is made on first use (Ed25519, in hotwire.key-dir, mode 600). Give the line to"
                + " 'tandem cluster trust' on each peer."})
    static final class Key extends Base {
        @Override
        int run(NodeConfig cfg, NodeConfig.Hotwire hw, PrintWriter out) throws IOException {
            Keys k = Keys.load(hw.keyDir(), cfg.nodeName());
            out.println(k.publicKeyLine());
            out.println("# " + cfg.nodeName() + " " + k.fingerprint() + " (on each peer: tandem cluster trust "
                + cfg.nodeName() + " '" + k.publicKeyLine() + "')");
            return 0;
        }
    }

    @Command(name = "trust", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Pin NODE's hotwire key (the line 'tandem cluster key' prints there).",
            "This node's SSH server accepts only pinned keys, and its client accepts a peer's server only with the"
                + " key pinned for that node."})
    static final class Trust extends Base {
        @Parameters(index = "0", paramLabel = "NODE", description = "the peer's node name (its node.name)")
        String node;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "KEY",
            description = "its public key line: ssh-ed25519 AAAA... [comment] (quoted or as separate words)")
        List<String> key;

        @Override
        int run(NodeConfig cfg, NodeConfig.Hotwire hw, PrintWriter out) throws IOException {
            if (node.equals(cfg.nodeName())) {
                throw new IllegalArgumentException("node " + node + " is this node (expected: a peer's name)");
            }
            if (hw.peers().stream().noneMatch(p -> p.node().equals(node))) {
                throw new IllegalArgumentException("node " + node + " is not a peer in " + config + " (expected: one of "
                    + hw.peers().stream().map(NodeConfig.Peer::node).toList() + ")");
            }
            String line = String.join(" ", key);
            Keys own = Keys.load(hw.keyDir(), cfg.nodeName());
            if (java.util.Arrays.equals(own.publicKey().getEncoded(), TrustedKeys.parseKey(node, line).getEncoded())) {
                throw new IllegalArgumentException("that is this node's own key (" + own.fingerprint() + "), not " + node
                    + "'s (expected: the line 'tandem cluster key' prints on " + node + ")");
            }
            TrustedKeys t = TrustedKeys.load(hw.trustedFile());
            TrustedKeys.Trusted old = t.trust(node, line);
            TrustedKeys.Trusted now = t.entries().stream().filter(e -> e.node().equals(node)).findFirst().orElseThrow();
            out.println("trusted " + node + " " + now.fingerprint() + (old == null ? ""
                : old.fingerprint().equals(now.fingerprint()) ? " (unchanged)" : " (replaced " + old.fingerprint() + ")")
                + " in " + hw.trustedFile());
            return 0;
        }
    }

    @Command(name = "untrust", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Remove NODE's pinned key: its pushes and status requests are refused from then on.")
    static final class Untrust extends Base {
        @Parameters(index = "0", paramLabel = "NODE")
        String node;

        @Override
        int run(NodeConfig cfg, NodeConfig.Hotwire hw, PrintWriter out) throws IOException {
            boolean removed = TrustedKeys.load(hw.trustedFile()).remove(node);
            out.println(removed ? "removed the key of " + node : node + " had no pinned key");
            return removed ? 0 : 1;
        }
    }

    @Command(name = "trusted", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "List the pinned peer keys with their fingerprints (exit 1 when a peer has none).")
    static final class Trusted extends Base {
        @Override
        int run(NodeConfig cfg, NodeConfig.Hotwire hw, PrintWriter out) throws IOException {
            List<TrustedKeys.Trusted> all = TrustedKeys.load(hw.trustedFile()).entries();
            int missing = 0;
            for (NodeConfig.Peer p : hw.peers()) {
                TrustedKeys.Trusted t = all.stream().filter(e -> e.node().equals(p.node())).findFirst().orElse(null);
                out.println(p.node() + " " + tandem.vrrp.AddressText.format(p.address()) + ": "
                    + (t == null ? "no key pinned (expected: tandem cluster trust " + p.node() + " KEY)" : t.fingerprint()));
                missing += t == null ? 1 : 0;
            }
            return missing == 0 ? 0 : 1;
        }
    }
}
