package tandem.services;

import java.util.Set;
import java.util.regex.Pattern;

/**
 * A systemd unit tandem starts and stops through systemd's D-Bus API (StartUnit / StopUnit with mode
 * "replace"); systemd runs it, in its own cgroup, with the unit's own settings. A name without a
 * type gets ".service".
 */
public record SystemdSpec(String unit) implements ServiceKind {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9:_.\\\\@-]+");
    private static final Set<String> TYPES = Set.of("service", "socket", "target", "mount", "automount", "swap",
        "path", "timer", "slice", "scope", "device");

    public SystemdSpec {
        if (unit == null || unit.isBlank()) {
            throw new IllegalArgumentException("unit: got nothing, expected a unit name, e.g. isc-dhcp-server.service");
        }
        unit = unit.trim();
        int dot = unit.lastIndexOf('.');
        if (dot < 0 || !TYPES.contains(unit.substring(dot + 1))) {
            unit = unit + ".service";
        }
        if (unit.length() > 255 || !NAME.matcher(unit).matches() || unit.startsWith(".") || unit.startsWith("@")) {
            throw new IllegalArgumentException("unit: got " + Text.got(unit)
                + ", expected a unit name of letters, digits and :_.\\@- (at most 255 characters)");
        }
    }

    @Override
    public String label() {
        return "systemd";
    }
}
