package tandem.node.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import tandem.vrrp.AuthType;
import tandem.vrrp.ChecksumMode;
import tandem.vrrp.VrrpVersion;

/** A validated node configuration (docs/configuration.md describes every key). */
public record NodeConfig(Path file, String nodeName, int nodePriority, Path controlSocket,
                         List<Instance> instances, List<Group> groups) {

    public NodeConfig {
        instances = List.copyOf(instances);
        groups = List.copyOf(groups);
    }

    /** An address with prefix length, e.g. 192.0.2.1/24. */
    public record Cidr(InetAddress address, int prefixLength) {
        public boolean ipv6() {
            return address instanceof Inet6Address;
        }

        @Override
        public String toString() {
            return address.getHostAddress() + "/" + prefixLength;
        }
    }

    /** Gratuitous ARP / NA on becoming master: {@code count} messages {@code delay} apart, then every {@code refresh}. */
    public record Garp(int count, Duration delay, Duration refresh) {
        public static final Garp DEFAULT = new Garp(3, Duration.ofMillis(50), Duration.ZERO);
    }

    /** An extra interface whose link is tracked: down means fault (weight 0) or priority minus weight. */
    public record Track(String interfaceName, int weight) {
    }

    public record Instance(String name, String interfaceName, int vrid, VrrpVersion version, Duration advertInterval,
                           int priority, boolean preempt, Duration preemptDelay, boolean accept,
                           List<Cidr> virtualAddresses, AuthType authType, String password,
                           ChecksumMode checksumMode, Garp garp, List<Track> tracks) {
        public Instance {
            virtualAddresses = List.copyOf(virtualAddresses);
            tracks = List.copyOf(tracks);
        }

        public boolean ipv6() {
            return virtualAddresses.getFirst().ipv6();
        }

        @Override
        public String toString() {
            return "Instance[" + name + " " + interfaceName + " vrid " + vrid + (password.isEmpty() ? "" : " auth ****") + "]";
        }
    }

    public record Group(String name, List<String> instances) {
        public Group {
            instances = List.copyOf(instances);
        }
    }

    public Optional<Instance> instance(String name) {
        return instances.stream().filter(i -> i.name().equals(name)).findFirst();
    }

    /** True when the file holds a secret (a v2 password) and so must not be world-readable. */
    public boolean hasSecrets() {
        return instances.stream().anyMatch(i -> !i.password().isEmpty());
    }
}
