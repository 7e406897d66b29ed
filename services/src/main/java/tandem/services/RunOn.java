package tandem.services;

import java.util.Locale;

/**
 * Where a service runs: on the node that is active for the service's group (a DHCP server bound to
 * the virtual address, a VPN endpoint, a PPPoE uplink), on the standby (e.g. a sync job pulling from
 * the active node), or on every node regardless of the role (a local resolver, an agent).
 */
public enum RunOn {
    ACTIVE, STANDBY, ALL;

    /** Whether the service should run on a node that is (or is not) active for its group. */
    public boolean runsWhen(boolean active) {
        return switch (this) {
            case ACTIVE -> active;
            case STANDBY -> !active;
            case ALL -> true;
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses the configuration word (case-insensitive). */
    public static RunOn parse(String s) {
        for (RunOn r : values()) {
            if (r.label().equalsIgnoreCase(s == null ? "" : s.trim())) {
                return r;
            }
        }
        throw new IllegalArgumentException("run-on: got " + Text.got(s) + ", expected active, standby or all");
    }
}
