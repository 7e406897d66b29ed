package tandem.services;

import java.util.Locale;

/** Where a supervised service is. */
public enum ServiceState {
    /** Not running (never started, stopped on request, or ended cleanly and not restarted). */
    STOPPED,
    /** A start is under way (spawned and settling, start command or start job running). */
    STARTING,
    /** Running: the start completed and nothing has ended it since. */
    RUNNING,
    /** Failed: a start, the service or a stop failed; a restart may be scheduled next. */
    FAILED,
    /** Waiting for the restart delay before the next start attempt. */
    RESTARTING,
    /** A stop is under way (stop signal sent, stop command or stop job running). */
    STOPPING;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
