package tandem.services;

import java.time.Duration;
import java.util.Objects;

/**
 * The service monitor ("Diensteüberwachung"): {@code failures} failures within {@code window} trip
 * it, and then it applies {@code action} to the service's group on this node until {@code expire}
 * has passed since the last failure. Every failed restart attempt is a further failure, so a service
 * that stays broken keeps the verdict; one that runs again (or is no longer supposed to run) lets it
 * expire: there is no permanent ban. See {@link ServiceMonitor}.
 */
public record MonitorSpec(int failures, Duration window, Duration expire, MonitorAction action) {
    public static final int DEFAULT_FAILURES = 3;
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);
    public static final Duration DEFAULT_EXPIRE = Duration.ofMinutes(5);

    public MonitorSpec {
        if (failures < 1 || failures > 1000) {
            throw new IllegalArgumentException("failures: got " + failures + ", expected 1 to 1000");
        }
        Text.positive("window", window);
        Text.positive("expire", expire);
        Objects.requireNonNull(action, "action");
    }

    /** The defaults (3 failures within 1 min, expiring after 5 min) with the given action. */
    public static MonitorSpec of(MonitorAction action) {
        return new MonitorSpec(DEFAULT_FAILURES, DEFAULT_WINDOW, DEFAULT_EXPIRE, action);
    }
}
