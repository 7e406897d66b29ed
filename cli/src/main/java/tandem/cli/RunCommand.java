package tandem.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;
import tandem.node.config.ConfigException;
import tandem.node.config.ConfigLoader;
import tandem.node.config.NodeConfig;
import tandem.node.daemon.Daemon;

/** {@code tandem run}: the daemon, in the foreground. */
@Command(name = "run", description = "Run the node daemon in the foreground (SIGTERM: resign and exit 0; SIGHUP: reload).")
final class RunCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.node");

    @Option(names = "--config", required = true, description = "the node's YAML configuration")
    Path config;

    @Override
    public Integer call() {
        NodeConfig cfg;
        try {
            cfg = ConfigLoader.load(config);
        } catch (ConfigException e) {
            System.err.println("tandem: " + e.getMessage());
            return 2;
        }
        Daemon daemon;
        try {
            daemon = Daemon.start(cfg);
        } catch (Daemon.StartupException e) {
            System.err.println("tandem: " + e.getMessage());
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
            LOG.error("reload rejected, keeping the running configuration: {}", e.getMessage());
        }
    }
}
