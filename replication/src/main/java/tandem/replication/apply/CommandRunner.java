package tandem.replication.apply;

import java.nio.file.Path;
import java.util.Map;

/**
 * Runs the check and apply commands of replicated items. Blocking: a call lasts as long as the command
 * (up to the runner's timeout). The receiver calls it on the thread of the transaction (the hotwire
 * server's session thread, or the caller of rollback): never on the VRRP loop or any other real-time
 * thread. An interface so the daemon can decide where commands run (e.g. under another unit).
 */
@FunctionalInterface
public interface CommandRunner {
    /**
     * Runs {@code command} with the extra {@code environment} (TANDEM_PATH, TANDEM_STAGED) in
     * {@code directory}; never throws for a command that fails, times out or cannot start (that is a
     * result with a non-zero exit code).
     */
    CommandResult run(String command, Map<String, String> environment, Path directory) throws InterruptedException;
}
