package tandem.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;
import tandem.node.config.ConfigException;
import tandem.node.config.ConfigLoader;
import tandem.node.config.NodeConfig;
import tandem.node.daemon.Daemon;

/** {@code tandem run}: the daemon, in the foreground. */
@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = {"Run the node daemon in the foreground (SIGTERM: resign and exit 0; SIGHUP: reload).",
        "Exit 2, changing nothing, when the configuration is invalid or does not fit this node (every error"
            + " listed, as 'tandem check' lists them); 1 on a runtime failure."})
final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.node");

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "the node's YAML configuration")
    Path config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        NodeConfig cfg;
        try {
            cfg = ConfigLoader.load(config);
        } catch (ConfigException e) {
            e.errors().forEach(l -> Main.printErrors(err, l));
            return 2;
        }
        Daemon daemon;
        try {
            daemon = Daemon.start(cfg);
        } catch (Daemon.StartupException e) {
            Main.printErrors(err, e.getMessage());
            return e.exitCode();
        }
        Runnable stop = () -> daemon.stop("shutdown on signal");
        Signal.handle(new Signal("TERM"), s -> Thread.ofPlatform().start(stop));
        Signal.handle(new Signal("INT"), s -> Thread.ofPlatform().start(stop));
        Signal.handle(new Signal("HUP"), s -> Thread.ofPlatform().start(() -> reload(daemon)));
        int code = daemon.run();
        LOG.info(code == 0 ? "stopped" : "stopped after a fatal failure (exit code " + code + ")");
        return code;
    }

    private void reload(Daemon daemon) {
        LOG.info("SIGHUP: reloading {}", config);
        try {
            NodeConfig next = ConfigLoader.load(config);
            daemon.reload(next); // logs its outcome
        } catch (ConfigException e) {
            // one log line per error: each names file, line and key on its own
            for (String error : e.errors()) {
                LOG.error("reload rejected, keeping the running configuration: {}", error);
            }
        }
    }
}
