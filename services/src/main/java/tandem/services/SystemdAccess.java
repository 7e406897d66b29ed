package tandem.services;

import java.nio.file.Path;
import java.util.Optional;
import org.freedesktop.dbus.exceptions.DBusException;

/** The host's one connection to systemd, made on first use and made again when it was lost. */
final class SystemdAccess implements AutoCloseable {
    private final Path runDir;
    private SystemdClient client;

    SystemdAccess(Path runDir) {
        this.runDir = runDir;
    }

    /** The connected client, or a ServiceException saying why systemd cannot be used for {@code service}. */
    synchronized SystemdClient client(ServiceSpec service) throws ServiceException {
        Optional<String> problem = SystemdClient.problem(runDir);
        if (problem.isPresent()) {
            throw new ServiceException(service.describe() + ": " + problem.get() + "; use kind process or commands");
        }
        if (client == null || !client.connected()) {
            if (client != null) {
                client.close();
            }
            try {
                client = SystemdClient.connect(runDir);
            } catch (DBusException | RuntimeException e) {
                client = null;
                throw new ServiceException(service.describe() + ": cannot connect to systemd at "
                    + runDir.resolve("private") + ": " + e.getMessage(), e);
            }
        }
        return client;
    }

    /** Whether systemd does not run here (so nothing of it can run either). */
    boolean absent() {
        return SystemdClient.problem(runDir).isPresent();
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
