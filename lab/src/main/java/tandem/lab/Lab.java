package tandem.lab;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tandem.node.control.ControlClient;

/**
 * A two-node firewall cluster in network namespaces, all names prefixed so labs can run side by side:
 *
 * <pre>
 *  [client] eth0 ─┐            ┌─ lan [fw1] wan ─┐            ┌─ eth0 [server]
 *   192.0.2.100   ├─ br-lan ───┤      sync       ├─ br-wan ───┤   203.0.113.100
 *                 │  ([sw])    └─ lan [fw2] wan ─┘  ([sw])    │
 *  LAN 192.0.2.0/24, VIP .1      fw1 .2 / fw2 .3     WAN 203.0.113.0/24, VIP .1
 *  LAN6 2001:db8:1::/64, VIP ::1                     sync link 198.51.100.0/30 (fw1 .1, fw2 .2)
 * </pre>
 *
 * Every interface is created inside a namespace, so nothing is left in the host namespace; the
 * firewalls forward, accept new connections only from the LAN and SNAT to the WAN VIP.
 */
public final class Lab implements AutoCloseable {
    public static final String[] ROLES = {"sw", "client", "fw1", "fw2", "server"};
    public static final String LAN_VIP = "192.0.2.1";
    public static final String WAN_VIP = "203.0.113.1";
    public static final String LAN6_VIP = "2001:db8:1::1";
    public static final String SERVER = "203.0.113.100";
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * JVM flags for a daemon, as the tandem wrapper sets them: heap grown on demand, two compiler
     * threads (C2 compiles the AES-GCM intrinsics), native memory the compilers used given back every
     * 2 s. The collector and heap cap depend on the node: see {@link #daemonJvmFlags(boolean)}.
     */
    public static final List<String> DAEMON_JVM_FLAGS = List.of("-Xms16m",
        "-XX:TrimNativeHeapInterval=2000", "-XX:MaxMetaspaceSize=64m", "-Xss512k",
        "--enable-native-access=ALL-UNNAMED");

    /**
     * The daemon's JVM flags (the same choice as the tandem wrapper): a VRRP-only node runs the serial
     * collector in at most 384 MiB (small heap, millisecond pauses, lowest RSS) and C1 only (C2 kept
     * compiling for minutes at idle, for nothing the advert path needs); a node with state sync
     * holds up to millions of replicated connections and runs Shenandoah in at most 1 GiB (aiming at
     * 256 MiB while the live data fits), whose pauses stay below a millisecond - a copying stop-the-world collection of a filling cache took 100-200 ms,
     * longer than the 72 ms master-down interval at 20 ms adverts. State sync compiles with C2 only:
     * with tiered compilation the event path was thrown away and recompiled at every change between
     * idle and load (uncommon traps), a CPU second per burst of 500 000 events.
     */
    public static List<String> daemonJvmFlags(boolean stateSync) {
        List<String> f = new ArrayList<>(stateSync
            ? List.of("-XX:+UseShenandoahGC", "-Xmx1g", "-XX:SoftMaxHeapSize=256m", "-XX:-TieredCompilation",
                "-XX:CICompilerCount=2", "-XX:ReservedCodeCacheSize=48m")
            : List.of("-XX:+UseSerialGC", "-Xmx384m", "-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=24m"));
        f.addAll(DAEMON_JVM_FLAGS);
        return f;
    }

    private final String prefix;
    private final Path dir;

    public Lab(String prefix) {
        if (!prefix.matches("[a-z][a-z0-9]{0,7}")) {
            throw new IllegalArgumentException("lab prefix: \"" + prefix + "\" (expected: 1..8 of a-z 0-9, starting with a letter)");
        }
        this.prefix = prefix;
        this.dir = Path.of("/run/tandem-lab", prefix);
    }

    public String prefix() {
        return prefix;
    }

    public Path dir() {
        return dir;
    }

    public String ns(String role) {
        return prefix + "-" + role;
    }

    public boolean exists() {
        return Sh.run("ip", "netns", "list").lines().anyMatch(l -> l.split(" ")[0].equals(ns("fw1")));
    }

    // ---------------------------------------------------------------- topology

    /** Builds the topology; on any failure removes what was built and rethrows. */
    public void create() {
        if (exists()) {
            throw new LabException("lab " + prefix + " already exists (expected: none; run 'tandem lab down"
                + (prefix.equals("tdm") ? "" : " --prefix " + prefix) + "' first)");
        }
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            for (String r : ROLES) {
                Sh.run("ip", "netns", "add", ns(r));
                ip(r, "link", "set", "lo", "up");
            }
            ip("sw", "link", "add", "br-lan", "type", "bridge", "forward_delay", "0", "mcast_snooping", "0");
            ip("sw", "link", "add", "br-wan", "type", "bridge", "forward_delay", "0", "mcast_snooping", "0");
            ip("sw", "link", "set", "br-lan", "up");
            ip("sw", "link", "set", "br-wan", "up");
            if (Files.isDirectory(Path.of("/proc/sys/net/bridge"))) {
                // br_netfilter is loaded (by whatever else runs here): a switch does not filter, and its
                // hooks would cost every bridged packet
                for (String f : List.of("iptables", "ip6tables", "arptables")) {
                    exec("sw", "sysctl", "-qw", "net.bridge.bridge-nf-call-" + f + "=0");
                }
            }
            port("br-lan", "lc", "client", "eth0");
            port("br-lan", "l1", "fw1", "lan");
            port("br-lan", "l2", "fw2", "lan");
            port("br-wan", "w1", "fw1", "wan");
            port("br-wan", "w2", "fw2", "wan");
            port("br-wan", "ws", "server", "eth0");
            // the two ends get different interface indexes: a veth whose index equals its peer's looks like
            // a physical NIC to the kernel's linkwatch, whose carrier events then wait up to a second behind
            // the other links' (one kernel for all namespaces); on a real pair of nodes the hotwire's carrier
            // loss is the only link event the survivor sees, and it is delivered at once
            ip("fw1", "link", "add", "sync", "index", "1001", "type", "veth", "peer", "name", "sync", "index", "1002",
                "netns", ns("fw2"));
            for (String fw : List.of("fw1", "fw2")) {
                for (String i : List.of("lan", "wan", "sync")) {
                    ip(fw, "link", "set", i, "up");
                }
                exec(fw, "sysctl", "-qw", "net.ipv4.ip_forward=1");
                exec(fw, "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1");
                // no conntrack entries from mid-stream packets: only replicated state lets an old connection pass
                exec(fw, "sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_loose=0");
            }
            addr("client", "eth0", "192.0.2.100/24");
            addr("client", "eth0", "2001:db8:1::100/64");
            addr("fw1", "lan", "192.0.2.2/24");
            addr("fw2", "lan", "192.0.2.3/24");
            addr("fw1", "lan", "2001:db8:1::2/64");
            addr("fw2", "lan", "2001:db8:1::3/64");
            addr("fw1", "wan", "203.0.113.2/24");
            addr("fw2", "wan", "203.0.113.3/24");
            addr("fw1", "sync", "198.51.100.1/30");
            addr("fw2", "sync", "198.51.100.2/30");
            addr("server", "eth0", "203.0.113.100/24");
            ip("client", "link", "set", "eth0", "up");
            ip("server", "link", "set", "eth0", "up");
            ip("client", "route", "add", "default", "via", LAN_VIP);
            ip("client", "-6", "route", "add", "default", "via", LAN6_VIP);
            for (String fw : List.of("fw1", "fw2")) {
                Sh.runIn(firewallRules(), "ip", "netns", "exec", ns(fw), "nft", "-f", "-");
            }
        } catch (RuntimeException | IOException e) {
            destroy();
            throw e instanceof LabException le ? le : new LabException("lab " + prefix + ": " + e.getMessage());
        }
    }

    /**
     * Adds a third HA segment, DMZ 198.51.100.16/28 (fw1 .17, fw2 .18; a cluster address .20 is for the
     * configuration), bridged like LAN and WAN: for split-link arbitration over three HA interfaces.
     */
    public void addDmz() {
        ip("sw", "link", "add", "br-dmz", "type", "bridge", "forward_delay", "0", "mcast_snooping", "0");
        ip("sw", "link", "set", "br-dmz", "up");
        port("br-dmz", "d1", "fw1", "dmz");
        port("br-dmz", "d2", "fw2", "dmz");
        addr("fw1", "dmz", "198.51.100.17/28");
        addr("fw2", "dmz", "198.51.100.18/28");
        ip("fw1", "link", "set", "dmz", "up");
        ip("fw2", "link", "set", "dmz", "up");
    }

    /**
     * Adds a third firewall, fw3 (LAN 192.0.2.4, WAN 203.0.113.4), and turns the sync link into a
     * switched segment: the fw1-fw2 cable is replaced by a bridge with a port for each firewall,
     * 198.51.100.1..3/29 - for state sync by multicast among more than two nodes.
     */
    public void addThirdFirewall() {
        try {
            Sh.run("ip", "netns", "add", ns("fw3"));
            ip("fw3", "link", "set", "lo", "up");
            port("br-lan", "l3", "fw3", "lan");
            port("br-wan", "w3", "fw3", "wan");
            ip("fw1", "link", "del", "sync");
            ip("sw", "link", "add", "br-sync", "type", "bridge", "forward_delay", "0", "mcast_snooping", "0");
            ip("sw", "link", "set", "br-sync", "up");
            List<String> fws = List.of("fw1", "fw2", "fw3");
            for (int i = 0; i < fws.size(); i++) {
                String fw = fws.get(i);
                port("br-sync", "s" + (i + 1), fw, "sync");
                addr(fw, "sync", "198.51.100." + (i + 1) + "/29");
                ip(fw, "link", "set", "sync", "up");
            }
            for (String i : List.of("lan", "wan")) {
                ip("fw3", "link", "set", i, "up");
            }
            exec("fw3", "sysctl", "-qw", "net.ipv4.ip_forward=1");
            exec("fw3", "sysctl", "-qw", "net.netfilter.nf_conntrack_tcp_loose=0");
            addr("fw3", "lan", "192.0.2.4/24");
            addr("fw3", "wan", "203.0.113.4/24");
            Sh.runIn(firewallRules(), "ip", "netns", "exec", ns("fw3"), "nft", "-f", "-");
        } catch (RuntimeException e) {
            destroy();
            throw e instanceof LabException le ? le : new LabException("lab " + prefix + ": " + e.getMessage());
        }
    }

    /**
     * nftables of each firewall node: stateful forwarding LAN to WAN and SNAT to the WAN VIP; the FTP
     * helper on connections to port 21 (active FTP through SNAT needs it: the server's data connection
     * back to the client is let in only as an expected, related connection).
     */
    static String firewallRules() {
        return """
            table inet lab {
              ct helper ftp-standard {
                type "ftp" protocol tcp;
                l3proto inet;
              }
              chain helpers {
                type filter hook prerouting priority filter;
                iifname "lan" tcp dport 21 ct helper set "ftp-standard"
              }
              chain forward {
                type filter hook forward priority 0; policy drop;
                ct state established,related accept
                iifname "lan" oifname "wan" ct state new tcp flags & (syn | ack | fin | rst) == syn accept
                iifname "lan" oifname "wan" ct state new meta l4proto != tcp accept
              }
              chain postrouting {
                type nat hook postrouting priority 100;
                iifname "lan" oifname "wan" snat ip to %s
              }
            }
            """.formatted(WAN_VIP);
    }

    private void port(String bridge, String swName, String role, String name) {
        ip("sw", "link", "add", swName, "type", "veth", "peer", "name", name, "netns", ns(role));
        ip("sw", "link", "set", swName, "master", bridge, "up");
    }

    private void addr(String role, String ifname, String cidr) {
        List<String> c = Sh.list("ip", "-n", ns(role), "addr", "add", cidr, "dev", ifname);
        if (cidr.contains(":")) {
            c.add("nodad");
        }
        Sh.run(c.toArray(String[]::new));
    }

    public String ip(String role, String... args) {
        List<String> c = Sh.list("ip", "-n", ns(role));
        c.addAll(List.of(args));
        return Sh.run(c.toArray(String[]::new));
    }

    /** Runs a command inside a role's namespace. */
    public String exec(String role, String... cmd) {
        List<String> c = Sh.list("ip", "netns", "exec", ns(role));
        c.addAll(List.of(cmd));
        return Sh.run(c.toArray(String[]::new));
    }

    /**
     * Marks this lab as owned by a process (a test JVM): if that process dies without removing it (a
     * killed test run), {@link #sweepAbandoned} removes it. Labs of {@code tandem lab up} have no owner
     * and are never swept.
     */
    public void ownedBy(long pid) {
        try {
            Files.writeString(dir.resolve("owner"), Long.toString(pid));
        } catch (IOException e) {
            throw new LabException("lab " + prefix + ": cannot write its owner: " + e.getMessage());
        }
    }

    /**
     * Removes the labs whose owner process is gone (left by a killed test run): their daemons,
     * namespaces and files. Returns their prefixes.
     */
    public static List<String> sweepAbandoned() {
        List<String> swept = new ArrayList<>();
        Path root = Path.of("/run/tandem-lab");
        if (!Files.isDirectory(root)) {
            return swept;
        }
        try (var dirs = Files.list(root)) {
            for (Path d : dirs.toList()) {
                Path owner = d.resolve("owner");
                String prefix = d.getFileName().toString();
                if (!Files.exists(owner) || !prefix.matches("[a-z][a-z0-9]{0,7}")) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(Files.readString(owner).strip());
                } catch (IOException | NumberFormatException e) {
                    pid = -1;
                }
                if (pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                new Lab(prefix).destroy();
                swept.add(prefix);
            }
        } catch (IOException e) {
            throw new LabException("cannot list " + root + ": " + e.getMessage());
        }
        return swept;
    }

    /** Removes every process, namespace and file of this lab; safe to call after a crash or twice. */
    public void destroy() {
        String existing = Sh.quiet("ip", "netns", "list").out();
        List<String> roles = new ArrayList<>(List.of(ROLES));
        roles.add("fw3");
        for (String r : roles) {
            String n = ns(r);
            if (existing.lines().noneMatch(l -> l.split(" ")[0].equals(n))) {
                continue;
            }
            for (int round = 0; round < 2; round++) {
                String pids = Sh.quiet("ip", "netns", "pids", n).out().strip();
                if (pids.isEmpty()) {
                    break;
                }
                for (String pid : pids.split("\\s+")) {
                    Sh.quiet("kill", round == 0 ? "-TERM" : "-KILL", pid);
                }
                waitGone(n, Duration.ofSeconds(round == 0 ? 3 : 2));
            }
            Sh.quiet("ip", "netns", "del", n);
        }
        try {
            if (Files.exists(dir)) {
                try (var s = Files.walk(dir)) {
                    for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException e) {
            throw new LabException("lab " + prefix + ": cannot remove " + dir + ": " + e.getMessage());
        }
    }

    private static void waitGone(String ns, Duration max) {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end && !Sh.quiet("ip", "netns", "pids", ns).out().isBlank()) {
            sleep(50);
        }
    }

    @Override
    public void close() {
        destroy();
    }

    // ---------------------------------------------------------------- daemons

    public Path socket(String fw) {
        return dir.resolve(fw + ".sock");
    }

    public Path log(String fw) {
        return dir.resolve(fw + ".log");
    }

    /** Writes a daemon configuration with mode 0600. */
    public Path writeConfig(String name, String text) {
        try {
            Path p = dir.resolve(name);
            Files.writeString(p, text);
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
            return p;
        } catch (IOException e) {
            throw new LabException("cannot write " + name + ": " + e.getMessage());
        }
    }

    /** The node and control sections of a firewall's configuration, up to {@code instances:}. */
    public String configHeader(String fw, int priority) {
        return """
            node:
              name: %s
              priority: %d
            control:
              socket: %s
            instances:
            """.formatted(fw, priority, socket(fw));
    }

    /** The standard configuration with connection-state sync over the sync link. */
    public String tandemConfig(String fw, int priority, Duration interval) {
        return tandemConfig(fw, priority, interval, true);
    }

    /** The state-sync section of a firewall (sync link 198.51.100.0/30). */
    public static String stateSyncConfig(String fw) {
        return """
            statesync:
              local: %s
              peer: %s
              cluster: lab
              passphrase: lab-passphrase-0123456789
              purge-delay: 2s
            """.formatted(syncAddress(fw), fw.equals("fw1") ? "198.51.100.2" : "198.51.100.1");
    }

    /** A firewall's address on the sync link: fw1 .1, fw2 .2, fw3 .3 of 198.51.100.0. */
    public static String syncAddress(String fw) {
        return "198.51.100." + fw.substring(2);
    }

    /** The state-sync section using a multicast group on the sync link instead of the peer's address. */
    public static String stateSyncMulticastConfig(String fw) {
        return stateSyncConfig(fw).replaceFirst("  peer: [0-9.]+\n", "  multicast: 239.255.37.80\n  interface: sync\n");
    }

    /** The standard two-instance, one-group tandem configuration of a firewall node. */
    public String tandemConfig(String fw, int priority, Duration interval, boolean stateSync) {
        return (stateSync ? stateSyncConfig(fw) : "") + configHeader(fw, priority) + instancesAndGroup(interval, LAN_VIP + "/24");
    }

    /**
     * {@code n} UDP flows from the client (192.0.2.100) to the server through the cluster, 50 000 per
     * source port (38000 upwards) to destination ports from 10000, paced at about 50 000 per second.
     */
    public void manyUdpFlows(int n) throws Exception {
        tandem.linux.Netns.call(ns("client"), () -> {
            java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
            for (int base = 0; base < n; base += 50_000) {
                try (java.nio.channels.DatagramChannel c = java.nio.channels.DatagramChannel.open()) {
                    c.bind(new java.net.InetSocketAddress("192.0.2.100", 38000 + base / 50_000));
                    long t0 = System.nanoTime();
                    for (int i = 0; i < Math.min(50_000, n - base); i++) {
                        c.send(one.clear(), new java.net.InetSocketAddress(SERVER, 10000 + i));
                        if (i % 1000 == 999) {
                            java.util.concurrent.locks.LockSupport.parkNanos(t0 + (i + 1) * 20_000L - System.nanoTime());
                        }
                    }
                }
            }
            return null;
        });
    }

    /**
     * The items of the standard {@code instances:} list - lan (VRID 51, {@code lanVirtualAddresses}) and
     * wan (VRID 52, the WAN VIP) - then the group {@code cluster} of both; what follows indented by four
     * more spaces belongs to that group.
     */
    public static String instancesAndGroup(Duration interval, String lanVirtualAddresses) {
        return """
              - name: lan
                interface: lan
                vrid: 51
                advert-interval: %dms
                virtual-addresses: [%s]
              - name: wan
                interface: wan
                vrid: 52
                advert-interval: %dms
                virtual-addresses: [%s/24]
            groups:
              - name: cluster
                instances: [lan, wan]
            """.formatted(interval.toMillis(), lanVirtualAddresses, interval.toMillis(), WAN_VIP);
    }

    // ---------------------------------------------------------------- configuration replication

    /** A firewall's file-system root for replication: its /etc/tandem is {@code root(fw)/etc/tandem}. */
    public Path root(String fw) {
        return dir.resolve(fw).resolve("root");
    }

    /** A firewall's node-local configuration (it names the shared cluster.yaml beside it). */
    public Path nodeConfig(String fw) {
        return root(fw).resolve("etc/tandem/tandem.yaml");
    }

    /** A firewall's shared configuration (replicated). */
    public Path sharedConfig(String fw) {
        return root(fw).resolve("etc/tandem/cluster.yaml");
    }

    /** The lab firewall ruleset, a replicated file (its path below a firewall's root). */
    public static final String RULESET = "/etc/tandem/lab.nft";

    /** The peers of a firewall on the hotwire (the sync link). */
    private static List<String> peersOf(String fw) {
        return fw.equals("fw1") ? List.of("fw2") : List.of("fw1");
    }

    /**
     * The node-local file of a firewall with replication over the hotwire (the sync link): node name and
     * priorities, control socket, hotwire (key, trusted keys, state and root below the lab directory),
     * and - with state sync - its addresses and passphrase; {@code extra} is appended (more node-local keys).
     */
    public String nodeLocalConfig(String fw, boolean stateSync, String extra) {
        StringBuilder peers = new StringBuilder();
        for (String p : peersOf(fw)) {
            peers.append("    - {node: ").append(p).append(", address: ").append(syncAddress(p)).append("}\n");
        }
        Path base = dir.resolve(fw);
        return """
            shared: cluster.yaml
            node:
              name: %s
              priority-high: 150
              priority-low: 100
            control:
              socket: %s
            hotwire:
              local: %s
              peers:
            %s  key-dir: %s
              trusted-file: %s
              state-dir: %s
              root: %s
            """.formatted(fw, socket(fw), syncAddress(fw), peers,
            base.resolve("keys"), root(fw).resolve("etc/tandem/trusted-nodes"), base.resolve("state"), root(fw))
            + (stateSync ? """
            statesync:
              local: %s
              peer: %s
              passphrase: lab-passphrase-0123456789
            """.formatted(syncAddress(fw), fw.equals("fw1") ? "198.51.100.2" : "198.51.100.1") : "") + extra;
    }

    /**
     * The shared configuration of the standard cluster (fw1 preferred master, two instances in one
     * group, the lab ruleset replicated with {@code nft -c -f} as its check); {@code extra} is appended.
     */
    public static String clusterConfig(Duration interval, boolean stateSync, String extra) {
        return "cluster: lab\npreferred-master: fw1\ninstances:\n" + instancesAndGroup(interval, LAN_VIP + "/24") + """
            replicate:
              - path: %s
                check: nft -c -f {}
                apply: nft -f {}
            """.formatted(RULESET)
            + (stateSync ? "statesync:\n  purge-delay: 2s\n" : "") + extra;
    }

    /**
     * Writes a firewall's node-local and shared configuration and the lab ruleset below its root (a
     * fresh node: nothing replicated yet) and returns the node-local file.
     */
    public Path writeReplicated(String fw, String nodeLocal, String shared) {
        try {
            Path etc = root(fw).resolve("etc/tandem");
            Files.createDirectories(etc);
            Path base = dir.resolve(fw);
            for (Path d : List.of(base, root(fw))) {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
            }
            write(nodeConfig(fw), nodeLocal, "rw-------");
            write(sharedConfig(fw), shared, "rw-------");
            Path rules = root(fw).resolve(RULESET.substring(1));
            if (!Files.exists(rules)) {
                write(rules, rulesetFile(), "rw-r--r--");
            }
            return nodeConfig(fw);
        } catch (IOException e) {
            throw new LabException("cannot write the configuration of " + fw + ": " + e.getMessage());
        }
    }

    private static void write(Path p, String text, String mode) throws IOException {
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    }

    /** The lab ruleset as a file that replaces its table when loaded again (nft -f). */
    public static String rulesetFile() {
        return "table inet lab\ndelete table inet lab\n" + firewallRules();
    }

    /**
     * Exchanges the hotwire keys of the firewalls as an admin would with {@code tandem cluster key} and
     * {@code tandem cluster trust}: each node's key pair is made and pinned on every other node.
     */
    public void exchangeKeys(String... fws) {
        try {
            for (String fw : fws) {
                tandem.replication.hotwire.Keys k = tandem.replication.hotwire.Keys.load(dir.resolve(fw).resolve("keys"), fw);
                for (String other : fws) {
                    if (!other.equals(fw)) {
                        tandem.replication.hotwire.TrustedKeys.load(root(other).resolve("etc/tandem/trusted-nodes"))
                            .trust(fw, k.publicKeyLine());
                    }
                }
            }
        } catch (IOException e) {
            throw new LabException("key exchange: " + e.getMessage());
        }
    }

    /** The same cluster for keepalived (VRRPv3, same VRIDs, VIPs, interval and sync group). */
    public String keepalivedConfig(String fw, int priority, Duration interval) {
        String adv = String.format(java.util.Locale.ROOT, "%.2f", interval.toMillis() / 1000.0);
        return """
            global_defs {
              router_id %s
            }
            vrrp_sync_group cluster {
              group {
                lan
                wan
              }
            }
            vrrp_instance lan {
              state BACKUP
              interface lan
              virtual_router_id 51
              priority %d
              advert_int %s
              version 3
              virtual_ipaddress {
                %s/24
              }
            }
            vrrp_instance wan {
              state BACKUP
              interface wan
              virtual_router_id 52
              priority %d
              advert_int %s
              version 3
              virtual_ipaddress {
                %s/24
              }
            }
            """.formatted(fw, priority, adv, LAN_VIP, priority, adv, WAN_VIP);
    }

    /** Whether a configuration file has a top-level statesync section (what the wrapper greps for). */
    static boolean hasStateSync(Path config) {
        try {
            return Files.readAllLines(config).stream().anyMatch(l -> l.startsWith("statesync:"));
        } catch (IOException e) {
            return false;
        }
    }

    /** The java command that runs {@code tandem.cli.Main} from this JVM's class path. */
    public static List<String> tandemCommand(String... args) {
        return tandemCommand(List.of(), args);
    }

    /** Like {@link #tandemCommand(String...)}, with more JVM flags (e.g. -Dtandem.version=... for a test). */
    public static List<String> tandemCommand(List<String> jvmFlags, String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> c = new ArrayList<>();
        c.add(java);
        String extra = System.getenv("TANDEM_LAB_JVM_FLAGS");
        List<String> more = extra == null || extra.isBlank() ? List.of() : List.of(extra.trim().split("\\s+"));
        // extra flags that choose a collector replace the default one (the JVM refuses two)
        boolean gc = more.stream().anyMatch(f -> f.matches("-XX:\\+Use\\w+GC"));
        daemonJvmFlags(args.length > 2 && args[0].equals("run") && hasStateSync(Path.of(args[2]))).stream()
            .filter(f -> !gc || !f.matches("-XX:\\+Use\\w+GC")).forEach(c::add);
        c.addAll(more);
        c.addAll(jvmFlags);
        c.addAll(List.of("-cp", cp, "tandem.cli.Main"));
        c.addAll(List.of(args));
        return c;
    }

    /** Starts tandem in a firewall namespace and waits until its control socket answers. */
    public Process startTandem(String fw, Path config) {
        return startTandem(fw, config, List.of());
    }

    /** Like {@link #startTandem(String, Path)} with more JVM flags for the daemon. */
    public Process startTandem(String fw, Path config, List<String> jvmFlags) {
        List<String> c = Sh.list("ip", "netns", "exec", ns(fw), "setsid");
        c.addAll(tandemCommand(jvmFlags, "run", "--config", config.toString()));
        Process p = launch(fw, c);
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end) {
            if (!p.isAlive()) {
                throw new LabException("tandem on " + fw + " exited with " + p.exitValue() + ": " + logTail(fw));
            }
            try {
                ControlClient.info(socket(fw));
                return p;
            } catch (IOException e) {
                sleep(50);
            }
        }
        throw new LabException("tandem on " + fw + " did not answer on " + socket(fw) + " within 20 s: " + logTail(fw));
    }

    /** conntrackd 1.4 FTFW on the sync link of a firewall, ignoring the node's own addresses. */
    public String conntrackdConfig(String fw) {
        boolean one = fw.equals("fw1");
        return conntrackdConfig(one ? "198.51.100.1" : "198.51.100.2", one ? "198.51.100.2" : "198.51.100.1",
            dir.resolve(fw + "-conntrackd"), List.of("127.0.0.1", "198.51.100.1", "198.51.100.2",
                one ? "192.0.2.2" : "192.0.2.3", one ? "203.0.113.2" : "203.0.113.3"));
    }

    /**
     * A conntrackd 1.4 configuration: FTFW over UDP on the interface "sync", external cache on, large
     * buffers and hash limits for benchmarks; log, lock and control socket at {@code files}.log/.lock/.ctl.
     */
    public static String conntrackdConfig(String local, String peer, Path files, List<String> ignore) {
        StringBuilder ign = new StringBuilder();
        for (String a : ignore) {
            ign.append("          IPv4_address ").append(a).append('\n');
        }
        return """
            Sync {
              Mode FTFW {
                DisableExternalCache Off
              }
              UDP {
                IPv4_address %s
                IPv4_Destination_Address %s
                Port 3780
                Interface sync
                SndSocketBuffer 24985600
                RcvSocketBuffer 24985600
                Checksum on
              }
            }
            General {
              HashSize 1048576
              HashLimit 8388608
              LogFile %s.log
              LockFile %s.lock
              UNIX {
                Path %s.ctl
              }
              NetlinkBufferSize 2097152
              NetlinkBufferSizeMaxGrowth 134217728
              NetlinkOverrunResync On
              Filter From Userspace {
                Address Ignore {
            %s    }
              }
            }
            """.formatted(local, peer, files, files, files, ign);
    }

    /** Starts conntrackd in a firewall namespace; returns its config path. */
    public Path startConntrackd(String fw) {
        Path cf = writeConfig(fw + "-conntrackd.conf", conntrackdConfig(fw));
        try {
            Files.deleteIfExists(dir.resolve(fw + "-conntrackd.lock"));
            Files.deleteIfExists(dir.resolve(fw + "-conntrackd.ctl"));
        } catch (IOException e) {
            throw new LabException("cannot remove conntrackd lock: " + e.getMessage());
        }
        Sh.run("ip", "netns", "exec", ns(fw), "conntrackd", "-C", cf.toString(), "-d");
        return cf;
    }

    /**
     * The keepalived notify script that drives conntrackd as its users do: on master commit the external
     * cache, flush, resync with the kernel and send a bulk; on backup/fault request a resync and shorten
     * the kernel's timers of the old flows.
     */
    public Path conntrackdNotifyScript(String fw, Path conntrackdConf) {
        Path p = writeConfig(fw + "-notify.sh", """
            #!/bin/sh
            c="conntrackd -C %s"
            case "$3" in
              MASTER) $c -c; $c -f; $c -R; $c -B ;;
              BACKUP) $c -n; $c -t ;;
              FAULT) $c -t ;;
            esac
            exit 0
            """.formatted(conntrackdConf));
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new LabException("cannot chmod " + p + ": " + e.getMessage());
        }
        return p;
    }

    /**
     * Starts vsftpd on the server (203.0.113.100:21, anonymous, read-only, active and passive mode) with
     * {@code file} as /pub/file.bin, sent at most {@code bytesPerSecond}; data connections it opens give
     * up after 3 s. Runs until the lab is removed.
     */
    public Process startFtpServer(byte[] file, int bytesPerSecond) {
        Path root = dir.resolve("ftp-root");
        Path empty = dir.resolve("ftp-empty");
        try {
            Files.createDirectories(root.resolve("pub"));
            Files.createDirectories(empty);
            Files.write(root.resolve("pub/file.bin"), file);
            for (Path p : List.of(root, root.resolve("pub"), empty)) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            Files.setPosixFilePermissions(root.resolve("pub/file.bin"), PosixFilePermissions.fromString("rw-r--r--"));
        } catch (IOException e) {
            throw new LabException("cannot prepare the FTP root: " + e.getMessage());
        }
        Path conf = writeConfig("vsftpd.conf", """
            listen=YES
            listen_ipv6=NO
            listen_address=%s
            background=NO
            anonymous_enable=YES
            local_enable=NO
            write_enable=NO
            anon_root=%s
            no_anon_password=YES
            connect_from_port_20=YES
            port_enable=YES
            pasv_enable=YES
            connect_timeout=3
            anon_max_rate=%d
            seccomp_sandbox=NO
            secure_chroot_dir=%s
            xferlog_enable=NO
            vsftpd_log_file=%s
            """.formatted(SERVER, root, bytesPerSecond, empty, dir.resolve("vsftpd.log")));
        Process p = launch("server", Sh.list("ip", "netns", "exec", ns("server"), "setsid", "vsftpd", conf.toString()));
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < end) {
            if (!p.isAlive()) {
                throw new LabException("vsftpd exited with " + p.exitValue() + ": " + logTail("server"));
            }
            if (Sh.quiet("ip", "netns", "exec", ns("server"), "ss", "-Hltn", "sport", "=", ":21").out().contains(":21")) {
                return p;
            }
            sleep(20);
        }
        throw new LabException("vsftpd did not listen on " + SERVER + ":21 within 5 s: " + logTail("server"));
    }

    /** Starts keepalived (VRRP only, foreground) in a firewall namespace. */
    public Process startKeepalived(String fw, String conf) {
        Path cf = writeConfig(fw + "-keepalived.conf", conf);
        // A powered-on box has an empty /run: a killed run's pid files (possibly naming an unreaped
        // zombie) would make keepalived refuse to start.
        try {
            Files.deleteIfExists(dir.resolve(fw + "-ka.pid"));
            Files.deleteIfExists(dir.resolve(fw + "-ka-vrrp.pid"));
        } catch (IOException e) {
            throw new LabException("cannot remove keepalived pid files: " + e.getMessage());
        }
        return launch(fw, Sh.list("ip", "netns", "exec", ns(fw), "setsid", "keepalived", "-P", "-n", "-l", "-D",
            "-f", cf.toString(), "-p", dir.resolve(fw + "-ka.pid").toString(),
            "-r", dir.resolve(fw + "-ka-vrrp.pid").toString()));
    }

    private Process launch(String fw, List<String> cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.redirectErrorStream(true);
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log(fw).toFile()));
            return pb.start();
        } catch (IOException e) {
            throw new LabException("cannot start " + String.join(" ", cmd) + ": " + e.getMessage());
        }
    }

    public String logTail(String fw) {
        try {
            List<String> lines = Files.readAllLines(log(fw));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    public Map<String, Object> info(String fw) throws IOException {
        return ControlClient.info(socket(fw));
    }

    public static Map<String, Object> parse(String json) throws IOException {
        return JSON.readValue(json, new TypeReference<>() { });
    }

    /** Whether the namespace has {@code address} on {@code ifname}. */
    public boolean hasAddress(String role, String ifname, String address) {
        String out = Sh.quiet("ip", "-n", ns(role), "-o", "addr", "show", "dev", ifname).out();
        return out.contains(" " + address + "/");
    }

    /** Which firewall holds the LAN VIP now ("fw1", "fw2", "both" or "none"). */
    public String vipHolder() {
        boolean a = hasAddress("fw1", "lan", LAN_VIP);
        boolean b = hasAddress("fw2", "lan", LAN_VIP);
        return a && b ? "both" : a ? "fw1" : b ? "fw2" : "none";
    }

    /** Sets interfaces of a role up or down from inside its namespace. */
    public void setLinks(String role, boolean up, String... ifnames) {
        // one ip process for all of them: a power cut takes every cable at the same moment, not one per
        // process start (tens of milliseconds apart on a busy machine)
        StringBuilder batch = new StringBuilder();
        for (String i : ifnames) {
            batch.append("link set ").append(i).append(up ? " up" : " down").append('\n');
        }
        Sh.runIn(batch.toString(), "ip", "-n", ns(role), "-batch", "-");
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException("interrupted");
        }
    }
}
