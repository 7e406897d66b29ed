package tandem.services;

import java.util.Locale;

/**
 * When a service that is supposed to run and stopped running is started again (after the delay of
 * its {@link RestartSpec}). A failed start or status check, a non-zero exit status, death by a
 * signal and a systemd unit that went "failed" are failures under every policy.
 */
public enum RestartPolicy {
    /** Restart after every end, a clean exit (status 0, unit "inactive") too: a clean exit counts as a failure. */
    ALWAYS,
    /** Restart after failures; a clean exit leaves the service stopped (like a finished job) and is no failure. */
    ON_FAILURE,
    /** Never restart: the service stays failed (or stopped after a clean exit) until the next start(). */
    NEVER;

    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Whether an end of the service while it should run counts as a failure (for the monitor). */
    public boolean isFailure(boolean clean) {
        return !clean || this == ALWAYS;
    }

    /** Whether the service is started again after an end (clean or not) while it should run. */
    public boolean restarts(boolean clean) {
        return switch (this) {
            case ALWAYS -> true;
            case ON_FAILURE -> !clean;
            case NEVER -> false;
        };
    }

    public static RestartPolicy parse(String s) {
        for (RestartPolicy p : values()) {
            if (p.label().equalsIgnoreCase(s == null ? "" : s.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("restart: got " + Text.got(s) + ", expected always, on-failure or never");
    }
}
