package tandem.node.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import tandem.vrrp.AuthType;
import tandem.vrrp.ChecksumMode;
import tandem.vrrp.VrrpVersion;

/**
 * A validated node configuration (docs/configuration.md describes every key): one file, or a node-local
 * file and the shared file it names ({@link #replication} is then set).
 */
public record NodeConfig(Path file, String nodeName, int nodePriority, Path controlSocket,
                         List<Instance> instances, List<Group> groups, StateSync stateSync, Replication replication) {

    public NodeConfig {
        instances = List.copyOf(instances);
        groups = List.copyOf(groups);
    }

    /** A configuration in one file (no replication). */
    public NodeConfig(Path file, String nodeName, int nodePriority, Path controlSocket, List<Instance> instances,
                      List<Group> groups, StateSync stateSync) {
        this(file, nodeName, nodePriority, controlSocket, instances, groups, stateSync, null);
    }

    /**
     * The split into a node-local file and a shared file replicated over the hotwire.
     *
     * @param sharedFile      the shared configuration (replicated verbatim)
     * @param preferredMaster the node the shared configuration makes master (null: each node's own priority)
     * @param hotwire         this node's end of the replication link (null: replication not configured here)
     * @param items           the firewall files and directories replicated besides the shared configuration
     * @param exceptions      node-local paths never sent nor overwritten
     * @param autoSync        push after a local change settles
     * @param debounce        how long a change must settle before an automatic push
     */
    public record Replication(Path sharedFile, String preferredMaster, Hotwire hotwire, List<Replicated> items,
                              List<Path> exceptions, boolean autoSync, Duration debounce) {
        public Replication {
            items = List.copyOf(items);
            exceptions = List.copyOf(exceptions);
        }
    }

    /**
     * This node's end of the hotwire: the SSH server's address and port, the peers, and where the node's
     * key, the trusted keys and the replication state live.
     */
    public record Hotwire(InetAddress local, int port, List<Peer> peers, Path keyFile, Path trustedFile, Path stateDir) {
        public Hotwire {
            peers = List.copyOf(peers);
        }

        @Override
        public String toString() {
            return "Hotwire[" + tandem.vrrp.AddressText.format(local) + ":" + port + " -> " + peers + "]";
        }
    }

    /** A peer on the hotwire: its node name and address (its SSH server listens on the same port). */
    public record Peer(String node, InetAddress address) {
        @Override
        public String toString() {
            return node + " " + tandem.vrrp.AddressText.format(address);
        }
    }

    /**
     * A replicated file or directory (a directory: every regular file below it), with an optional check
     * command run on the staged copy ({@code {}} stands for its path) and an apply command run after the
     * swap, in the declared order.
     */
    public record Replicated(Path path, boolean directory, String check, String apply) {
    }

    /**
     * Connection-state replication over the sync link (null when not configured).
     *
     * @param local       this node's sync-link address (bound)
     * @param peer        the other node's sync-link address (unicast), or null with multicast
     * @param multicast   multicast group for more than two nodes, or null for unicast
     * @param interfaceName the sync-link interface (multicast only), or null
     * @param port        UDP port on both nodes
     * @param group       the sync group whose state makes this node active (sender) or standby
     * @param cluster     cluster name, the salt of the key derivation (equal on both nodes)
     * @param passphrase  the shared secret
     * @param purgeDelay  after becoming standby, kernel entries of the new master's flows go after this
     * @param protocols   protocol numbers to replicate (empty: all)
     * @param ignore      prefixes whose flows are never replicated (besides the node's own addresses)
     * @param markBit     replicate only entries with this conntrack mark bit set (-1: all)
     * @param skipDnsIcmp do not replicate DNS (UDP/TCP port 53) and ICMP flows
     * @param expectations replicate expectations (connections helpers announced, e.g. FTP data channels)
     */
    public record StateSync(InetAddress local, InetAddress peer, InetAddress multicast, String interfaceName,
                            int port, String group, String cluster,
                            String passphrase, Duration purgeDelay, Set<Integer> protocols, List<Cidr> ignore,
                            int markBit, boolean skipDnsIcmp, boolean expectations) {
        public StateSync {
            protocols = Set.copyOf(protocols);
            ignore = List.copyOf(ignore);
        }

        @Override
        public String toString() {
            return "StateSync[" + local.getHostAddress() + " <-> " + (peer != null ? peer : multicast).getHostAddress()
                + ":" + port + ", group "
                + group + ", passphrase ****]";
        }
    }

    /** An address with prefix length, e.g. 192.0.2.1/24. */
    public record Cidr(InetAddress address, int prefixLength) {
        public boolean ipv6() {
            return address instanceof Inet6Address;
        }

        @Override
        public String toString() {
            return tandem.vrrp.AddressText.format(address) + "/" + prefixLength;
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
        return stateSync != null || instances.stream().anyMatch(i -> !i.password().isEmpty());
    }
}
