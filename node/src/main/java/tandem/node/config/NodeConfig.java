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
                         List<Instance> instances, List<Group> groups, StateSync stateSync, Replication replication,
                         Operations operations) {

    public NodeConfig {
        instances = List.copyOf(instances);
        groups = List.copyOf(groups);
        operations = operations == null ? Operations.NONE : operations;
    }

    /** A configuration without role-bound operations. */
    public NodeConfig(Path file, String nodeName, int nodePriority, Path controlSocket, List<Instance> instances,
                      List<Group> groups, StateSync stateSync, Replication replication) {
        this(file, nodeName, nodePriority, controlSocket, instances, groups, stateSync, replication, Operations.NONE);
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
     * key pair, the trusted keys and the replication state live; {@code root} is the directory the
     * replicated paths are below ("/" on a node; a directory per node in the lab, where the nodes share a
     * file system); {@code fastTakeover}: the hotwire's carrier combines with VRRP (see VrrpRouter.peerLinkLost).
     */
    public record Hotwire(InetAddress local, int port, List<Peer> peers, Path keyDir, Path trustedFile, Path stateDir,
                          Path root, boolean fastTakeover) {
        public Hotwire {
            peers = List.copyOf(peers);
        }

        public Hotwire withPeers(List<Peer> p) {
            return new Hotwire(local, port, p, keyDir, trustedFile, stateDir, root, fastTakeover);
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

    /**
     * A sync group: its members move together.
     *
     * @param splitLink     what a member's own link going down does: fault the group (keepalived) or, with
     *                      arbitrate, demote the group by {@code linkWeight} per link down, so that while
     *                      the nodes still hear each other on one link the node with more links up is active
     * @param linkWeight    the demotion per link down under arbitrate (more than the nodes' priority spread)
     * @param takeover      add and remove the cluster addresses, or keep them on every node and drop ARP/ND
     *                      for them at layer 2 on the standby
     * @param layer2DropAll layer2: the standby also drops all other ingress on the group's interfaces
     */
    public record Group(String name, List<String> instances, SplitLink splitLink, int linkWeight, Takeover takeover,
                        boolean layer2DropAll) {
        public Group {
            instances = List.copyOf(instances);
        }

        public Group(String name, List<String> instances) {
            this(name, instances, SplitLink.FAULT, DEFAULT_LINK_WEIGHT, Takeover.ADDRESSES, false);
        }
    }

    /** The default demotion per link down under split-link arbitration. */
    public static final int DEFAULT_LINK_WEIGHT = 60;

    public enum SplitLink { FAULT, ARBITRATE }

    public enum Takeover { ADDRESSES, LAYER2 }

    /**
     * What follows the groups' roles besides the addresses, and the failover triggers besides link
     * tracking (shared configuration).
     *
     * @param standbyDown   interfaces set down while their group is standby
     * @param standbyRoutes routes this node uses while standby (e.g. through the active node)
     * @param pingChecks    reachability checks that demote or fault groups
     * @param holdDown      how long a trigger other than a link loss must persist before it demotes or faults
     * @param services      role-bound services (their specs, read by the services glue)
     */
    public record Operations(List<StandbyDown> standbyDown, List<StandbyRoute> standbyRoutes, List<PingCheck> pingChecks,
                             Duration holdDown, List<Service> services) {
        public static final Duration DEFAULT_HOLD_DOWN = Duration.ofSeconds(2);
        public static final Operations NONE = new Operations(List.of(), List.of(), List.of(), DEFAULT_HOLD_DOWN, List.of());

        public Operations {
            standbyDown = List.copyOf(standbyDown);
            standbyRoutes = List.copyOf(standbyRoutes);
            pingChecks = List.copyOf(pingChecks);
            services = List.copyOf(services);
        }
    }

    /** An interface that is administratively down while {@code group} is standby and up while it is active. */
    public record StandbyDown(String interfaceName, String group) {
    }

    /**
     * A route this node has while {@code group} is standby (removed when it becomes active): e.g. a
     * default route through the LAN cluster address, i.e. through the active node.
     *
     * @param destination the prefix (0.0.0.0/0 or ::/0 for default)
     */
    public record StandbyRoute(Cidr destination, InetAddress via, int metric, String group) {
    }

    /**
     * A ping check (Securepoint "fallback"): echo requests to the targets every {@code interval}; a round
     * succeeds when any target answers within {@code timeout}. {@code misses} failed rounds in a row make it
     * fail, {@code successes} good rounds in a row make it recover. Failing demotes {@code groups} by
     * {@code weight}, or faults them when {@code weight} is 0.
     */
    public record PingCheck(String name, List<InetAddress> targets, String interfaceName, Duration interval,
                            Duration timeout, int misses, int successes, int weight, List<String> groups) {
        public PingCheck {
            targets = List.copyOf(targets);
            groups = List.copyOf(groups);
        }
    }

    /** A role-bound service: the group whose role it follows, and its spec (kind, run-on, restart, monitor). */
    public record Service(String group, tandem.services.ServiceSpec spec) {
        public String name() {
            return spec.name();
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
