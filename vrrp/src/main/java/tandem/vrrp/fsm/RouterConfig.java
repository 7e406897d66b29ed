package tandem.vrrp.fsm;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import tandem.vrrp.AuthType;
import tandem.vrrp.ChecksumMode;
import tandem.vrrp.VrrpVersion;

/**
 * What the state machine needs to know about one virtual router; validated before it gets here.
 *
 * @param name                 operator-facing instance name
 * @param version              VRRP version
 * @param vrid                 1..255
 * @param priority             configured priority 1..255 (255 = address owner)
 * @param advertIntervalCentis Advertisement_Interval in centiseconds
 * @param preempt              Preempt_Mode
 * @param preemptDelayNanos    after startup, lower-priority masters are not preempted for this long
 * @param accept               Accept_Mode
 * @param virtualAddresses     the addresses advertised and taken over, one family
 * @param authType             v2 authentication, {@link AuthType#NONE} for v3
 * @param password             v2 simple-text password padded to 8 octets, empty otherwise
 * @param checksumMode         v3 IPv4 checksum variant
 */
public record RouterConfig(String name, VrrpVersion version, int vrid, int priority, int advertIntervalCentis,
                           boolean preempt, long preemptDelayNanos, boolean accept,
                           List<InetAddress> virtualAddresses, AuthType authType, byte[] password,
                           ChecksumMode checksumMode) {
    public RouterConfig {
        Objects.requireNonNull(name);
        virtualAddresses = List.copyOf(virtualAddresses);
        password = password == null ? new byte[0] : password.clone();
        if (virtualAddresses.isEmpty()) {
            throw new IllegalArgumentException("virtual addresses: none (expected: at least one)");
        }
    }

    public boolean ipv6() {
        return virtualAddresses.getFirst() instanceof Inet6Address;
    }

    @Override
    public byte[] password() {
        return password.clone();
    }

    /** True when {@code other} differs only in what can change without restarting the router. */
    public boolean sameIdentity(RouterConfig other) {
        return version == other.version && vrid == other.vrid && ipv6() == other.ipv6();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RouterConfig c && name.equals(c.name) && version == c.version && vrid == c.vrid
            && priority == c.priority && advertIntervalCentis == c.advertIntervalCentis && preempt == c.preempt
            && preemptDelayNanos == c.preemptDelayNanos && accept == c.accept
            && virtualAddresses.equals(c.virtualAddresses) && authType == c.authType
            && Arrays.equals(password, c.password) && checksumMode == c.checksumMode;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, version, vrid, priority, advertIntervalCentis, virtualAddresses);
    }

    @Override
    public String toString() {
        return "RouterConfig{" + name + ", v" + version.wire() + ", vrid " + vrid + ", priority " + priority + "}";
    }
}
