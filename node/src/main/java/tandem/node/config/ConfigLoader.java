package tandem.node.config;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tandem.node.config.YamlTree.Entry;
import tandem.node.config.YamlTree.MapNode;
import tandem.node.config.YamlTree.Node;
import tandem.node.config.YamlTree.Scalar;
import tandem.node.config.YamlTree.SeqNode;
import tandem.vrrp.AuthType;
import tandem.vrrp.ChecksumMode;
import tandem.vrrp.VrrpVersion;

/**
 * Reads and validates a node's YAML configuration. Pure apart from reading the file and its mode; does
 * not look at the system's interfaces (the daemon checks those before it changes anything).
 */
public final class ConfigLoader {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern IFNAME = Pattern.compile("[^/\\s:]{1,15}");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m)");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    private ConfigLoader() {
    }

    public static NodeConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file (expected: a readable YAML configuration)");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        NodeConfig cfg = parse(file, text);
        if (cfg.hasSecrets()) {
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
                if (perms.contains(PosixFilePermission.OTHERS_READ)) {
                    throw new ConfigException(file + ": mode " + mode(perms)
                        + " lets every user read the VRRP password (expected: no access for others, e.g. chmod 600)");
                }
            } catch (IOException | UnsupportedOperationException e) {
                throw new ConfigException(file + ": cannot check the file mode: " + e.getMessage());
            }
        }
        return cfg;
    }

    private static String mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal());
        }
        return String.format("%04o", m);
    }

    /** Parses configuration text; {@code file} is only used in messages. */
    public static NodeConfig parse(Path file, String text) throws ConfigException {
        Node root = YamlTree.parse(file.toString(), text);
        MapNode top = map(root, "(top level)");
        keys(top, "", Set.of("node", "control", "instances", "groups", "statesync"));

        MapNode node = map(required(top, "node", ""), "node");
        keys(node, "node.", Set.of("name", "priority"));
        String nodeName = name(required(node, "name", "node."), "node.name");
        int nodePriority = optional(node, "priority") == null ? 100
            : integer(node.entries().get("priority").value(), "node.priority", 1, 255);

        Path socket = Path.of("/run/tandem/tandem.sock");
        Entry control = top.entries().get("control");
        if (control != null) {
            MapNode c = map(control.value(), "control");
            keys(c, "control.", Set.of("socket"));
            Node s = optional(c, "socket");
            if (s != null) {
                String v = string(s, "control.socket");
                if (!v.startsWith("/")) {
                    throw error(s, "control.socket", quote(v), "an absolute path");
                }
                socket = Path.of(v);
            }
        }

        List<NodeConfig.Instance> instances = new ArrayList<>();
        Map<String, Node> instanceNodes = new HashMap<>();
        Map<String, String> vridUse = new HashMap<>();
        SeqNode list = seq(required(top, "instances", ""), "instances");
        if (list.items().isEmpty()) {
            throw error(list, "instances", "an empty list", "at least one instance");
        }
        for (int i = 0; i < list.items().size(); i++) {
            String path = "instances[" + i + "]";
            NodeConfig.Instance inst = instance(list.items().get(i), path, nodePriority);
            Node nameNode = ((MapNode) list.items().get(i)).entries().get("name").value();
            if (instanceNodes.containsKey(inst.name())) {
                throw error(nameNode, path + ".name", quote(inst.name()), "a name no other instance has");
            }
            String key = inst.interfaceName() + "/" + (inst.ipv6() ? "IPv6" : "IPv4") + "/" + inst.vrid();
            if (vridUse.containsKey(key)) {
                Node vridNode = ((MapNode) list.items().get(i)).entries().get("vrid").value();
                throw error(vridNode, path + ".vrid", String.valueOf(inst.vrid()), "a VRID not used by instance "
                    + vridUse.get(key) + " on the same interface and address family");
            }
            vridUse.put(key, inst.name());
            instanceNodes.put(inst.name(), list.items().get(i));
            instances.add(inst);
        }

        List<NodeConfig.Group> groups = new ArrayList<>();
        Entry g = top.entries().get("groups");
        if (g != null && !(g.value() instanceof Scalar sc && sc.value() == null)) {
            SeqNode gl = seq(g.value(), "groups");
            Map<String, String> memberOf = new HashMap<>();
            Set<String> groupNames = new HashSet<>();
            for (int i = 0; i < gl.items().size(); i++) {
                String path = "groups[" + i + "]";
                MapNode gm = map(gl.items().get(i), path);
                keys(gm, path + ".", Set.of("name", "instances"));
                Node gn = required(gm, "name", path + ".");
                String gname = name(gn, path + ".name");
                if (!groupNames.add(gname)) {
                    throw error(gn, path + ".name", quote(gname), "a name no other group has");
                }
                SeqNode members = seq(required(gm, "instances", path + "."), path + ".instances");
                if (members.items().isEmpty()) {
                    throw error(members, path + ".instances", "an empty list", "at least one instance name");
                }
                Set<String> names = new LinkedHashSet<>();
                for (int k = 0; k < members.items().size(); k++) {
                    Node mn = members.items().get(k);
                    String mpath = path + ".instances[" + k + "]";
                    String member = string(mn, mpath);
                    if (!instanceNodes.containsKey(member)) {
                        throw error(mn, mpath, quote(member), "the name of an instance defined under instances ("
                            + String.join(", ", instances.stream().map(NodeConfig.Instance::name).toList()) + ")");
                    }
                    if (memberOf.containsKey(member) && !memberOf.get(member).equals(gname) || !names.add(member)) {
                        throw error(mn, mpath, quote(member), "an instance that is in no other group (already in "
                            + memberOf.getOrDefault(member, gname) + ")");
                    }
                    memberOf.put(member, gname);
                }
                groups.add(new NodeConfig.Group(gname, List.copyOf(names)));
            }
        }
        NodeConfig.StateSync sync = null;
        Entry ss = top.entries().get("statesync");
        if (ss != null) {
            sync = stateSync(map(ss.value(), "statesync"), groups);
        }
        return new NodeConfig(file, nodeName, nodePriority, socket, instances, groups, sync);
    }

    private static NodeConfig.StateSync stateSync(MapNode m, List<NodeConfig.Group> groups) throws ConfigException {
        String p = "statesync.";
        keys(m, p, Set.of("local", "peer", "multicast", "interface", "port", "group", "cluster", "passphrase",
            "purge-delay", "protocols", "ignore", "mark-bit", "skip-dns-icmp", "expectations"));
        NodeConfig.Cidr local = cidr(required(m, "local", p), p + "local");
        Node peerNode = optional(m, "peer");
        Node mcNode = optional(m, "multicast");
        if ((peerNode == null) == (mcNode == null)) {
            throw new ConfigException(m.mark() + ": " + p + "peer/multicast: " + (peerNode == null ? "neither" : "both")
                + " (expected: peer for two nodes or multicast for more, exactly one of them)");
        }
        InetAddress peer = null;
        InetAddress multicast = null;
        String ifname = null;
        if (peerNode != null) {
            NodeConfig.Cidr pc = cidr(peerNode, p + "peer");
            if (local.ipv6() != pc.ipv6() || local.address().equals(pc.address())) {
                throw error(peerNode, p + "peer", pc.address().getHostAddress(),
                    "an address of the same family as local, other than local");
            }
            peer = pc.address();
            if (optional(m, "interface") != null) {
                throw error(optional(m, "interface"), p + "interface", "an interface with unicast",
                    "interface only with multicast");
            }
        } else {
            String v = string(mcNode, p + "multicast");
            multicast = v.matches("[0-9.]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*") ? literal(v) : null;
            if (multicast == null || !multicast.isMulticastAddress() || (multicast.getAddress().length == 16) != local.ipv6()) {
                throw error(mcNode, p + "multicast", quote(v), "a multicast group of local's family, e.g. 239.255.37.80");
            }
            Node in = required(m, "interface", p);
            ifname = string(in, p + "interface");
            if (!IFNAME.matcher(ifname).matches()) {
                throw error(in, p + "interface", quote(ifname), "a Linux interface name of 1..15 characters");
            }
        }
        int port = optional(m, "port") == null ? 3780 : integer(optional(m, "port"), p + "port", 1, 65535);
        String group;
        Node gn = optional(m, "group");
        if (gn != null) {
            group = string(gn, p + "group");
            String g = group;
            if (groups.stream().noneMatch(x -> x.name().equals(g))) {
                throw error(gn, p + "group", quote(group), "the name of a group under groups ("
                    + String.join(", ", groups.stream().map(NodeConfig.Group::name).toList()) + ")");
            }
        } else if (groups.size() == 1) {
            group = groups.getFirst().name();
        } else {
            throw new ConfigException(m.mark() + ": " + p + "group: missing (expected: the sync group that drives"
                + " the replication; needed when there is not exactly one group)");
        }
        String cluster = name(required(m, "cluster", p), p + "cluster");
        Node pw = required(m, "passphrase", p);
        String passphrase = string(pw, p + "passphrase");
        if (passphrase.getBytes(StandardCharsets.UTF_8).length < 16) {
            throw error(pw, p + "passphrase", passphrase.getBytes(StandardCharsets.UTF_8).length + " octets",
                "at least 16 octets");
        }
        Duration purge = optional(m, "purge-delay") == null ? Duration.ofSeconds(5)
            : duration(optional(m, "purge-delay"), p + "purge-delay");
        Set<Integer> protocols = new java.util.TreeSet<>();
        Node pn = optional(m, "protocols");
        if (pn != null) {
            SeqNode pl = seq(pn, p + "protocols");
            for (int i = 0; i < pl.items().size(); i++) {
                Node x = pl.items().get(i);
                String v = string(x, p + "protocols[" + i + "]");
                protocols.add(switch (v) {
                    case "tcp" -> 6;
                    case "udp" -> 17;
                    case "icmp" -> 1;
                    case "icmpv6" -> 58;
                    case "sctp" -> 132;
                    case "udplite" -> 136;
                    case "dccp" -> 33;
                    case "gre" -> 47;
                    default -> throw error(x, p + "protocols[" + i + "]", quote(v),
                        "one of tcp, udp, icmp, icmpv6, sctp, udplite, dccp, gre");
                });
            }
        }
        List<NodeConfig.Cidr> ignore = new ArrayList<>();
        Node in = optional(m, "ignore");
        if (in != null) {
            SeqNode il = seq(in, p + "ignore");
            for (int i = 0; i < il.items().size(); i++) {
                ignore.add(cidr(il.items().get(i), p + "ignore[" + i + "]"));
            }
        }
        int markBit = optional(m, "mark-bit") == null ? -1 : integer(optional(m, "mark-bit"), p + "mark-bit", 0, 31);
        boolean skip = optional(m, "skip-dns-icmp") != null && bool(optional(m, "skip-dns-icmp"), p + "skip-dns-icmp");
        boolean expectations = optional(m, "expectations") == null || bool(optional(m, "expectations"), p + "expectations");
        return new NodeConfig.StateSync(local.address(), peer, multicast, ifname, port, group, cluster, passphrase,
            purge, protocols, ignore, markBit, skip, expectations);
    }

    private static NodeConfig.Instance instance(Node n, String path, int nodePriority) throws ConfigException {
        MapNode m = map(n, path);
        String p = path + ".";
        keys(m, p, Set.of("name", "interface", "vrid", "version", "advert-interval", "priority", "preempt",
            "preempt-delay", "accept", "virtual-addresses", "auth", "checksum", "garp", "track-interfaces"));
        String name = name(required(m, "name", p), p + "name");
        Node ifn = required(m, "interface", p);
        String ifname = string(ifn, p + "interface");
        if (!IFNAME.matcher(ifname).matches()) {
            throw error(ifn, p + "interface", quote(ifname), "a Linux interface name of 1..15 characters");
        }
        int vrid = integer(required(m, "vrid", p), p + "vrid", 1, 255);
        VrrpVersion version = VrrpVersion.V3;
        Node vn = optional(m, "version");
        if (vn != null) {
            version = integer(vn, p + "version", 2, 3) == 2 ? VrrpVersion.V2 : VrrpVersion.V3;
        }
        Duration interval = Duration.ofSeconds(1);
        Node in = optional(m, "advert-interval");
        if (in != null) {
            interval = duration(in, p + "advert-interval");
            if (version == VrrpVersion.V3) {
                long ms = interval.toMillis();
                if (ms < 10 || ms > 40_950 || ms % 10 != 0 || interval.toNanos() % 1_000_000 != 0) {
                    throw error(in, p + "advert-interval", scalarText(in), "10ms..40950ms in steps of 10ms (VRRPv3 centiseconds)");
                }
            } else if (interval.toMillis() % 1000 != 0 || interval.toSeconds() < 1 || interval.toSeconds() > 255) {
                throw error(in, p + "advert-interval", scalarText(in), "whole seconds 1s..255s for version 2");
            }
        }
        Node pn = optional(m, "priority");
        int priority = pn == null ? nodePriority : integer(pn, p + "priority", 1, 255);
        boolean preempt = optional(m, "preempt") == null || bool(optional(m, "preempt"), p + "preempt");
        Duration preemptDelay = Duration.ZERO;
        Node pd = optional(m, "preempt-delay");
        if (pd != null) {
            preemptDelay = duration(pd, p + "preempt-delay");
            if (preemptDelay.compareTo(Duration.ofHours(1)) > 0) {
                throw error(pd, p + "preempt-delay", scalarText(pd), "at most 3600s");
            }
        }
        boolean accept = optional(m, "accept") == null || bool(optional(m, "accept"), p + "accept");

        SeqNode vl = seq(required(m, "virtual-addresses", p), p + "virtual-addresses");
        if (vl.items().isEmpty()) {
            throw error(vl, p + "virtual-addresses", "an empty list", "at least one address");
        }
        if (vl.items().size() > 255) {
            throw error(vl, p + "virtual-addresses", vl.items().size() + " addresses", "at most 255");
        }
        List<NodeConfig.Cidr> vips = new ArrayList<>();
        for (int k = 0; k < vl.items().size(); k++) {
            Node an = vl.items().get(k);
            String apath = p + "virtual-addresses[" + k + "]";
            NodeConfig.Cidr c = cidr(an, apath);
            if (!vips.isEmpty() && c.ipv6() != vips.getFirst().ipv6()) {
                throw error(an, apath, c.toString(), (vips.getFirst().ipv6() ? "IPv6" : "IPv4")
                    + " like the first address (one family per instance; use a second instance for the other)");
            }
            if (vips.stream().anyMatch(v -> v.address().equals(c.address()))) {
                throw error(an, apath, c.toString(), "each address once");
            }
            if (version == VrrpVersion.V2 && c.ipv6()) {
                throw error(an, apath, c.toString(), "IPv4 for version 2 (VRRPv2 has no IPv6; use version: 3)");
            }
            vips.add(c);
        }

        AuthType authType = AuthType.NONE;
        String password = "";
        Node an = optional(m, "auth");
        if (an != null) {
            if (version != VrrpVersion.V2) {
                throw error(an, p + "auth", "auth with version 3", "no auth (RFC 5798 removed authentication; use version: 2)");
            }
            MapNode am = map(an, p + "auth");
            keys(am, p + "auth.", Set.of("type", "password"));
            Node tn = required(am, "type", p + "auth.");
            String type = string(tn, p + "auth.type");
            switch (type) {
                case "pass" -> {
                    authType = AuthType.SIMPLE_TEXT;
                    Node pw = required(am, "password", p + "auth.");
                    password = string(pw, p + "auth.password");
                    if (password.isEmpty() || password.getBytes(StandardCharsets.UTF_8).length > 8) {
                        throw error(pw, p + "auth.password", password.getBytes(StandardCharsets.UTF_8).length
                            + " octets", "1..8 octets (RFC 2338 simple text password)");
                    }
                }
                case "none" -> {
                    if (optional(am, "password") != null) {
                        throw error(am.entries().get("password").value(), p + "auth.password", "a password",
                            "none with type none");
                    }
                }
                default -> throw error(tn, p + "auth.type", quote(type), "pass or none");
            }
        }

        ChecksumMode checksum = ChecksumMode.RFC9568;
        Node cn = optional(m, "checksum");
        if (cn != null) {
            String c = string(cn, p + "checksum");
            checksum = switch (c) {
                case "rfc9568" -> ChecksumMode.RFC9568;
                case "no-pseudo-header" -> ChecksumMode.NO_PSEUDO_HEADER;
                default -> throw error(cn, p + "checksum", quote(c), "rfc9568 or no-pseudo-header");
            };
        }

        NodeConfig.Garp garp = NodeConfig.Garp.DEFAULT;
        Node gn = optional(m, "garp");
        if (gn != null) {
            MapNode gm = map(gn, p + "garp");
            keys(gm, p + "garp.", Set.of("count", "delay", "refresh"));
            int count = optional(gm, "count") == null ? garp.count() : integer(optional(gm, "count"), p + "garp.count", 0, 100);
            Duration delay = optional(gm, "delay") == null ? garp.delay() : duration(optional(gm, "delay"), p + "garp.delay");
            Duration refresh = optional(gm, "refresh") == null ? garp.refresh()
                : duration(optional(gm, "refresh"), p + "garp.refresh");
            if (!refresh.isZero() && refresh.toMillis() < 100) {
                throw error(optional(gm, "refresh"), p + "garp.refresh", scalarText(optional(gm, "refresh")),
                    "0 (off) or at least 100ms");
            }
            garp = new NodeConfig.Garp(count, delay, refresh);
        }

        List<NodeConfig.Track> tracks = new ArrayList<>();
        Node tn = optional(m, "track-interfaces");
        if (tn != null) {
            SeqNode tl = seq(tn, p + "track-interfaces");
            for (int k = 0; k < tl.items().size(); k++) {
                String tpath = p + "track-interfaces[" + k + "]";
                MapNode tm = map(tl.items().get(k), tpath);
                keys(tm, tpath + ".", Set.of("interface", "weight"));
                Node tin = required(tm, "interface", tpath + ".");
                String tif = string(tin, tpath + ".interface");
                if (!IFNAME.matcher(tif).matches()) {
                    throw error(tin, tpath + ".interface", quote(tif), "a Linux interface name of 1..15 characters");
                }
                int weight = optional(tm, "weight") == null ? 0 : integer(optional(tm, "weight"), tpath + ".weight", 0, 254);
                tracks.add(new NodeConfig.Track(tif, weight));
            }
        }
        return new NodeConfig.Instance(name, ifname, vrid, version, interval, priority, preempt, preemptDelay, accept,
            vips, authType, password, checksum, garp, tracks);
    }

    // ---- typed readers ----

    private static ConfigException error(Node n, String key, String got, String expected) {
        return new ConfigException(n.mark() + ": " + key + ": " + got + " (expected: " + expected + ")");
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    private static String scalarText(Node n) {
        return n instanceof Scalar s && s.value() != null ? s.value() : describe(n);
    }

    private static String describe(Node n) {
        return switch (n) {
            case MapNode m -> "a mapping";
            case SeqNode s -> "a list";
            case Scalar s -> s.value() == null ? "nothing" : quote(s.value());
        };
    }

    private static MapNode map(Node n, String key) throws ConfigException {
        if (n instanceof MapNode m) {
            return m;
        }
        throw error(n, key, describe(n), "a mapping of keys");
    }

    private static SeqNode seq(Node n, String key) throws ConfigException {
        if (n instanceof SeqNode s) {
            return s;
        }
        throw error(n, key, describe(n), "a list");
    }

    private static void keys(MapNode m, String prefix, Set<String> allowed) throws ConfigException {
        for (Entry e : m.entries().values()) {
            if (!allowed.contains(e.key())) {
                throw new ConfigException(e.keyMark() + ": " + prefix + e.key() + ": unknown key (expected one of: "
                    + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    private static Node required(MapNode m, String key, String prefix) throws ConfigException {
        Entry e = m.entries().get(key);
        if (e == null) {
            throw new ConfigException(m.mark() + ": " + prefix + key + ": missing (expected: a value for " + key + ")");
        }
        return e.value();
    }

    private static Node optional(MapNode m, String key) {
        Entry e = m.entries().get(key);
        return e == null ? null : e.value();
    }

    private static String string(Node n, String key) throws ConfigException {
        if (n instanceof Scalar s && s.value() != null) {
            return s.value();
        }
        throw error(n, key, describe(n), "a string");
    }

    private static String name(Node n, String key) throws ConfigException {
        String s = string(n, key);
        if (!NAME.matcher(s).matches()) {
            throw error(n, key, quote(s), "1..64 of A-Z a-z 0-9 . _ - starting with a letter or digit");
        }
        return s;
    }

    private static int integer(Node n, String key, int min, int max) throws ConfigException {
        String s = string(n, key);
        try {
            int v = Integer.parseInt(s.trim());
            if (v < min || v > max) {
                throw error(n, key, s, "an integer " + min + ".." + max);
            }
            return v;
        } catch (NumberFormatException e) {
            throw error(n, key, quote(s), "an integer " + min + ".." + max);
        }
    }

    private static boolean bool(Node n, String key) throws ConfigException {
        String s = string(n, key);
        return switch (s) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw error(n, key, quote(s), "true or false");
        };
    }

    /** The longest duration any key takes. */
    static final Duration MAX_DURATION = Duration.ofDays(1);

    /**
     * The duration a value such as 20ms, 1.5s or 2m stands for; null when it is none. Longer than
     * {@link #MAX_DURATION} is {@link #MAX_DURATION} plus one nanosecond (no overflow however many digits).
     */
    static Duration durationOf(String s) {
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        Matcher mt = DURATION.matcher(s.trim());
        if (!mt.matches()) {
            return null;
        }
        java.math.BigDecimal v = new java.math.BigDecimal(mt.group(1));
        java.math.BigDecimal nanos = switch (mt.group(2)) {
            case "ms" -> v.multiply(java.math.BigDecimal.valueOf(1_000_000));
            case "s" -> v.multiply(java.math.BigDecimal.valueOf(1_000_000_000));
            default -> v.multiply(java.math.BigDecimal.valueOf(60_000_000_000L));
        };
        if (nanos.compareTo(java.math.BigDecimal.valueOf(MAX_DURATION.toNanos())) > 0) {
            return MAX_DURATION.plusNanos(1);
        }
        return Duration.ofNanos(nanos.longValue());
    }

    private static Duration duration(Node n, String key) throws ConfigException {
        String s = string(n, key);
        Duration d = durationOf(s);
        if (d == null) {
            throw error(n, key, quote(s), "a duration with unit, e.g. 20ms, 1s, 1.5s, 2m");
        }
        if (d.compareTo(MAX_DURATION) > 0) {
            throw error(n, key, s, "at most 1440m (one day)");
        }
        return d;
    }

    /**
     * The address an IPv4 or IPv6 literal stands for, or null. Never a name lookup: InetAddress.getByName
     * resolves what is no literal (e.g. 999.1.1.1) as a host name, in DNS.
     */
    private static InetAddress literal(String s) {
        try {
            return InetAddress.ofLiteral(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static NodeConfig.Cidr cidr(Node n, String key) throws ConfigException {
        String s = string(n, key).trim();
        String addr = s;
        Integer prefix = null;
        int slash = s.indexOf('/');
        if (slash >= 0) {
            addr = s.substring(0, slash);
            try {
                prefix = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw error(n, key, quote(s), "an address with optional prefix length, e.g. 192.0.2.1/24 or 2001:db8::1/64");
            }
        }
        InetAddress a = IPV4.matcher(addr).matches() || IPV6.matcher(addr).matches() ? literal(addr) : null;
        if (a == null) {
            throw error(n, key, quote(s), "an IPv4 or IPv6 address literal, e.g. 192.0.2.1/24");
        }
        int max = a.getAddress().length * 8;
        if (prefix == null) {
            prefix = max;
        }
        if (prefix < 1 || prefix > max) {
            throw error(n, key, quote(s), "a prefix length 1.." + max);
        }
        if (a.isMulticastAddress() || a.isAnyLocalAddress() || a.isLoopbackAddress()) {
            throw error(n, key, quote(s), "a unicast address");
        }
        return new NodeConfig.Cidr(a, prefix);
    }
}
