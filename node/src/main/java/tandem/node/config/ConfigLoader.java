package tandem.node.config;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tandem.node.config.YamlTree.Entry;
import tandem.node.config.YamlTree.MapNode;
import tandem.node.config.YamlTree.Mark;
import tandem.node.config.YamlTree.Node;
import tandem.node.config.YamlTree.Problem;
import tandem.node.config.YamlTree.Scalar;
import tandem.node.config.YamlTree.SeqNode;
import tandem.vrrp.AddressText;
import tandem.vrrp.AuthType;
import tandem.vrrp.ChecksumMode;
import tandem.vrrp.VrrpVersion;

/**
 * Reads and validates a node's YAML configuration. Pure apart from reading the file and its mode; does
 * not look at the system's interfaces (the daemon checks those before it changes anything).
 *
 * <p>Every independent error is reported: each key's own problem, several within one instance, one per
 * unknown or duplicate key. A check that depends on another value (the advert interval's range on the
 * version, a group member on the instance names) is skipped while that value is itself wrong, and an
 * error that leaves nothing to check - YAML that does not parse, a top level that is no mapping - ends
 * the reading. The errors come in file order, one per line.
 */
public final class ConfigLoader {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern IFNAME = Pattern.compile("[^/\\s:]{1,15}");
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m)");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

    /** The keys a mapping takes, as listed in messages, and hints for keys it does not take. */
    private record Keys(Set<String> allowed, String listing, Map<String, String> hints) {
        static Keys of(Map<String, String> hints, String... allowed) {
            return new Keys(Set.of(allowed), String.join(", ", new TreeSet<>(List.of(allowed))), hints);
        }
    }

    /**
     * keepalived's names for an instance's keys (vrrp_instance), as the hint an unknown key gets: "did you
     * mean ..." for a key tandem has under another name, a sentence for one it does not have.
     */
    static final Map<String, String> KEEPALIVED = Map.ofEntries(
        Map.entry("advert_int", "did you mean advert-interval?"),
        Map.entry("virtual_router_id", "did you mean vrid?"),
        Map.entry("virtual_ipaddress", "did you mean virtual-addresses?"),
        Map.entry("virtual_ipaddress_excluded", "did you mean virtual-addresses? (one family per instance:"
            + " a second instance for the other)"),
        Map.entry("track_interface", "did you mean track-interfaces?"),
        Map.entry("authentication", "did you mean auth? (auth: {type: pass, password: ...}, version 2 only)"),
        Map.entry("auth_pass", "did you mean auth.password? (auth: {type: pass, password: ...}, version 2 only)"),
        Map.entry("auth_type", "did you mean auth.type? (auth: {type: pass, password: ...}, version 2 only)"),
        Map.entry("nopreempt", "did you mean preempt: false?"),
        Map.entry("preempt_delay", "did you mean preempt-delay?"),
        Map.entry("garp_master_delay", "did you mean garp.delay? (garp: {count: 3, delay: 50ms})"),
        Map.entry("garp_master_repeat", "did you mean garp.count? (garp: {count: 3, delay: 50ms})"),
        Map.entry("garp_master_refresh", "did you mean garp.refresh? (garp: {refresh: 60s})"),
        Map.entry("no_accept", "did you mean accept: false?"),
        Map.entry("vrrp_version", "did you mean version?"),
        Map.entry("state", "tandem has no initial state: an instance starts as backup (an address owner, priority"
            + " 255, as master) and priority and preempt decide which node becomes master;"),
        Map.entry("unicast_peer", "tandem sends adverts to the VRRP multicast group only, it has no unicast peers;"));

    private static final Keys TOP = Keys.of(Map.of(), "node", "control", "instances", "groups", "statesync", "shared",
        "standby-down-interfaces", "standby-routes", "ping-checks", "trigger-hold-down", "services");
    /** The node-local file when it names a shared one: what stays on this node. */
    private static final Keys NODE_LOCAL_TOP = Keys.of(Map.of(), "node", "control", "hotwire", "statesync", "shared",
        "exceptions");
    /** The shared file: what is replicated verbatim to the peers. */
    private static final Keys SHARED_TOP = Keys.of(Map.of(), "cluster", "preferred-master", "auto-sync", "instances",
        "groups", "statesync", "replicate", "standby-down-interfaces", "standby-routes", "ping-checks", "trigger-hold-down", "services");
    private static final Keys NODE_LOCAL = Keys.of(Map.of(), "name", "priority", "priority-high", "priority-low");
    private static final Keys HOTWIRE = Keys.of(Map.of(), "local", "port", "peers", "key-dir", "trusted-file",
        "state-dir", "root", "fast-takeover");
    private static final Keys PEER = Keys.of(Map.of(), "node", "address");
    private static final Keys REPLICATED = Keys.of(Map.of(), "path", "check", "apply");
    private static final Keys AUTO_SYNC = Keys.of(Map.of(), "enabled", "debounce");
    /** State-sync settings of each node (addresses, the secret) and of the cluster (what and how). */
    private static final Set<String> STATESYNC_LOCAL = Set.of("local", "peer", "multicast", "interface", "passphrase");
    private static final Set<String> STATESYNC_SHARED = Set.of("port", "group", "purge-delay", "protocols", "ignore",
        "mark-bit", "skip-dns-icmp", "expectations");
    /** The hotwire's SSH port unless configured (the state-sync port + 1). */
    public static final int HOTWIRE_PORT = 3781;
    private static final Keys NODE = Keys.of(Map.of(), "name", "priority");
    private static final Keys CONTROL = Keys.of(Map.of(), "socket");
    private static final Keys INSTANCE = Keys.of(KEEPALIVED, "name", "interface", "vrid", "version",
        "advert-interval", "priority", "preempt", "preempt-delay", "accept", "virtual-addresses", "auth", "checksum",
        "garp", "track-interfaces");
    private static final Keys AUTH = Keys.of(Map.of("auth_type", "did you mean type?", "auth_pass",
        "did you mean password?"), "type", "password");
    private static final Keys GARP = Keys.of(Map.of(), "count", "delay", "refresh");
    private static final Keys TRACK = Keys.of(Map.of(), "interface", "weight");
    private static final Keys GROUP = Keys.of(Map.of(), "name", "instances", "split-link", "link-weight", "takeover",
        "layer2-drop");
    private static final Keys STANDBY_DOWN = Keys.of(Map.of(), "interface", "group");
    private static final Keys STANDBY_ROUTE = Keys.of(Map.of(), "to", "via", "metric", "group");
    private static final Keys SERVICE = Keys.of(Map.of("command", "did you mean process (a list: program and"
        + " arguments) or commands ({start, stop, status})?", "unit", "did you mean systemd?"), "name", "group", "run-on",
        "process", "commands", "systemd", "env", "workdir", "user", "stop-signal", "stop-timeout", "settle", "ready",
        "restart", "monitor", "start-timeout");
    private static final Keys SERVICE_COMMANDS = Keys.of(Map.of(), "start", "stop", "status", "interval", "timeout");
    private static final Keys SERVICE_RESTART = Keys.of(Map.of(), "policy", "delay", "max-delay");
    private static final Keys SERVICE_MONITOR = Keys.of(Map.of(), "failures", "window", "expire", "action");
    private static final Keys PING_CHECK = Keys.of(Map.of(), "name", "targets", "interface", "interval", "timeout",
        "misses", "successes", "action", "weight", "groups");
    private static final Keys STATESYNC = Keys.of(Map.of(), "local", "peer", "multicast", "interface", "port", "group",
        "cluster", "passphrase", "purge-delay", "protocols", "ignore", "mark-bit", "skip-dns-icmp", "expectations");

    /**
     * What reading a file found.
     *
     * @param config     the configuration, or null when there is any error
     * @param validParts the parts that validated (node, control, the instances and groups without errors, state
     *                   sync when it has none), for checks against the system while the rest is being fixed;
     *                   null when the file could not be read as YAML at all
     * @param errors     every error, one line each, in file order; empty when {@code config} is set
     */
    public record Checked(NodeConfig config, NodeConfig validParts, List<String> errors) {
        public Checked {
            errors = List.copyOf(errors);
        }
    }

    private final Path file;
    /** The shared file the node file names (null: one file). */
    private Path sharedFile;
    private final List<Problem> problems = new ArrayList<>();
    private NodeConfig config;
    private NodeConfig validParts;
    /** The file holds the state-sync passphrase. */
    private boolean passphrase;
    /** The instances (names, or indexes when a name is wrong) whose VRRPv2 password the file holds. */
    private final List<String> passwords = new ArrayList<>();

    private ConfigLoader(Path file) {
        this.file = file;
    }

    /** The configuration of {@code file}; every error (file mode included) in the exception, one per line. */
    public static NodeConfig load(Path file) throws ConfigException {
        Checked c = check(file);
        if (!c.errors().isEmpty()) {
            throw new ConfigException(c.errors());
        }
        return c.config();
    }

    /**
     * Reads {@code file} and reports every error, the file mode of a file that holds a secret included;
     * never throws for what the file holds.
     */
    public static Checked check(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return new Checked(null, null, List.of(file + ": no such file (expected: a readable YAML configuration)"));
        } catch (CharacterCodingException e) {
            return new Checked(null, null, List.of(file + ": not UTF-8 text (expected: a YAML configuration in UTF-8)"));
        } catch (IOException e) {
            return new Checked(null, null, List.of(file + ": cannot read: " + YamlTree.printable(String.valueOf(
                e.getMessage())) + " (expected: a readable file)"));
        }
        ConfigLoader l = new ConfigLoader(file);
        l.read(text);
        l.checkMode();
        return l.outcome();
    }

    /**
     * The configuration {@code nodeFile} makes with {@code sharedText} as its shared configuration (not
     * the file on disk): how a node checks a shared configuration a peer sends before it takes it.
     */
    public static NodeConfig loadWithShared(Path nodeFile, String sharedText) throws ConfigException {
        String text;
        try {
            text = Files.readString(nodeFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(List.of(nodeFile + ": cannot read: " + YamlTree.printable(String.valueOf(e.getMessage()))
                + " (expected: this node's configuration)"));
        }
        ConfigLoader l = new ConfigLoader(nodeFile);
        l.sharedOverride = sharedText;
        l.read(text);
        if (l.sharedFile == null && l.problems.isEmpty()) {
            throw new ConfigException(List.of(nodeFile + ": names no shared configuration (expected: shared: FILE)"));
        }
        Checked c = l.outcome();
        if (!c.errors().isEmpty()) {
            throw new ConfigException(c.errors());
        }
        return c.config();
    }

    /** The shared configuration's text to read instead of the file's ({@link #loadWithShared}). */
    private String sharedOverride;

    /** Parses configuration text; {@code file} is only used in messages. Every error in the exception. */
    public static NodeConfig parse(Path file, String text) throws ConfigException {
        ConfigLoader l = new ConfigLoader(file);
        l.read(text);
        Checked c = l.outcome();
        if (!c.errors().isEmpty()) {
            throw new ConfigException(c.errors());
        }
        return c.config();
    }

    private Checked outcome() {
        List<Problem> sorted = new ArrayList<>(problems);
        // stable: errors at one position keep the order they were found in; those of the whole file last
        sorted.sort(Comparator.comparing(Problem::mark, Comparator.nullsLast(
            Comparator.comparingInt((Mark m) -> m.file().equals(file.toString()) ? 0 : 1)
                .thenComparingInt(Mark::line).thenComparingInt(Mark::column))));
        return new Checked(sorted.isEmpty() ? config : null, validParts, sorted.stream().map(Problem::text).toList());
    }

    /** A file that holds a secret must not be readable by others. */
    private void checkMode() {
        if (sharedFile == null) {
            checkMode(file, passphrase, passwords);
        } else {
            checkMode(file, passphrase, List.of());
            checkMode(sharedFile, false, passwords);
        }
    }

    private void checkMode(Path f, boolean holdsPassphrase, List<String> vrrpPasswords) {
        if (!holdsPassphrase && vrrpPasswords.isEmpty()) {
            return;
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f);
            if (perms.contains(PosixFilePermission.OTHERS_READ)) {
                List<String> what = new ArrayList<>();
                if (holdsPassphrase) {
                    what.add("the state-sync passphrase");
                }
                if (!vrrpPasswords.isEmpty()) {
                    what.add(vrrpPasswords.size() == 1 ? "the VRRPv2 password (instance " + vrrpPasswords.getFirst() + ")"
                        : "the VRRPv2 passwords (instances " + String.join(", ", vrrpPasswords) + ")");
                }
                problems.add(new Problem(null, f + ": mode " + mode(perms) + " lets every user read "
                    + String.join(" and ", what) + " (expected: no access for others, e.g. chmod 600)"));
            }
        } catch (IOException | UnsupportedOperationException e) {
            problems.add(new Problem(null, f + ": cannot check the file mode: " + e.getMessage()
                + " (expected: a file on a POSIX file system)"));
        }
    }

    private static String mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal());
        }
        return String.format("%04o", m);
    }

    // ---- errors ----

    /** One error, thrown by the typed readers; {@link #attempt} records it. */
    private static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Mark mark;

        Invalid(Mark mark, String text) {
            super(text, null, false, false);
            this.mark = mark;
        }
    }

    @FunctionalInterface
    private interface Step<T> {
        T get() throws Invalid;
    }

    /** The step's value, or {@code fallback} with its error recorded. */
    private <T> T attempt(Step<T> step, T fallback) {
        try {
            return step.get();
        } catch (Invalid e) {
            add(e);
            return fallback;
        }
    }

    private void add(Invalid e) {
        problems.add(new Problem(e.mark, e.getMessage()));
    }

    // ---- the document ----

    private void read(String text) {
        Node root;
        try {
            root = YamlTree.parse(file.toString(), text, problems);
        } catch (ConfigException e) {
            problems.add(new Problem(null, e.getMessage()));
            return;
        }
        if (!(root instanceof MapNode top)) {
            add(error(root, "(top level)", describe(root), "a mapping of keys"));
            return;
        }
        Entry sharedEntry = top.entries().get("shared");
        if (sharedEntry != null) {
            readSplit(top, sharedEntry);
            return;
        }
        keys(top, "", TOP);

        String nodeName = null;
        int nodePriority = 100;
        MapNode node = attempt(() -> map(required(top, "node", ""), "node"), null);
        if (node != null) {
            keys(node, "node.", NODE);
            nodeName = attempt(() -> name(required(node, "name", "node."), "node.name"), null);
            Node pn = optional(node, "priority");
            if (pn != null) {
                nodePriority = attempt(() -> integer(pn, "node.priority", 1, 255), 100);
            }
        }

        Path socket = Path.of("/run/tandem/tandem.sock");
        Entry control = top.entries().get("control");
        if (control != null) {
            MapNode c = attempt(() -> map(control.value(), "control"), null);
            if (c != null) {
                keys(c, "control.", CONTROL);
                Node s = optional(c, "socket");
                if (s != null) {
                    socket = attempt(() -> {
                        String v = string(s, "control.socket");
                        if (!v.startsWith("/")) {
                            throw error(s, "control.socket", quote(v), "an absolute path");
                        }
                        return Path.of(v);
                    }, socket);
                }
            }
        }

        Instances instances = instances(top, nodePriority);
        Groups groups = groups(top, instances);

        NodeConfig.StateSync sync = null;
        Entry ss = top.entries().get("statesync");
        if (ss != null) {
            MapNode m = attempt(() -> map(ss.value(), "statesync"), null);
            if (m != null) {
                sync = stateSync(m, groups);
            }
        }
        NodeConfig.Operations ops = operations(top, instances, groups);
        validParts = new NodeConfig(file, nodeName, nodePriority, socket, instances.valid, groups.valid, sync, null, ops);
        if (problems.isEmpty()) {
            config = validParts;
        }
    }

    // ---- a node-local file and the shared file it names ----

    /**
     * The node-local file names the shared file: node-local keys here, shared keys there, each only in
     * its own file; the shared file's text is read as it is (it is replicated verbatim).
     */
    private void readSplit(MapNode top, Entry sharedEntry) {
        sharedFile = attempt(() -> {
            String v = string(sharedEntry.value(), "shared");
            Path dir = file.toAbsolutePath().getParent();
            Path sf = dir == null ? Path.of(v) : dir.resolve(v).normalize();
            if (sf.equals(file.toAbsolutePath().normalize())) {
                throw error(sharedEntry.value(), "shared", quote(v), "another file than this node-local one");
            }
            return sf;
        }, null);
        placed(top, "", NODE_LOCAL_TOP, SHARED_TOP, "a shared setting in the node-local file", () -> "it in "
            + (sharedFile != null ? sharedFile : "the shared file") + ", which is replicated to the peers");
        String nodeName = null;
        int nodePriority = 100;
        int high = 150;
        int low = 100;
        MapNode node = attempt(() -> map(required(top, "node", ""), "node"), null);
        Node pn = null;
        if (node != null) {
            keys(node, "node.", NODE_LOCAL);
            nodeName = attempt(() -> name(required(node, "name", "node."), "node.name"), null);
            pn = optional(node, "priority");
            Node priorityNode = pn;
            if (priorityNode != null) {
                nodePriority = attempt(() -> integer(priorityNode, "node.priority", 1, 254), 100);
            }
            Node hn = optional(node, "priority-high");
            if (hn != null) {
                high = attempt(() -> integer(hn, "node.priority-high", 2, 254), 150);
            }
            Node ln = optional(node, "priority-low");
            if (ln != null) {
                low = attempt(() -> integer(ln, "node.priority-low", 1, 253), 100);
            }
            if (high <= low) {
                add(error(hn != null ? hn : ln, "node.priority-high", high + " with priority-low " + low,
                    "priority-high above priority-low"));
            }
        }
        Path socket = controlSocket(top);
        MapNode shared = sharedFile == null ? null : readShared();
        if (shared == null) {
            return;
        }
        placed(shared, "", SHARED_TOP, NODE_LOCAL_TOP, "a node-local setting in the shared configuration",
            () -> "it in " + file + ", which stays on this node");
        String preferred = null;
        Node pm = optional(shared, "preferred-master");
        if (pm != null) {
            preferred = attempt(() -> name(pm, "preferred-master"), null);
        }
        if (preferred != null && nodeName != null) {
            if (pn != null) {
                add(error(pn, "node.priority", scalarText(pn), "no node.priority when the shared configuration names"
                    + " preferred-master (" + preferred + "): node.priority-high/-low apply"));
            }
            nodePriority = preferred.equals(nodeName) ? high : low;
        }
        Instances instances = instances(shared, nodePriority);
        Groups groups = groups(shared, instances);

        NodeConfig.StateSync sync = null;
        Entry local = top.entries().get("statesync");
        Entry cluster = shared.entries().get("statesync");
        if (local != null) {
            MapNode lm = attempt(() -> map(local.value(), "statesync"), null);
            MapNode cm = cluster == null ? null : attempt(() -> map(cluster.value(), "statesync"), null);
            if (lm != null && (cluster == null || cm != null)) {
                placed(lm, "statesync.", keysOf(STATESYNC_LOCAL), keysOf(STATESYNC_SHARED),
                    "a setting of the whole cluster in the node-local file", () -> "it under statesync in " + sharedFile);
                Map<String, Entry> merged = new LinkedHashMap<>();
                lm.entries().forEach((k, v) -> {
                    if (STATESYNC_LOCAL.contains(k)) {
                        merged.put(k, v);
                    }
                });
                if (cm != null) {
                    placed(cm, "statesync.", keysOf(STATESYNC_SHARED), keysOf(STATESYNC_LOCAL),
                        "a node-local setting in the shared configuration", () -> "it under statesync in " + file);
                    cm.entries().forEach((k, v) -> {
                        if (STATESYNC_SHARED.contains(k)) {
                            merged.put(k, v);
                        }
                    });
                }
                Entry name = shared.entries().get("cluster");
                if (name != null) {
                    merged.put("cluster", name);
                } else {
                    add(new Invalid(shared.mark(), shared.mark() + ": cluster: missing (expected: the cluster's name in"
                        + " the shared configuration: state sync salts its keys with it)"));
                }
                sync = stateSync(new MapNode(merged, lm.mark()), groups);
            }
        } else if (cluster != null) {
            add(new Invalid(cluster.keyMark(), cluster.keyMark() + ": statesync: set for the cluster, but " + file
                + " has no statesync section (expected: statesync.local, peer or multicast, and passphrase there)"));
        }
        NodeConfig.Hotwire hotwire = null;
        Entry hw = top.entries().get("hotwire");
        if (hw != null) {
            hotwire = hotwire(hw.value());
        }
        List<Path> exceptions = paths(top, "exceptions");
        List<NodeConfig.Replicated> items = replicated(shared);
        boolean auto = false;
        Duration debounce = Duration.ofSeconds(2);
        Node as = optional(shared, "auto-sync");
        if (as instanceof MapNode am) {
            keys(am, "auto-sync.", AUTO_SYNC);
            auto = bool(am, "enabled", "auto-sync.", false);
            Node dn = optional(am, "debounce");
            if (dn != null) {
                debounce = attempt(() -> duration(dn, "auto-sync.debounce"), debounce);
            }
        } else if (as != null) {
            auto = bool(shared, "auto-sync", "", false);
        }
        NodeConfig.Replication replication = new NodeConfig.Replication(sharedFile, preferred, hotwire, items, exceptions,
            auto, debounce);
        NodeConfig.Operations ops = operations(shared, instances, groups);
        arbitration(groups, high, low);
        validParts = new NodeConfig(file, nodeName, nodePriority, socket, instances.valid, groups.valid, sync, replication,
            ops);
        if (problems.isEmpty()) {
            config = validParts;
        }
    }

    /** The shared file's top-level mapping, or null (the error recorded). */
    private MapNode readShared() {
        String text;
        try {
            text = sharedOverride != null ? sharedOverride : Files.readString(sharedFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            problems.add(new Problem(null, sharedFile + ": no such file (expected: the shared configuration " + file
                + " names)"));
            return null;
        } catch (IOException e) {
            problems.add(new Problem(null, sharedFile + ": cannot read: " + YamlTree.printable(String.valueOf(e.getMessage()))
                + " (expected: a readable YAML file)"));
            return null;
        }
        Node root;
        try {
            root = YamlTree.parse(sharedFile.toString(), text, problems);
        } catch (ConfigException e) {
            problems.add(new Problem(null, e.getMessage()));
            return null;
        }
        if (!(root instanceof MapNode m)) {
            add(error(root, "(top level)", describe(root), "a mapping of keys"));
            return null;
        }
        return m;
    }

    private static Keys keysOf(Set<String> allowed) {
        return Keys.of(Map.of(), allowed.stream().sorted().toArray(String[]::new));
    }

    /**
     * Checks that every key of {@code m} belongs here: one of {@code here}; one of {@code there} is
     * misplaced ({@code what}, expected {@code where}); anything else is unknown (with a suggestion).
     */
    private void placed(MapNode m, String prefix, Keys here, Keys there, String what,
                        java.util.function.Supplier<String> where) {
        Map<String, Entry> unknown = new LinkedHashMap<>();
        for (Entry e : m.entries().values()) {
            if (here.allowed().contains(e.key())) {
                continue;
            }
            if (there.allowed().contains(e.key())) {
                problems.add(new Problem(e.keyMark(), e.keyMark() + ": " + prefix + e.key() + ": " + what + " (expected: "
                    + where.get() + ")"));
            } else {
                unknown.put(e.key(), e);
            }
        }
        if (!unknown.isEmpty()) {
            keys(new MapNode(unknown, m.mark()), prefix, here);
        }
    }

    private Path controlSocket(MapNode top) {
        Path socket = Path.of("/run/tandem/tandem.sock");
        Entry control = top.entries().get("control");
        if (control != null) {
            MapNode c = attempt(() -> map(control.value(), "control"), null);
            if (c != null) {
                keys(c, "control.", CONTROL);
                Node s = optional(c, "socket");
                if (s != null) {
                    socket = attempt(() -> absolutePath(s, "control.socket"), socket);
                }
            }
        }
        return socket;
    }

    private static Path absolutePath(Node n, String key) throws Invalid {
        String v = string(n, key);
        if (!v.startsWith("/") || v.contains("\0")) {
            throw error(n, key, quote(v), "an absolute path");
        }
        Path path = Path.of(v).normalize();
        if (!path.toString().equals(v.endsWith("/") && v.length() > 1 ? v.substring(0, v.length() - 1) : v)) {
            throw error(n, key, quote(v), "an absolute path without . or .. or double slashes");
        }
        return path;
    }

    private NodeConfig.Hotwire hotwire(Node n) {
        int before = problems.size();
        MapNode m = attempt(() -> map(n, "hotwire"), null);
        if (m == null) {
            return null;
        }
        String p = "hotwire.";
        keys(m, p, HOTWIRE);
        NodeConfig.Cidr local = attempt(() -> cidr(required(m, "local", p), p + "local"), null);
        Node portNode = optional(m, "port");
        int port = portNode == null ? HOTWIRE_PORT : attempt(() -> integer(portNode, p + "port", 1, 65535), HOTWIRE_PORT);
        List<NodeConfig.Peer> peers = new ArrayList<>();
        SeqNode pl = attempt(() -> seq(required(m, "peers", p), p + "peers"), null);
        if (pl != null && pl.items().isEmpty()) {
            add(error(pl, p + "peers", "an empty list", "at least one peer: {node: NAME, address: ADDRESS}"));
        }
        for (int i = 0; pl != null && i < pl.items().size(); i++) {
            String key = p + "peers[" + i + "]";
            Node item = pl.items().get(i);
            MapNode pm = attempt(() -> map(item, key), null);
            if (pm == null) {
                continue;
            }
            keys(pm, key + ".", PEER);
            String node = attempt(() -> name(required(pm, "node", key + "."), key + ".node"), null);
            NodeConfig.Cidr a = attempt(() -> cidr(required(pm, "address", key + "."), key + ".address"), null);
            if (node != null && a != null) {
                if (local != null && (a.ipv6() != local.ipv6() || a.address().equals(local.address()))) {
                    add(error(optional(pm, "address"), key + ".address", AddressText.format(a.address()),
                        "an address of the same family as hotwire.local, other than it"));
                }
                peers.add(new NodeConfig.Peer(node, a.address()));
            }
        }
        Path keyDir = optionalPath(m, "key-dir", p, Path.of("/var/lib/tandem/hotwire"));
        Path trusted = optionalPath(m, "trusted-file", p, Path.of("/etc/tandem/trusted-nodes"));
        Path state = optionalPath(m, "state-dir", p, Path.of("/var/lib/tandem/replication"));
        Path root = optionalPath(m, "root", p, Path.of("/"));
        boolean fast = bool(m, "fast-takeover", p, true);
        if (problems.size() != before || local == null) {
            return null;
        }
        if (sharedFile != null && !sharedFile.startsWith(root)) {
            add(error(optional(m, "root") == null ? m : optional(m, "root"), p + "root", root.toString(),
                "a directory the shared configuration " + sharedFile + " is below"));
            return null;
        }
        return new NodeConfig.Hotwire(local.address(), port, peers, keyDir, trusted, state, root, fast);
    }

    private Path optionalPath(MapNode m, String key, String prefix, Path fallback) {
        Node n = optional(m, key);
        return n == null ? fallback : attempt(() -> absolutePath(n, prefix + key), fallback);
    }

    private List<Path> paths(MapNode m, String key) {
        List<Path> out = new ArrayList<>();
        Node n = optional(m, key);
        if (n == null) {
            return out;
        }
        SeqNode l = attempt(() -> seq(n, key), null);
        for (int i = 0; l != null && i < l.items().size(); i++) {
            String k = key + "[" + i + "]";
            Node x = l.items().get(i);
            Path path = attempt(() -> absolutePath(x, k), null);
            if (path != null) {
                out.add(path);
            }
        }
        return out;
    }

    private List<NodeConfig.Replicated> replicated(MapNode shared) {
        List<NodeConfig.Replicated> out = new ArrayList<>();
        Node n = optional(shared, "replicate");
        if (n == null) {
            return out;
        }
        SeqNode l = attempt(() -> seq(n, "replicate"), null);
        Set<Path> seen = new java.util.HashSet<>();
        for (int i = 0; l != null && i < l.items().size(); i++) {
            String key = "replicate[" + i + "]";
            Node item = l.items().get(i);
            MapNode m = attempt(() -> map(item, key), null);
            if (m == null) {
                continue;
            }
            keys(m, key + ".", REPLICATED);
            Node pathNode = optional(m, "path");
            Path path = attempt(() -> absolutePath(required(m, "path", key + "."), key + ".path"), null);
            boolean dir = pathNode instanceof Scalar sc && sc.value() != null && sc.value().endsWith("/");
            String check = optionalString(m, "check", key + ".");
            String apply = optionalString(m, "apply", key + ".");
            if (path != null && !seen.add(path)) {
                add(error(pathNode, key + ".path", quote(path.toString()), "each path once"));
            } else if (path != null) {
                out.add(new NodeConfig.Replicated(path, dir, check, apply));
            }
        }
        return out;
    }

    private String optionalString(MapNode m, String key, String prefix) {
        Node n = optional(m, key);
        return n == null ? null : attempt(() -> {
            String v = string(n, prefix + key);
            if (v.isBlank() || v.indexOf('\n') >= 0) {
                throw error(n, prefix + key, quote(v), "a command on one line");
            }
            return v;
        }, null);
    }

    // ---- instances ----

    /** What the instances section holds: the instances without errors, and what is known of all of them. */
    private static final class Instances {
        final List<NodeConfig.Instance> valid = new ArrayList<>();
        /** The valid names of every instance, with or without other errors. */
        final Set<String> names = new LinkedHashSet<>();
        /** Every instance has a valid name (and the list could be read): a name not in names is none. */
        boolean allNamed = true;
    }

    /** What is known of one instance, whatever else is wrong with it. */
    private record InstanceRead(String label, String name, Node nameNode, String interfaceName, Integer vrid,
                                Node vridNode, Boolean ipv6, NodeConfig.Instance instance) {
    }

    private Instances instances(MapNode top, int nodePriority) {
        Instances out = new Instances();
        SeqNode list = attempt(() -> seq(required(top, "instances", ""), "instances"), null);
        if (list == null) {
            out.allNamed = false;
            return out;
        }
        if (list.items().isEmpty()) {
            add(error(list, "instances", "an empty list", "at least one instance"));
        }
        Map<String, String> vridUse = new HashMap<>();
        for (int i = 0; i < list.items().size(); i++) {
            int before = problems.size();
            InstanceRead r = instance(list.items().get(i), "instances[" + i + "]", nodePriority);
            if (r.name() == null) {
                out.allNamed = false;
            } else if (!out.names.add(r.name())) {
                add(error(r.nameNode(), "instances[" + i + "].name", quote(r.name()), "a name no other instance has"));
            }
            if (r.interfaceName() != null && r.vrid() != null && r.ipv6() != null) {
                String key = r.interfaceName() + "/" + (r.ipv6() ? "IPv6" : "IPv4") + "/" + r.vrid();
                String other = vridUse.putIfAbsent(key, r.name() != null ? r.name() : r.label());
                if (other != null) {
                    add(error(r.vridNode(), r.label() + ".vrid", String.valueOf(r.vrid()), "a VRID not used by instance "
                        + other + " on the same interface and address family"));
                }
            }
            if (r.instance() != null && problems.size() == before) {
                out.valid.add(r.instance());
            }
        }
        return out;
    }

    private InstanceRead instance(Node n, String index, int nodePriority) {
        int before = problems.size();
        MapNode m = attempt(() -> map(n, index), null);
        if (m == null) {
            return new InstanceRead(index, null, null, null, null, null, null, null);
        }
        Node nameNode = optional(m, "name");
        String name = attempt(() -> name(required(m, "name", index + "."), index + ".name"), null);
        String label = name == null ? index : index + " (name: " + name + ")";
        String p = label + ".";
        keys(m, p, INSTANCE);

        String ifname = attempt(() -> interfaceName(required(m, "interface", p), p + "interface"), null);
        Node vridNode = optional(m, "vrid");
        Integer vrid = attempt(() -> integer(required(m, "vrid", p), p + "vrid", 1, 255), null);
        Node vn = optional(m, "version");
        VrrpVersion version = vn == null ? VrrpVersion.V3
            : attempt(() -> integer(vn, p + "version", 2, 3) == 2 ? VrrpVersion.V2 : VrrpVersion.V3, null);

        Duration interval = Duration.ofSeconds(1);
        Node in = optional(m, "advert-interval");
        if (in != null) {
            interval = attempt(() -> {
                Duration d = duration(in, p + "advert-interval");
                if (version == VrrpVersion.V3) {
                    long ms = d.toMillis();
                    if (ms < 10 || ms > 40_950 || ms % 10 != 0 || d.toNanos() % 1_000_000 != 0) {
                        throw error(in, p + "advert-interval", scalarText(in),
                            "10ms..40950ms in steps of 10ms (VRRPv3 centiseconds)");
                    }
                } else if (version == VrrpVersion.V2
                    && (d.toMillis() % 1000 != 0 || d.toSeconds() < 1 || d.toSeconds() > 255)) {
                    throw error(in, p + "advert-interval", scalarText(in), "whole seconds 1s..255s for version 2");
                }
                return d;
            }, null);
        }
        Node pn = optional(m, "priority");
        if (pn != null && sharedFile != null) {
            add(error(pn, p + "priority", scalarText(pn), "no priority in the shared configuration: a node-local"
                + " setting (node.priority, or preferred-master with node.priority-high/-low in " + file + ")"));
        }
        int priority = pn == null || sharedFile != null ? nodePriority
            : attempt(() -> integer(pn, p + "priority", 1, 255), nodePriority);
        boolean preempt = bool(m, "preempt", p, true);
        Node pd = optional(m, "preempt-delay");
        Duration preemptDelay = pd == null ? Duration.ZERO : attempt(() -> {
            Duration d = duration(pd, p + "preempt-delay");
            if (d.compareTo(Duration.ofHours(1)) > 0) {
                throw error(pd, p + "preempt-delay", scalarText(pd), "at most 3600s");
            }
            return d;
        }, null);
        boolean accept = bool(m, "accept", p, true);

        List<NodeConfig.Cidr> vips = new ArrayList<>();
        SeqNode vl = attempt(() -> seq(required(m, "virtual-addresses", p), p + "virtual-addresses"), null);
        if (vl != null) {
            if (vl.items().isEmpty()) {
                add(error(vl, p + "virtual-addresses", "an empty list", "at least one address"));
            }
            if (vl.items().size() > 255) {
                add(error(vl, p + "virtual-addresses", vl.items().size() + " addresses", "at most 255"));
            }
            Boolean family = null;
            for (int k = 0; k < vl.items().size(); k++) {
                Node an = vl.items().get(k);
                String apath = p + "virtual-addresses[" + k + "]";
                NodeConfig.Cidr c = attempt(() -> cidr(an, apath), null);
                if (c == null) {
                    continue;
                }
                if (family == null) {
                    family = c.ipv6();
                }
                if (c.ipv6() != family) {
                    add(error(an, apath, c.toString(), (family ? "IPv6" : "IPv4")
                        + " like the first address (one family per instance; use a second instance for the other)"));
                } else if (vips.stream().anyMatch(v -> v.address().equals(c.address()))) {
                    add(error(an, apath, c.toString(), "each address once"));
                } else if (version == VrrpVersion.V2 && c.ipv6()) {
                    add(error(an, apath, c.toString(), "IPv4 for version 2 (VRRPv2 has no IPv6; use version: 3)"));
                } else {
                    vips.add(c);
                }
            }
        }

        AuthType authType = AuthType.NONE;
        String password = "";
        Node an = optional(m, "auth");
        if (an instanceof MapNode held && optional(held, "password") instanceof Scalar s && s.value() != null) {
            passwords.add(name != null ? name : index);
        }
        if (an != null && version == VrrpVersion.V3) {
            add(error(an, p + "auth", "auth with version 3", "no auth (RFC 5798 removed authentication; use version: 2)"));
        } else if (an != null && version == VrrpVersion.V2) {
            MapNode am = attempt(() -> map(an, p + "auth"), null);
            if (am != null) {
                keys(am, p + "auth.", AUTH);
                String type = attempt(() -> string(required(am, "type", p + "auth."), p + "auth.type"), null);
                if ("pass".equals(type)) {
                    authType = AuthType.SIMPLE_TEXT;
                    password = attempt(() -> {
                        Node pw = required(am, "password", p + "auth.");
                        String v = string(pw, p + "auth.password");
                        int octets = v.getBytes(StandardCharsets.UTF_8).length;
                        if (octets < 1 || octets > 8) {
                            throw error(pw, p + "auth.password", octets + " octets",
                                "1..8 octets (RFC 2338 simple text password)");
                        }
                        return v;
                    }, "");
                } else if ("none".equals(type)) {
                    if (optional(am, "password") != null) {
                        add(error(optional(am, "password"), p + "auth.password", "a password", "none with type none"));
                    }
                } else if (type != null) {
                    add(error(am.entries().get("type").value(), p + "auth.type", quote(type), "pass or none"));
                }
            }
        }

        ChecksumMode checksum = ChecksumMode.RFC9568;
        Node cn = optional(m, "checksum");
        if (cn != null) {
            checksum = attempt(() -> {
                String c = string(cn, p + "checksum");
                return switch (c) {
                    case "rfc9568" -> ChecksumMode.RFC9568;
                    case "no-pseudo-header" -> ChecksumMode.NO_PSEUDO_HEADER;
                    default -> throw error(cn, p + "checksum", quote(c), "rfc9568 or no-pseudo-header");
                };
            }, null);
        }

        NodeConfig.Garp garp = NodeConfig.Garp.DEFAULT;
        Node gn = optional(m, "garp");
        if (gn != null) {
            MapNode gm = attempt(() -> map(gn, p + "garp"), null);
            if (gm != null) {
                keys(gm, p + "garp.", GARP);
                NodeConfig.Garp d = NodeConfig.Garp.DEFAULT;
                Node cnt = optional(gm, "count");
                int count = cnt == null ? d.count() : attempt(() -> integer(cnt, p + "garp.count", 0, 100), 0);
                Node dn = optional(gm, "delay");
                Duration delay = dn == null ? d.delay() : attempt(() -> duration(dn, p + "garp.delay"), d.delay());
                Node rn = optional(gm, "refresh");
                Duration refresh = rn == null ? d.refresh() : attempt(() -> {
                    Duration r = duration(rn, p + "garp.refresh");
                    if (!r.isZero() && r.toMillis() < 100) {
                        throw error(rn, p + "garp.refresh", scalarText(rn), "0 (off) or at least 100ms");
                    }
                    return r;
                }, d.refresh());
                garp = new NodeConfig.Garp(count, delay, refresh);
            }
        }

        List<NodeConfig.Track> tracks = new ArrayList<>();
        Node tn = optional(m, "track-interfaces");
        if (tn != null) {
            SeqNode tl = attempt(() -> seq(tn, p + "track-interfaces"), null);
            for (int k = 0; tl != null && k < tl.items().size(); k++) {
                String tpath = p + "track-interfaces[" + k + "]";
                Node item = tl.items().get(k);
                MapNode tm = attempt(() -> map(item, tpath), null);
                if (tm == null) {
                    continue;
                }
                keys(tm, tpath + ".", TRACK);
                String tif = attempt(() -> interfaceName(required(tm, "interface", tpath + "."), tpath + ".interface"), null);
                Node wn = optional(tm, "weight");
                int weight = wn == null ? 0 : attempt(() -> integer(wn, tpath + ".weight", 0, 254), 0);
                if (tif != null) {
                    tracks.add(new NodeConfig.Track(tif, weight));
                }
            }
        }
        Boolean ipv6 = vips.isEmpty() ? null : vips.getFirst().ipv6();
        NodeConfig.Instance inst = problems.size() != before ? null
            : new NodeConfig.Instance(name, ifname, vrid, version, interval, priority, preempt, preemptDelay, accept,
                vips, authType, password, checksum, garp, tracks);
        return new InstanceRead(label, name, nameNode, ifname, vrid, vridNode, ipv6, inst);
    }

    // ---- groups ----

    /** What the groups section holds. */
    private static final class Groups {
        final List<NodeConfig.Group> valid = new ArrayList<>();
        /** The valid names of every group, with or without other errors. */
        final Set<String> names = new LinkedHashSet<>();
        /** Every group's name is known: a name not in names is none. */
        boolean allNamed = true;
    }

    private Groups groups(MapNode top, Instances instances) {
        Groups out = new Groups();
        Entry g = top.entries().get("groups");
        if (g == null || g.value() instanceof Scalar sc && sc.value() == null) {
            return out;
        }
        SeqNode gl = attempt(() -> seq(g.value(), "groups"), null);
        if (gl == null) {
            out.allNamed = false;
            return out;
        }
        Map<String, String> memberOf = new HashMap<>();
        for (int i = 0; i < gl.items().size(); i++) {
            int before = problems.size();
            String index = "groups[" + i + "]";
            Node item = gl.items().get(i);
            MapNode gm = attempt(() -> map(item, index), null);
            if (gm == null) {
                out.allNamed = false;
                continue;
            }
            Node gn = optional(gm, "name");
            String gname = attempt(() -> name(required(gm, "name", index + "."), index + ".name"), null);
            if (gname == null) {
                out.allNamed = false;
            } else if (!out.names.add(gname)) {
                add(error(gn, index + ".name", quote(gname), "a name no other group has"));
            }
            String p = (gname == null ? index : index + " (name: " + gname + ")") + ".";
            keys(gm, p, GROUP);
            SeqNode members = attempt(() -> seq(required(gm, "instances", p), p + "instances"), null);
            Set<String> names = new LinkedHashSet<>();
            if (members != null) {
                if (members.items().isEmpty()) {
                    add(error(members, p + "instances", "an empty list", "at least one instance name"));
                }
                for (int k = 0; k < members.items().size(); k++) {
                    Node mn = members.items().get(k);
                    String mpath = p + "instances[" + k + "]";
                    String member = attempt(() -> string(mn, mpath), null);
                    if (member == null) {
                        continue;
                    }
                    if (!instances.names.contains(member)) {
                        if (instances.allNamed) {
                            add(error(mn, mpath, quote(member), "the name of an instance defined under instances ("
                                + String.join(", ", instances.names) + ")"));
                        }
                        continue;
                    }
                    String other = memberOf.get(member);
                    if (other != null && !other.equals(gname) || !names.add(member)) {
                        add(error(mn, mpath, quote(member), "an instance that is in no other group (already in "
                            + (other != null ? other : gname == null ? index : gname) + ")"));
                        continue;
                    }
                    memberOf.put(member, gname == null ? index : gname);
                }
            }
            NodeConfig.SplitLink split = choice(gm, "split-link", p, NodeConfig.SplitLink.class, NodeConfig.SplitLink.FAULT);
            Node wn = optional(gm, "link-weight");
            int weight = wn == null ? NodeConfig.DEFAULT_LINK_WEIGHT : attempt(() -> integer(wn, p + "link-weight", 1, 253),
                NodeConfig.DEFAULT_LINK_WEIGHT);
            if (wn != null && split != NodeConfig.SplitLink.ARBITRATE) {
                add(error(wn, p + "link-weight", scalarText(wn), "no link-weight without split-link: arbitrate"));
            }
            NodeConfig.Takeover takeover = choice(gm, "takeover", p, NodeConfig.Takeover.class, NodeConfig.Takeover.ADDRESSES);
            Node dn = optional(gm, "layer2-drop");
            boolean dropAll = false;
            if (dn != null) {
                String d = attempt(() -> string(dn, p + "layer2-drop"), "");
                if (takeover != NodeConfig.Takeover.LAYER2) {
                    add(error(dn, p + "layer2-drop", quote(d), "no layer2-drop without takeover: layer2"));
                } else if (d.equals("all")) {
                    dropAll = true;
                } else if (!d.equals("arp")) {
                    add(error(dn, p + "layer2-drop", quote(d), "arp (ARP and Neighbor Discovery for the cluster"
                        + " addresses) or all (besides, every other packet arriving on the group's interfaces)"));
                }
            }
            if (problems.size() == before) {
                out.valid.add(new NodeConfig.Group(gname, List.copyOf(names), split, weight, takeover, dropAll));
            }
        }
        return out;
    }

    // ---- statesync ----

    private NodeConfig.StateSync stateSync(MapNode m, Groups groups) {
        int before = problems.size();
        String p = "statesync.";
        keys(m, p, STATESYNC);
        NodeConfig.Cidr local = attempt(() -> cidr(required(m, "local", p), p + "local"), null);
        Node peerNode = optional(m, "peer");
        Node mcNode = optional(m, "multicast");
        InetAddress peer = null;
        InetAddress multicast = null;
        String ifname = null;
        if ((peerNode == null) == (mcNode == null)) {
            add(new Invalid(m.mark(), m.mark() + ": " + p + "peer/multicast: " + (peerNode == null ? "neither" : "both")
                + " (expected: peer for two nodes or multicast for more, exactly one of them)"));
        } else if (peerNode != null) {
            NodeConfig.Cidr pc = attempt(() -> cidr(peerNode, p + "peer"), null);
            if (pc != null && local != null && (local.ipv6() != pc.ipv6() || local.address().equals(pc.address()))) {
                add(error(peerNode, p + "peer", pc.address().getHostAddress(),
                    "an address of the same family as local, other than local"));
            }
            peer = pc == null ? null : pc.address();
            Node in = optional(m, "interface");
            if (in != null) {
                add(error(in, p + "interface", "an interface with unicast", "interface only with multicast"));
            }
        } else {
            multicast = attempt(() -> {
                String v = string(mcNode, p + "multicast");
                InetAddress a = v.matches("[0-9.]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*") ? literal(v) : null;
                if (a == null || !a.isMulticastAddress() || local != null && (a.getAddress().length == 16) != local.ipv6()) {
                    throw error(mcNode, p + "multicast", quote(v), "a multicast group of local's family, e.g. 239.255.37.80");
                }
                return a;
            }, null);
            ifname = attempt(() -> interfaceName(required(m, "interface", p), p + "interface"), null);
        }
        Node portNode = optional(m, "port");
        int port = portNode == null ? 3780 : attempt(() -> integer(portNode, p + "port", 1, 65535), 3780);
        String group = null;
        Node gn = optional(m, "group");
        if (gn != null) {
            group = attempt(() -> string(gn, p + "group"), null);
            if (group != null && groups.allNamed && !groups.names.contains(group)) {
                add(error(gn, p + "group", quote(group), "the name of a group under groups ("
                    + String.join(", ", groups.names) + ")"));
            }
        } else if (groups.allNamed && groups.names.size() == 1) {
            group = groups.names.iterator().next();
        } else if (groups.allNamed) {
            add(new Invalid(m.mark(), m.mark() + ": " + p + "group: missing (expected: the sync group that drives"
                + " the replication; needed when there is not exactly one group)"));
        }
        String cluster = attempt(() -> name(required(m, "cluster", p), p + "cluster"), null);
        Node pwNode = optional(m, "passphrase");
        if (pwNode instanceof Scalar s && s.value() != null) {
            passphrase = true;
        }
        String secret = attempt(() -> {
            Node pw = required(m, "passphrase", p);
            String v = string(pw, p + "passphrase");
            int octets = v.getBytes(StandardCharsets.UTF_8).length;
            if (octets < 16) {
                throw error(pw, p + "passphrase", octets + " octets", "at least 16 octets");
            }
            return v;
        }, null);
        Node pd = optional(m, "purge-delay");
        Duration purge = pd == null ? Duration.ofSeconds(5) : attempt(() -> duration(pd, p + "purge-delay"), null);
        Set<Integer> protocols = new TreeSet<>();
        Node pn = optional(m, "protocols");
        if (pn != null) {
            SeqNode pl = attempt(() -> seq(pn, p + "protocols"), null);
            for (int i = 0; pl != null && i < pl.items().size(); i++) {
                Node x = pl.items().get(i);
                String key = p + "protocols[" + i + "]";
                Integer proto = attempt(() -> {
                    String v = string(x, key);
                    return switch (v) {
                        case "tcp" -> 6;
                        case "udp" -> 17;
                        case "icmp" -> 1;
                        case "icmpv6" -> 58;
                        case "sctp" -> 132;
                        case "udplite" -> 136;
                        case "dccp" -> 33;
                        case "gre" -> 47;
                        default -> throw error(x, key, quote(v), "one of tcp, udp, icmp, icmpv6, sctp, udplite, dccp, gre");
                    };
                }, null);
                if (proto != null) {
                    protocols.add(proto);
                }
            }
        }
        List<NodeConfig.Cidr> ignore = new ArrayList<>();
        Node ig = optional(m, "ignore");
        if (ig != null) {
            SeqNode il = attempt(() -> seq(ig, p + "ignore"), null);
            for (int i = 0; il != null && i < il.items().size(); i++) {
                Node x = il.items().get(i);
                String key = p + "ignore[" + i + "]";
                NodeConfig.Cidr c = attempt(() -> cidr(x, key), null);
                if (c != null) {
                    ignore.add(c);
                }
            }
        }
        Node mb = optional(m, "mark-bit");
        int markBit = mb == null ? -1 : attempt(() -> integer(mb, p + "mark-bit", 0, 31), -1);
        boolean skip = bool(m, "skip-dns-icmp", p, false);
        boolean expectations = bool(m, "expectations", p, true);
        if (problems.size() != before) {
            return null;
        }
        return new NodeConfig.StateSync(local.address(), peer, multicast, ifname, port, group, cluster, secret,
            purge, protocols, ignore, markBit, skip, expectations);
    }


    /** An optional choice among an enum's values (written in lower case with hyphens). */
    private <E extends Enum<E>> E choice(MapNode m, String key, String prefix, Class<E> type, E absent) {
        Node n = optional(m, key);
        if (n == null) {
            return absent;
        }
        return attempt(() -> {
            String v = string(n, prefix + key);
            for (E e : type.getEnumConstants()) {
                if (e.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-').equals(v.strip().toLowerCase(java.util.Locale.ROOT))) {
                    return e;
                }
            }
            throw error(n, prefix + key, quote(v), "one of " + java.util.Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')).toList());
        }, absent);
    }

    // ---- operations: role-bound interfaces and routes, ping checks, the trigger hold-down ----

    /** Every group name: the configured groups and each instance in none (a group of its own). */
    private static List<String> groupNames(Instances instances, Groups groups) {
        List<String> out = new ArrayList<>(groups.names);
        Set<String> grouped = new HashSet<>();
        groups.valid.forEach(g -> grouped.addAll(g.instances()));
        for (String i : instances.names) {
            if (!grouped.contains(i) && !out.contains(i)) {
                out.add(i);
            }
        }
        return out;
    }

    /** A group reference: the named group, or the node's only group when none is named. */
    private String groupRef(MapNode m, String prefix, List<String> names, boolean complete) throws Invalid {
        Node gn = optional(m, "group");
        if (gn == null) {
            if (names.size() == 1) {
                return names.getFirst();
            }
            throw new Invalid(m.mark(), m.mark() + ": " + prefix + "group: missing (expected: the group it follows, one of "
                + names + ", since there is more than one)");
        }
        String g = name(gn, prefix + "group");
        if (!names.contains(g) && complete) {
            throw error(gn, prefix + "group", quote(g), "a group or an instance in no group: one of " + names);
        }
        return g;
    }

    private NodeConfig.Operations operations(MapNode top, Instances instances, Groups groups) {
        List<String> names = groupNames(instances, groups);
        boolean complete = instances.allNamed && groups.allNamed;
        List<NodeConfig.StandbyDown> down = new ArrayList<>();
        Set<String> downNames = new HashSet<>();
        for (Item<NodeConfig.StandbyDown> it : optionalList(top, "standby-down-interfaces", (item, key) -> {
            if (item instanceof Scalar) {
                String ifname = interfaceName(item, key);
                if (names.size() != 1) {
                    throw error(item, key, quote(ifname), "{interface: " + ifname + ", group: NAME} since there is"
                        + " more than one group " + names);
                }
                return new NodeConfig.StandbyDown(ifname, names.getFirst());
            }
            MapNode m = map(item, key);
            keys(m, key + ".", STANDBY_DOWN);
            return new NodeConfig.StandbyDown(interfaceName(required(m, "interface", key + "."), key + ".interface"),
                groupRef(m, key + ".", names, complete));
        })) {
            NodeConfig.StandbyDown d = it.value();
            if (!downNames.add(d.interfaceName())) {
                add(error(it.node(), it.key(), quote(d.interfaceName()), "an interface listed once"));
                continue;
            }
            for (NodeConfig.Instance inst : instances.valid) {
                if (inst.interfaceName().equals(d.interfaceName())) {
                    add(error(it.node(), it.key(), quote(d.interfaceName()), "not the interface of an instance (" + inst.name()
                        + " advertises on it, on the standby too)"));
                }
            }
            down.add(d);
        }
        List<NodeConfig.StandbyRoute> routes = new ArrayList<>();
        for (Item<NodeConfig.StandbyRoute> it : optionalList(top, "standby-routes", (item, key) -> {
            MapNode m = map(item, key);
            keys(m, key + ".", STANDBY_ROUTE);
            NodeConfig.Cidr via = cidr(required(m, "via", key + "."), key + ".via");
            if (via.prefixLength() != via.address().getAddress().length * 8) {
                throw error(optional(m, "via"), key + ".via", via.toString(), "an address without prefix length");
            }
            Node tn = required(m, "to", key + ".");
            String ts = string(tn, key + ".to");
            NodeConfig.Cidr to;
            if (ts.equals("default")) {
                to = new NodeConfig.Cidr(InetAddress.ofLiteral(via.ipv6() ? "::" : "0.0.0.0"), 0);
            } else {
                to = cidr(tn, key + ".to");
                if (to.ipv6() != via.ipv6()) {
                    throw error(tn, key + ".to", ts, "a prefix of the family of via (" + via.address().getHostAddress() + ")");
                }
            }
            Node mn = optional(m, "metric");
            int metric = mn == null ? 10 : integer(mn, key + ".metric", 0, 65535);
            return new NodeConfig.StandbyRoute(to, via.address(), metric, groupRef(m, key + ".", names, complete));
        })) {
            routes.add(it.value());
        }
        List<NodeConfig.PingCheck> checks = uniquelyNamed(optionalList(top, "ping-checks",
            (item, key) -> pingCheck(item, key, names, complete)), NodeConfig.PingCheck::name, "ping check");
        Duration hold = NodeConfig.Operations.DEFAULT_HOLD_DOWN;
        Node hn = optional(top, "trigger-hold-down");
        if (hn != null) {
            hold = attempt(() -> duration(hn, "trigger-hold-down"), hold);
        }
        List<NodeConfig.Service> services = uniquelyNamed(optionalList(top, "services",
            (item, key) -> service(item, key, names, complete)), NodeConfig.Service::name, "service");
        return new NodeConfig.Operations(down, routes, checks, hold, services);
    }

    /** One item of a list read by {@link #optionalList}: its node, its key ({@code services[2]}) and its value. */
    private record Item<T>(Node node, String key, T value) {
    }

    @FunctionalInterface
    private interface ItemStep<T> {
        T parse(Node item, String key) throws Invalid;
    }

    /**
     * The items of the optional top-level list {@code key}, each read by {@code step}; an item that does
     * not read is left out, its error recorded (as is a {@code key} that is not a list).
     */
    private <T> List<Item<T>> optionalList(MapNode top, String key, ItemStep<T> step) {
        List<Item<T>> out = new ArrayList<>();
        Entry e = top.entries().get(key);
        SeqNode l = e == null ? null : attempt(() -> seq(e.value(), key), null);
        for (int i = 0; l != null && i < l.items().size(); i++) {
            String index = key + "[" + i + "]";
            Node item = l.items().get(i);
            T value = attempt(() -> step.parse(item, index), null);
            if (value != null) {
                out.add(new Item<>(item, index, value));
            }
        }
        return out;
    }

    /** The items' values, without those whose name an earlier one has (an error: "a name no other {what} has"). */
    private <T> List<T> uniquelyNamed(List<Item<T>> items, java.util.function.Function<T, String> name, String what) {
        List<T> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Item<T> it : items) {
            String n = name.apply(it.value());
            if (seen.add(n)) {
                out.add(it.value());
            } else {
                add(error(it.node(), it.key() + ".name", quote(n), "a name no other " + what + " has"));
            }
        }
        return out;
    }

    /** One service: its kind (process, commands or systemd, exactly one), run-on, restart and monitor. */
    private NodeConfig.Service service(Node item, String index, List<String> names, boolean complete) throws Invalid {
        MapNode m = map(item, index);
        String name = name(required(m, "name", index + "."), index + ".name");
        String p = index + " (name: " + name + ").";
        keys(m, p, SERVICE);
        String group = groupRef(m, p, names, complete);
        Node ro = required(m, "run-on", p);
        tandem.services.RunOn runOn = spec(ro, p + "run-on", () -> tandem.services.RunOn.parse(string(ro, p + "run-on")));
        List<String> kinds = new ArrayList<>();
        for (String k : List.of("process", "commands", "systemd")) {
            if (optional(m, k) != null) {
                kinds.add(k);
            }
        }
        if (kinds.size() != 1) {
            throw new Invalid(m.mark(), m.mark() + ": " + p + "kind: " + (kinds.isEmpty() ? "none" : String.join(" and ", kinds))
                + " (expected: exactly one of process (program and arguments), commands ({start, stop, status}) or systemd"
                + " (a unit name))");
        }
        for (String only : List.of("env", "workdir", "user", "stop-signal", "stop-timeout", "settle", "ready")) {
            Node n = optional(m, only);
            if (n != null && !kinds.getFirst().equals("process")) {
                throw error(n, p + only, scalarText(n), "no " + only + " for a " + kinds.getFirst() + " service (only for process)");
            }
        }
        tandem.services.ServiceKind kind = switch (kinds.getFirst()) {
            case "process" -> processKind(m, p);
            case "commands" -> {
                Node cn = optional(m, "commands");
                MapNode c = map(cn, p + "commands");
                keys(c, p + "commands.", SERVICE_COMMANDS);
                Node tn = optional(c, "timeout");
                Duration timeout = tn == null ? tandem.services.CommandSpec.DEFAULT_TIMEOUT : duration(tn, p + "commands.timeout");
                Node in = optional(c, "interval");
                Duration interval = in == null ? tandem.services.CommandsSpec.DEFAULT_INTERVAL : duration(in, p + "commands.interval");
                String start = string(required(c, "start", p + "commands."), p + "commands.start");
                String stop = string(required(c, "stop", p + "commands."), p + "commands.stop");
                String status = string(required(c, "status", p + "commands."), p + "commands.status");
                yield spec(cn, p + "commands", () -> new tandem.services.CommandsSpec(new tandem.services.CommandSpec(start, timeout),
                    new tandem.services.CommandSpec(stop, timeout), new tandem.services.CommandSpec(status, timeout), interval));
            }
            default -> {
                Node un = optional(m, "systemd");
                String unit = string(un, p + "systemd");
                yield spec(un, p + "systemd", () -> new tandem.services.SystemdSpec(unit));
            }
        };
        tandem.services.RestartSpec restart = tandem.services.RestartSpec.DEFAULT;
        Node rn = optional(m, "restart");
        if (rn instanceof Scalar) {
            String v = string(rn, p + "restart");
            restart = spec(rn, p + "restart", () -> new tandem.services.RestartSpec(tandem.services.RestartPolicy.parse(v),
                tandem.services.RestartSpec.DEFAULT.delay(), tandem.services.RestartSpec.DEFAULT.maxDelay()));
        } else if (rn != null) {
            MapNode r = map(rn, p + "restart");
            keys(r, p + "restart.", SERVICE_RESTART);
            Node pn = optional(r, "policy");
            String policy = pn == null ? "on-failure" : string(pn, p + "restart.policy");
            Node dn = optional(r, "delay");
            Duration delay = dn == null ? tandem.services.RestartSpec.DEFAULT.delay() : duration(dn, p + "restart.delay");
            Node mn = optional(r, "max-delay");
            Duration max = mn == null ? tandem.services.RestartSpec.DEFAULT.maxDelay() : duration(mn, p + "restart.max-delay");
            restart = spec(rn, p + "restart", () -> new tandem.services.RestartSpec(tandem.services.RestartPolicy.parse(policy),
                delay, max));
        }
        java.util.Optional<tandem.services.MonitorSpec> monitor = java.util.Optional.empty();
        Node mon = optional(m, "monitor");
        if (mon != null) {
            MapNode mm = map(mon, p + "monitor");
            keys(mm, p + "monitor.", SERVICE_MONITOR);
            Node fn = optional(mm, "failures");
            int failures = fn == null ? tandem.services.MonitorSpec.DEFAULT_FAILURES : integer(fn, p + "monitor.failures", 1, 1000);
            Node wn = optional(mm, "window");
            Duration window = wn == null ? tandem.services.MonitorSpec.DEFAULT_WINDOW : duration(wn, p + "monitor.window");
            Node en = optional(mm, "expire");
            Duration expire = en == null ? tandem.services.MonitorSpec.DEFAULT_EXPIRE : duration(en, p + "monitor.expire");
            Node an = required(mm, "action", p + "monitor.");
            String action = string(an, p + "monitor.action");
            tandem.services.MonitorAction a = spec(an, p + "monitor.action", () -> tandem.services.MonitorAction.parse(action));
            monitor = java.util.Optional.of(spec(mon, p + "monitor", () -> new tandem.services.MonitorSpec(failures, window, expire, a)));
        }
        Node st = optional(m, "start-timeout");
        Duration startTimeout = st == null ? tandem.services.ServiceSpec.DEFAULT_START_TIMEOUT : duration(st, p + "start-timeout");
        tandem.services.RestartSpec rs = restart;
        java.util.Optional<tandem.services.MonitorSpec> ms = monitor;
        tandem.services.ServiceSpec spec = spec(item, index, () -> new tandem.services.ServiceSpec(name, runOn, kind, rs, ms,
            startTimeout));
        return new NodeConfig.Service(group, spec);
    }

    private tandem.services.ProcessSpec processKind(MapNode m, String p) throws Invalid {
        Node an = optional(m, "process");
        List<String> argv = new ArrayList<>();
        if (an instanceof SeqNode sq) {
            for (int k = 0; k < sq.items().size(); k++) {
                argv.add(string(sq.items().get(k), p + "process[" + k + "]"));
            }
        } else {
            throw error(an, p + "process", describe(an), "a list: the program and its arguments, e.g. [/usr/sbin/dnsmasq, -k]"
                + " (no shell: for a shell command line use commands)");
        }
        Map<String, String> env = new LinkedHashMap<>();
        Node en = optional(m, "env");
        if (en != null) {
            MapNode em = map(en, p + "env");
            for (Entry e : em.entries().values()) {
                env.put(e.key(), string(e.value(), p + "env." + e.key()));
            }
        }
        Node wn = optional(m, "workdir");
        java.util.Optional<Path> workdir = wn == null ? java.util.Optional.empty() : java.util.Optional.of(absolutePath(wn, p + "workdir"));
        Node un = optional(m, "user");
        java.util.Optional<String> user = un == null ? java.util.Optional.empty() : java.util.Optional.of(string(un, p + "user"));
        Node sn = optional(m, "stop-signal");
        tandem.services.Signal signal = sn == null ? tandem.services.Signal.TERM
            : spec(sn, p + "stop-signal", () -> tandem.services.Signal.parse(string(sn, p + "stop-signal")));
        Node tn = optional(m, "stop-timeout");
        Duration stopTimeout = tn == null ? tandem.services.ProcessSpec.DEFAULT_STOP_TIMEOUT : duration(tn, p + "stop-timeout");
        Node setn = optional(m, "settle");
        Duration settle = setn == null ? tandem.services.ProcessSpec.DEFAULT_SETTLE : duration(setn, p + "settle");
        Node rn = optional(m, "ready");
        java.util.Optional<tandem.services.CommandSpec> ready = rn == null ? java.util.Optional.empty()
            : java.util.Optional.of(tandem.services.CommandSpec.of(string(rn, p + "ready")));
        return spec(an, p + "process", () -> new tandem.services.ProcessSpec(argv, env, workdir, user, signal, stopTimeout,
            settle, ready));
    }

    private interface SpecStep<T> {
        T get() throws Invalid;
    }

    /** Runs a constructor of the services module, whose IllegalArgumentException becomes an error at {@code n}. */
    private static <T> T spec(Node n, String key, SpecStep<T> step) throws Invalid {
        try {
            return step.get();
        } catch (IllegalArgumentException e) {
            throw new Invalid(n.mark(), n.mark() + ": " + key + ": " + YamlTree.printable(String.valueOf(e.getMessage())));
        }
    }

    /**
     * Split-link arbitration needs a link weight that makes the number of links up decide, and priority
     * only break ties: more than the spread of the priorities, and small enough that the preferred node
     * with all links but one down still outranks the other node likewise.
     */
    private void arbitration(Groups groups, int high, int low) {
        for (NodeConfig.Group g : groups.valid) {
            if (g.splitLink() != NodeConfig.SplitLink.ARBITRATE) {
                continue;
            }
            int n = g.instances().size();
            int max = n < 2 ? 253 : (high - 2) / (n - 1);
            if (g.linkWeight() <= high - low || g.linkWeight() > max) {
                problems.add(new Problem(null, "groups (name: " + g.name() + ").link-weight: " + g.linkWeight()
                    + " with node.priority-high " + high + ", priority-low " + low + " and " + n + " links (expected: "
                    + (max <= high - low ? "a wider gap between the priorities and fewer links: no weight works"
                    : (high - low + 1) + ".." + max) + ", so that more links up wins and priority only breaks ties)"));
            }
        }
    }

    private NodeConfig.PingCheck pingCheck(Node item, String index, List<String> names, boolean complete) throws Invalid {
        MapNode m = map(item, index);
        String name = name(required(m, "name", index + "."), index + ".name");
        String p = index + " (name: " + name + ").";
        keys(m, p, PING_CHECK);
        SeqNode tl = seq(required(m, "targets", p), p + "targets");
        if (tl.items().isEmpty()) {
            throw error(tl, p + "targets", "an empty list", "at least one address to ping");
        }
        List<InetAddress> targets = new ArrayList<>();
        for (int k = 0; k < tl.items().size(); k++) {
            NodeConfig.Cidr t = cidr(tl.items().get(k), p + "targets[" + k + "]");
            if (t.prefixLength() != t.address().getAddress().length * 8) {
                throw error(tl.items().get(k), p + "targets[" + k + "]", t.toString(), "an address without prefix length");
            }
            targets.add(t.address());
        }
        Node in = optional(m, "interface");
        String ifname = in == null ? null : interfaceName(in, p + "interface");
        Node ivn = optional(m, "interval");
        Duration interval = ivn == null ? Duration.ofSeconds(1) : duration(ivn, p + "interval");
        if (interval.compareTo(Duration.ofMillis(10)) < 0) {
            throw error(ivn, p + "interval", scalarText(ivn), "at least 10ms");
        }
        Node ton = optional(m, "timeout");
        Duration timeout = ton == null ? interval : duration(ton, p + "timeout");
        if (timeout.isZero() || timeout.compareTo(interval) > 0) {
            throw error(ton, p + "timeout", scalarText(ton), "more than 0 and at most the interval (" + interval.toMillis() + " ms)");
        }
        Node mn = optional(m, "misses");
        int misses = mn == null ? 3 : integer(mn, p + "misses", 1, 100);
        Node sn = optional(m, "successes");
        int successes = sn == null ? 3 : integer(sn, p + "successes", 1, 100);
        Node an = required(m, "action", p);
        String action = string(an, p + "action");
        Node wn = optional(m, "weight");
        int weight;
        switch (action) {
            case "fault" -> {
                if (wn != null) {
                    throw error(wn, p + "weight", scalarText(wn), "no weight with action: fault");
                }
                weight = 0;
            }
            case "demote" -> weight = integer(required(m, "weight", p), p + "weight", 1, 253);
            default -> throw error(an, p + "action", quote(action), "demote (with weight) or fault");
        }
        List<String> groups = new ArrayList<>();
        Node gn = optional(m, "groups");
        if (gn == null) {
            groups.addAll(names);
        } else {
            SeqNode gl = seq(gn, p + "groups");
            for (int k = 0; k < gl.items().size(); k++) {
                String g = name(gl.items().get(k), p + "groups[" + k + "]");
                if (complete && !names.contains(g)) {
                    throw error(gl.items().get(k), p + "groups[" + k + "]", quote(g), "a group or an instance in no group: one of " + names);
                }
                groups.add(g);
            }
        }
        return new NodeConfig.PingCheck(name, targets, ifname, interval, timeout, misses, successes, weight, groups);
    }

    // ---- typed readers ----

    private static Invalid error(Node n, String key, String got, String expected) {
        return new Invalid(n.mark(), n.mark() + ": " + key + ": " + YamlTree.printable(got) + " (expected: " + expected
            + ")");
    }

    private static String quote(String s) {
        return "\"" + YamlTree.printable(s) + "\"";
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

    private static MapNode map(Node n, String key) throws Invalid {
        if (n instanceof MapNode m) {
            return m;
        }
        throw error(n, key, describe(n), "a mapping of keys");
    }

    private static SeqNode seq(Node n, String key) throws Invalid {
        if (n instanceof SeqNode s) {
            return s;
        }
        throw error(n, key, describe(n), "a list");
    }

    /** Records every key of {@code m} that {@code keys} does not allow, each with a hint when one fits. */
    private void keys(MapNode m, String prefix, Keys keys) {
        for (Entry e : m.entries().values()) {
            if (!keys.allowed().contains(e.key())) {
                String hint = keys.hints().get(e.key());
                if (hint == null) {
                    String near = nearest(e.key(), keys.allowed());
                    hint = near == null ? null : "did you mean " + near + "?";
                }
                problems.add(new Problem(e.keyMark(), e.keyMark() + ": " + prefix + YamlTree.printable(e.key())
                    + ": unknown key (" + (hint == null ? "" : hint + " ") + "expected one of: " + keys.listing() + ")"));
            }
        }
    }

    /**
     * The allowed key {@code key} most likely stands for: the same with hyphens for underscores or spaces,
     * in lower case, or one within a small edit distance (a typo); null when none is close.
     */
    static String nearest(String key, Set<String> allowed) {
        if (key.length() > 40) {
            return null;
        }
        String k = key.strip().toLowerCase(java.util.Locale.ROOT).replace('_', '-').replace(' ', '-');
        if (allowed.contains(k)) {
            return k;
        }
        int limit = k.length() <= 4 ? 1 : k.length() <= 9 ? 2 : 3;
        String best = null;
        int bestDistance = limit + 1;
        for (String a : new TreeSet<>(allowed)) {
            int d = distance(k, a, bestDistance);
            if (d < bestDistance) {
                best = a;
                bestDistance = d;
            }
        }
        return best;
    }

    /**
     * Edit distance of a and b (insertions, deletions, substitutions, transpositions of neighbours: optimal
     * string alignment); {@code cap} when the lengths alone differ by that much.
     */
    static int distance(String a, String b, int cap) {
        if (Math.abs(a.length() - b.length()) >= cap) {
            return cap;
        }
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
            }
        }
        return d[a.length()][b.length()];
    }

    private static Node required(MapNode m, String key, String prefix) throws Invalid {
        Entry e = m.entries().get(key);
        if (e == null) {
            throw new Invalid(m.mark(), m.mark() + ": " + prefix + key + ": missing (expected: a value for " + key + ")");
        }
        return e.value();
    }

    private static Node optional(MapNode m, String key) {
        Entry e = m.entries().get(key);
        return e == null ? null : e.value();
    }

    private static String string(Node n, String key) throws Invalid {
        if (n instanceof Scalar s && s.value() != null) {
            return s.value();
        }
        throw error(n, key, describe(n), "a string");
    }

    private static String name(Node n, String key) throws Invalid {
        String s = string(n, key);
        if (!NAME.matcher(s).matches()) {
            throw error(n, key, quote(s), "1..64 of A-Z a-z 0-9 . _ - starting with a letter or digit");
        }
        return s;
    }

    private static String interfaceName(Node n, String key) throws Invalid {
        String s = string(n, key);
        if (!IFNAME.matcher(s).matches()) {
            throw error(n, key, quote(s), "a Linux interface name of 1..15 characters");
        }
        return s;
    }

    private static int integer(Node n, String key, int min, int max) throws Invalid {
        String s = string(n, key);
        int v;
        try {
            v = Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw error(n, key, quote(s), "an integer " + min + ".." + max);
        }
        if (v < min || v > max) {
            throw error(n, key, s, "an integer " + min + ".." + max);
        }
        return v;
    }

    /** The optional boolean {@code key} of {@code m}, {@code absent} when it is not there or wrong (recorded). */
    private boolean bool(MapNode m, String key, String prefix, boolean absent) {
        Node n = optional(m, key);
        if (n == null) {
            return absent;
        }
        return attempt(() -> {
            String s = string(n, prefix + key);
            return switch (s) {
                case "true", "yes", "on" -> true;
                case "false", "no", "off" -> false;
                default -> throw error(n, prefix + key, quote(s), "true or false");
            };
        }, absent);
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

    private static Duration duration(Node n, String key) throws Invalid {
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

    private static NodeConfig.Cidr cidr(Node n, String key) throws Invalid {
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
