package tandem.vrrp;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A decoded VRRP ADVERTISEMENT.
 *
 * @param version         protocol version
 * @param vrid            Virtual Rtr ID, 1..255
 * @param priority        0..255
 * @param intervalCentis  advertisement interval in centiseconds (v2 wire seconds are multiplied by 100)
 * @param addresses       the virtual addresses, all of one family
 * @param authType        v2 auth type; {@link AuthType#NONE} for v3
 * @param authData        v2 authentication data (8 octets) or empty
 */
public record VrrpAdvertisement(VrrpVersion version, int vrid, int priority, int intervalCentis,
                                List<InetAddress> addresses, AuthType authType, byte[] authData) {

    public VrrpAdvertisement {
        Objects.requireNonNull(version, "version");
        addresses = List.copyOf(addresses);
        authData = authData == null ? new byte[0] : authData.clone();
        if (vrid < 1 || vrid > 255) {
            throw new IllegalArgumentException("vrid: " + vrid + " (expected: 1..255)");
        }
        if (priority < 0 || priority > 255) {
            throw new IllegalArgumentException("priority: " + priority + " (expected: 0..255)");
        }
    }

    /** A v3 advertisement. */
    public static VrrpAdvertisement v3(int vrid, int priority, int intervalCentis, List<InetAddress> addresses) {
        return new VrrpAdvertisement(VrrpVersion.V3, vrid, priority, intervalCentis, addresses, AuthType.NONE, null);
    }

    @Override
    public byte[] authData() {
        return authData.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VrrpAdvertisement a && version == a.version && vrid == a.vrid
            && priority == a.priority && intervalCentis == a.intervalCentis && addresses.equals(a.addresses)
            && authType == a.authType && Arrays.equals(authData, a.authData);
    }

    @Override
    public int hashCode() {
        return Objects.hash(version, vrid, priority, intervalCentis, addresses, authType, Arrays.hashCode(authData));
    }

    @Override
    public String toString() {
        return "VRRPv" + version.wire() + "{vrid=" + vrid + ", priority=" + priority + ", interval="
            + intervalCentis * 10 + "ms, addresses=" + addresses + (authType == AuthType.NONE ? "" : ", auth=" + authType)
            + "}";
    }
}
