package tandem.services;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.connections.impl.DirectConnection;
import org.freedesktop.dbus.connections.impl.DirectConnectionBuilder;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.exceptions.DBusExecutionException;
import org.freedesktop.dbus.interfaces.Properties;
import org.freedesktop.dbus.types.UInt32;
import org.freedesktop.dbus.types.Variant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.services.systemd.Manager;

/**
 * A connection to systemd's own API socket ({@code /run/systemd/private}, the peer-to-peer D-Bus
 * endpoint systemctl uses as root): no D-Bus daemon needed, which a minimal firewall may not run.
 * Jobs are followed by the JobRemoved signal (after Subscribe) and, should a signal be missed, by
 * polling GetJob; units by PropertiesChanged and polling. dbus-java runs its own reader and
 * signal threads; every call here blocks, so the supervisor calls it on its operation threads.
 */
final class SystemdClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.services");
    static final String UNIT = "org.freedesktop.systemd1.Unit";
    private static final String JOB_PREFIX = "/org/freedesktop/systemd1/job/";

    private final Path runDir;
    private final DirectConnection conn;
    private final Manager manager;
    /** Results of finished jobs by job path (a job may finish before StartUnit's reply is read). */
    private final Map<String, String> finished = new ConcurrentHashMap<>();
    private final Map<String, List<Runnable>> watchers = new ConcurrentHashMap<>();
    private final Map<String, String> unitPaths = new ConcurrentHashMap<>();
    private final Object signals = new Object();

    private SystemdClient(Path runDir, DirectConnection conn) throws DBusException {
        this.runDir = runDir;
        this.conn = conn;
        this.manager = conn.getRemoteObject("/org/freedesktop/systemd1", Manager.class);
        conn.addSigHandler(Manager.JobRemoved.class, s -> {
            if (finished.size() > 10_000) {
                finished.clear(); // nobody waits for that many; keep the map bounded
            }
            finished.put(s.job(), s.result());
            wake();
        });
        conn.addSigHandler(Properties.PropertiesChanged.class, s -> {
            List<Runnable> w = watchers.get(s.getPath());
            if (w != null && s.getInterfaceName().equals(UNIT)) {
                w.forEach(Runnable::run);
            }
            wake();
        });
        manager.Subscribe();
    }

    /** Why systemd cannot be used here (the sd_booted(3) rule, then the socket), or empty. */
    static Optional<String> problem(Path runDir) {
        Path marker = runDir.resolve("system");
        if (!Files.isDirectory(marker)) {
            return Optional.of("systemd is not running on this node (no " + marker + ")");
        }
        Path socket = runDir.resolve("private");
        if (!Files.exists(socket)) {
            return Optional.of("systemd's API socket " + socket + " is missing");
        }
        return Optional.empty();
    }

    static SystemdClient connect(Path runDir) throws DBusException {
        DirectConnection c = DirectConnectionBuilder.forAddress("unix:path=" + runDir.resolve("private")).build();
        try {
            return new SystemdClient(runDir, c);
        } catch (DBusException | RuntimeException e) {
            c.disconnect();
            throw e;
        }
    }

    boolean connected() {
        return conn.isConnected();
    }

    Path runDir() {
        return runDir;
    }

    String startUnit(String unit) {
        return manager.StartUnit(unit, "replace").getPath();
    }

    String stopUnit(String unit) {
        return manager.StopUnit(unit, "replace").getPath();
    }

    /**
     * Waits for a job to finish until {@code deadline} (System.nanoTime); returns its result ("done",
     * "failed", ...), "unknown" when it was seen gone without its signal, or null on timeout.
     */
    String awaitJob(String job, long deadline) throws InterruptedException {
        long id = Long.parseLong(job.substring(job.lastIndexOf('/') + 1));
        long nextPoll = System.nanoTime() + 200_000_000L;
        while (true) {
            String r = finished.remove(job);
            if (r != null) {
                return r;
            }
            long now = System.nanoTime();
            if (now >= nextPoll) {
                nextPoll = now + 200_000_000L;
                if (!jobExists(id)) {
                    r = finished.remove(job);
                    return r != null ? r : "unknown";
                }
            }
            if (now >= deadline) {
                return null;
            }
            synchronized (signals) {
                signals.wait(Math.max(1, Math.min(nextPoll, deadline) - now) / 1_000_000 + 1);
            }
        }
    }

    private boolean jobExists(long id) {
        try {
            manager.GetJob(new UInt32(id));
            return true;
        } catch (DBusExecutionException e) {
            if (e.getMessage() != null && e.getMessage().contains("o such job") || "org.freedesktop.systemd1.NoSuchJob".equals(e.getType())) {
                return false;
            }
            throw e;
        }
    }

    /** ActiveState of the unit: active, reloading, inactive, failed, activating, deactivating. */
    String activeState(String unit) throws DBusException {
        return String.valueOf(property(unit, UNIT, "ActiveState"));
    }

    /** The Result property of a service unit ("success", "exit-code", ...), or "" for other units. */
    String result(String unit) {
        if (!unit.endsWith(".service")) {
            return "";
        }
        try {
            return String.valueOf(property(unit, "org.freedesktop.systemd1.Service", "Result"));
        } catch (DBusException | RuntimeException e) {
            return "";
        }
    }

    /** "failed (result exit-code)" - the unit's state for messages. */
    String describe(String unit) {
        try {
            String r = result(unit);
            return activeState(unit) + (r.isEmpty() ? "" : " (result " + r + ")");
        } catch (DBusException | RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private Object property(String unit, String iface, String name) throws DBusException {
        Properties p = conn.getRemoteObject(unitPath(unit), Properties.class);
        Object v = p.Get(iface, name);
        return v instanceof Variant<?> var ? var.getValue() : v;
    }

    String unitPath(String unit) {
        return unitPaths.computeIfAbsent(unit, u -> manager.LoadUnit(u).getPath());
    }

    /** Calls {@code onChange} on the signal threads whenever the unit's properties change. */
    AutoCloseable watch(String unit, Runnable onChange) {
        String path = unitPath(unit);
        watchers.computeIfAbsent(path, p -> new CopyOnWriteArrayList<>()).add(onChange);
        return () -> watchers.computeIfPresent(path, (p, l) -> {
            l.remove(onChange);
            return l.isEmpty() ? null : l;
        });
    }

    private void wake() {
        synchronized (signals) {
            signals.notifyAll();
        }
    }

    @Override
    public void close() {
        try {
            conn.disconnect();
        } catch (RuntimeException e) {
            LOG.debug("systemd connection close: {}", e.toString());
        }
    }

    static boolean isJobPath(String p) {
        return p.startsWith(JOB_PREFIX);
    }
}
