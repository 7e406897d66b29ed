package tandem.services.systemd;

import org.freedesktop.dbus.DBusPath;
import org.freedesktop.dbus.annotations.DBusInterfaceName;
import org.freedesktop.dbus.exceptions.DBusException;
import org.freedesktop.dbus.interfaces.DBusInterface;
import org.freedesktop.dbus.messages.DBusSignal;
import org.freedesktop.dbus.types.UInt32;

/**
 * The part of systemd's manager interface (org.freedesktop.systemd1(5)) that tandem uses. Exported
 * only to dbus-java, which builds the proxy.
 */
@DBusInterfaceName("org.freedesktop.systemd1.Manager")
public interface Manager extends DBusInterface {
    /** Queues a start job; returns the job's object path. */
    DBusPath StartUnit(String name, String mode);

    /** Queues a stop job; returns the job's object path. */
    DBusPath StopUnit(String name, String mode);

    /** The unit's object path, loading the unit if needed. */
    DBusPath LoadUnit(String name);

    /** The job's object path; fails with org.freedesktop.systemd1.NoSuchJob once the job is gone. */
    DBusPath GetJob(UInt32 id);

    /** Asks for the manager's signals (JobRemoved, the units' PropertiesChanged) on this connection. */
    void Subscribe();

    /** A job finished: result "done", "canceled", "timeout", "failed", "dependency" or "skipped". */
    class JobRemoved extends DBusSignal {
        private final long id;
        private final String job;
        private final String unit;
        private final String result;

        public JobRemoved(String path, UInt32 id, DBusPath job, String unit, String result) throws DBusException {
            super(path, id, job, unit, result);
            this.id = id.longValue();
            this.job = job.getPath();
            this.unit = unit;
            this.result = result;
        }

        public long id() {
            return id;
        }

        public String job() {
            return job;
        }

        public String unit() {
            return unit;
        }

        public String result() {
            return result;
        }
    }
}
