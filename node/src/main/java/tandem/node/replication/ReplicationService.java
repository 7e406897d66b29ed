package tandem.node.replication;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.node.config.ConfigException;
import tandem.node.config.ConfigLoader;
import tandem.node.config.NodeConfig;
import tandem.replication.Replication;
import tandem.replication.apply.ApplyResult;
import tandem.replication.apply.CommandResult;
import tandem.replication.apply.Generation;
import tandem.replication.apply.Receiver;
import tandem.replication.apply.ShellCommandRunner;
import tandem.replication.hotwire.HotwireClient;
import tandem.replication.hotwire.HotwireServer;
import tandem.replication.hotwire.Keys;
import tandem.replication.hotwire.Limits;
import tandem.replication.hotwire.Peer;
import tandem.replication.hotwire.TrustedKeys;
import tandem.replication.model.Exceptions;
import tandem.replication.model.Manifest;
import tandem.replication.model.ReplicatedItem;
import tandem.replication.model.ReplicationSet;
import tandem.vrrp.AddressText;

/**
 * Configuration replication on a node: the hotwire's SSH server (receives pushes, answers STATUS), the
 * periodic comparison with every peer by content hash (what {@code sync_state} says), pushes on request
 * ({@code tandem config sync}) or automatically after a local change settled, diffs, the file list and
 * rollback. A received change to the shared configuration is reloaded like SIGHUP.
 *
 * <p>Threads: every call of the replication module blocks (SSH, hashing, commands), so none runs on the
 * VRRP loop: one scheduler thread polls the peers and pushes automatically; requests from the control
 * socket run on their own threads; the client's exchanges are serialized by one lock (a poll waits for a
 * push). The published state is read without locks.
 */
public final class ReplicationService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.replication");
    /**
     * The hotwire's limits: the module's, with a keepalive every second (three unanswered end the
     * session), so a peer that dies in the middle of an exchange is an error within seconds rather than
     * at the request timeout - the comparison waits for the exchange.
     */
    static final Limits LIMITS = new Limits(Limits.DEFAULTS.maxFrame(), Limits.DEFAULTS.maxBundle(),
        Limits.DEFAULTS.connectTimeout(), Limits.DEFAULTS.authTimeout(), Duration.ofSeconds(20), Limits.DEFAULTS.pushTimeout(),
        Duration.ofSeconds(1));

    /** How often the peers are compared (a change made by hand is seen within about this). */
    public static final Duration POLL = Duration.ofSeconds(2);

    /** The node's sync state as {@code tandem info} shows it. */
    public record State(String syncState, String reason, List<PeerView> peers, Instant checked) {
        public State {
            peers = List.copyOf(peers);
        }
    }

    /** One peer's state. */
    public record PeerView(String name, String address, String state, String reason, String localHash, String peerHash,
                           long generation, String version) {
    }

    /** What a push to every peer ended with: ok only when every peer is synchronized afterwards. */
    public record SyncResult(boolean ok, List<PeerView> peers) {
        public SyncResult {
            peers = List.copyOf(peers);
        }
    }

    private final Path nodeFile;
    private final String node;
    private final String version;
    private final Keys keys;
    private final TrustedKeys trusted;
    private final Receiver receiver;
    private final HotwireServer server;
    private final HotwireClient client;
    private final Path stateDir;
    private final ScheduledExecutorService poller;
    private final ReentrantLock exchange = new ReentrantLock();
    private final java.util.function.Function<String, java.util.concurrent.CompletableFuture<String>> reload;
    /** SHA-256 of the shared configuration's text the running configuration was read from. */
    private volatile String runningShared;
    private volatile NodeConfig config;
    private volatile Replication replication;
    private volatile State state;
    /** Per peer: the hash both sides had when they were last synchronized (persisted in the state directory). */
    private final Map<String, String> synced = new ConcurrentHashMap<>();
    /**
     * Per peer: the hash of a push whose answer did not come (the peer's power cut after it applied).
     * When the peer later reports that hash, it holds this node's content: that is where both were last
     * synchronized, not a change made there.
     */
    private final Map<String, String> unanswered = new ConcurrentHashMap<>();
    /** Auto-sync: the local hash last seen and since when (the debounce). */
    private String lastLocalHash;
    private long lastLocalChange;
    private String autoBlocked;

    private ReplicationService(NodeConfig cfg, String version, Keys keys, TrustedKeys trusted, Receiver receiver,
                               HotwireServer server, HotwireClient client,
                               java.util.function.Function<String, java.util.concurrent.CompletableFuture<String>> reload) {
        this.nodeFile = cfg.file();
        this.node = cfg.nodeName();
        this.version = version;
        this.keys = keys;
        this.trusted = trusted;
        this.receiver = receiver;
        this.server = server;
        this.client = client;
        this.stateDir = cfg.replication().hotwire().stateDir();
        this.reload = reload;
        this.config = cfg;
        this.replication = new Replication(set(cfg), node, version, client);
        this.runningShared = sharedHash(cfg);
        this.state = new State("pending", "not compared with the peers yet", List.of(), null);
        readSynced();
        this.poller = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("replication").factory());
    }

    /**
     * Opens the node's keys, trusted keys and state (undoing a transaction a crash left behind), starts
     * the SSH server on the hotwire address and the periodic comparison.
     *
     * @param reload reloads the node's configuration from its files (like SIGHUP), saying why; called when a
     *               received change replaced the shared configuration, and before a push of a shared
     *               configuration this node does not run yet
     */
    public static ReplicationService start(NodeConfig cfg, String version,
                                           java.util.function.Function<String, java.util.concurrent.CompletableFuture<String>> reload,
                                           java.util.function.Function<NodeConfig, List<String>> reloadCheck)
        throws IOException {
        NodeConfig.Hotwire hw = cfg.replication().hotwire();
        Keys keys = Keys.load(hw.keyDir(), cfg.nodeName());
        TrustedKeys trusted = TrustedKeys.load(hw.trustedFile());
        Receiver receiver;
        try {
            receiver = Receiver.open(settings(cfg, version, reloadCheck));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while recovering the replication state");
        }
        if (receiver.recovered() != null) {
            LOG.warn("replication: {}", receiver.recovered());
        }
        HotwireServer server = HotwireServer.start(new InetSocketAddress(hw.local(), hw.port()), keys, trusted, receiver,
            LIMITS);
        HotwireClient client = new HotwireClient(keys, trusted, LIMITS);
        ReplicationService s = new ReplicationService(cfg, version, keys, trusted, receiver, server, client, reload);
        receiver.onChanged(r -> s.received(r));
        LOG.info("hotwire: SSH server on {} port {} (key {}), peers {}", AddressText.format(hw.local()), hw.port(),
            keys.fingerprint(), hw.peers());
        s.poller.scheduleWithFixedDelay(s::poll, 0, POLL.toMillis(), TimeUnit.MILLISECONDS);
        return s;
    }

    /**
     * The receiver's settings. Its check of a peer's shared configuration: it loads with this node's
     * file, and this node could take it by a reload (what needs a restart, services that cannot run here,
     * the system checks) - otherwise it is refused before anything is swapped in.
     */
    private static Receiver.Settings settings(NodeConfig cfg, String version,
                                              java.util.function.Function<NodeConfig, List<String>> reloadCheck) {
        NodeConfig.Hotwire hw = cfg.replication().hotwire();
        Path nodeFile = cfg.file();
        return new Receiver.Settings(hw.stateDir(), hw.root(), relative(hw.root(), cfg.replication().sharedFile()),
            text -> {
                NodeConfig next = ConfigLoader.loadWithShared(nodeFile, text);
                List<String> problems = reloadCheck.apply(next);
                if (!problems.isEmpty()) {
                    throw new IllegalStateException("this node could not take it by a reload: " + String.join("; ", problems));
                }
                return items(next);
            }, exceptions(cfg), cfg.nodeName(), version);
    }

    private static String relative(Path root, Path file) {
        return root.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize()).toString();
    }

    /** The replicated items a configuration declares, as the replication module takes them. */
    public static List<ReplicatedItem> items(NodeConfig cfg) {
        List<ReplicatedItem> out = new ArrayList<>();
        for (NodeConfig.Replicated r : cfg.replication().items()) {
            out.add(new ReplicatedItem(r.path(), r.directory(), r.check(), r.apply()));
        }
        return out;
    }

    private static Exceptions exceptions(NodeConfig cfg) {
        return Exceptions.of(cfg.replication().exceptions().stream().map(Path::toString).toList());
    }

    private static ReplicationSet set(NodeConfig cfg) {
        NodeConfig.Hotwire hw = cfg.replication().hotwire();
        return new ReplicationSet(hw.root(), relative(hw.root(), cfg.replication().sharedFile()), items(cfg), exceptions(cfg));
    }

    private List<Peer> peers() {
        NodeConfig.Hotwire hw = config.replication().hotwire();
        return hw.peers().stream().map(p -> new Peer(p.node(), AddressText.format(p.address()), hw.port())).toList();
    }

    /** A reload changed the configuration (items, exceptions, peers). */
    public void reconfigure(NodeConfig next) {
        config = next;
        replication = new Replication(set(next), node, version, client);
        runningShared = sharedHash(next);
    }

    private static String sharedHash(NodeConfig cfg) {
        try {
            return tandem.replication.model.Sha256.hex(Files.readAllBytes(cfg.replication().sharedFile()));
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * What this node replicates now: the items its shared configuration on disk declares (a file edited
     * by hand declares what it declares, before any reload), or the running ones while it does not load.
     */
    private Replication current() {
        try {
            NodeConfig disk = ConfigLoader.load(nodeFile);
            localLoadProblem = null;
            if (disk.replication() != null && disk.replication().hotwire() != null) {
                return new Replication(set(disk), node, version, client);
            }
        } catch (ConfigException e) {
            // shown as the sync state's reason; compare what runs
            localLoadProblem = e.getMessage();
        }
        return replication;
    }

    /** Why this node's own configuration on disk does not load, or null. */
    private volatile String localLoadProblem;

    /**
     * Before a push: when the shared configuration on disk is not the one this node runs, reload it here
     * first (what is pushed also runs here). Null when done or not needed, else why not.
     */
    private String reloadOwnChange(String why) {
        NodeConfig cfg = config;
        String disk = sharedHash(cfg);
        if (disk.equals(runningShared)) {
            return null;
        }
        try {
            reload.apply(why).get(30, TimeUnit.SECONDS);
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return "this node's reload of its changed shared configuration failed: " + (e.getCause() == null ? e
                : e.getCause().getMessage());
        } catch (java.util.concurrent.TimeoutException e) {
            return "this node's reload of its changed shared configuration did not finish within 30 s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    // ---------------------------------------------------------------- the periodic comparison

    private void poll() {
        try {
            exchange.lock();
            try {
                compare();
            } finally {
                exchange.unlock();
            }
        } catch (RuntimeException | Error e) {
            LOG.error("replication: comparing with the peers failed", e);
        }
    }

    /** Compares with every peer (under the exchange lock) and, in automatic mode, pushes a settled local change. */
    private void compare() {
        Replication cur = current();
        List<Replication.PeerState> states = new ArrayList<>();
        for (Peer p : peers()) {
            states.add(cur.status(p));
        }
        publish(states);
        NodeConfig.Replication r = config.replication();
        if (!r.autoSync() || states.isEmpty()) {
            return;
        }
        String local = states.getFirst().localHash();
        long now = System.nanoTime();
        if (!local.equals(lastLocalHash)) {
            lastLocalHash = local;
            lastLocalChange = now;
            autoBlocked = null;
        }
        if (now - lastLocalChange < r.debounce().toNanos()) {
            return;
        }
        List<Peer> toPush = new ArrayList<>();
        for (int i = 0; i < states.size(); i++) {
            Replication.PeerState ps = states.get(i);
            String base = synced.get(ps.peer());
            if (ps.state() == Replication.State.PENDING && base != null && !ps.localHash().equals(base)
                && ps.peerHash().equals(base)) {
                toPush.add(peers().get(i));
            }
        }
        if (toPush.isEmpty() || autoBlocked != null) {
            return;
        }
        String problem = localCheck();
        if (problem == null) {
            problem = reloadOwnChange("auto-sync: the shared configuration changed here");
        }
        if (problem != null) {
            autoBlocked = problem;
            LOG.warn("auto-sync: the local change is not pushed: {}", problem);
            publish(states);
            return;
        }
        List<Replication.PeerState> after = new ArrayList<>(states);
        for (Peer p : toPush) {
            LOG.info("auto-sync: pushing the local change to {}", p.node());
            Replication.PeerState ps = cur.push(p);
            pushed(ps);
            int at = peers().indexOf(p);
            after.set(at, ps);
        }
        publish(after);
    }

    /**
     * Checks this node's own files as a receiver would: the shared configuration with this node's
     * file, and every replicated file's check command on the live file. Null when all pass.
     */
    private String localCheck() {
        NodeConfig cfg;
        try {
            cfg = ConfigLoader.load(nodeFile);
        } catch (ConfigException e) {
            return "the shared configuration does not load: " + e.getMessage();
        }
        ShellCommandRunner runner = new ShellCommandRunner();
        NodeConfig.Hotwire hw = cfg.replication().hotwire();
        for (NodeConfig.Replicated item : cfg.replication().items()) {
            if (item.check() == null || item.check().isBlank()) {
                continue;
            }
            Path live = tandem.replication.model.RelativePath.resolve(hw.root(),
                tandem.replication.model.RelativePath.of(item.path()));
            if (!Files.exists(live)) {
                continue;
            }
            String quoted = "'" + live.toString().replace("'", "'\\''") + "'";
            try {
                CommandResult r = runner.run(item.check().replace("{}", quoted), Map.of("TANDEM_STAGED", live.toString(),
                    "TANDEM_PATH", live.toString()), hw.root());
                if (!r.ok()) {
                    return "check of " + item.path() + " failed: " + r.describe();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
        return null;
    }

    /** Reasons on one line: command output (nft's caret lines) would break the info summary's rows. */
    static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\n\\s*", " | ");
    }

    private void publish(List<Replication.PeerState> states) {
        List<PeerView> views = new ArrayList<>();
        boolean error = false;
        boolean pending = false;
        List<String> reasons = new ArrayList<>();
        List<Peer> peers = peers();
        for (int i = 0; i < states.size(); i++) {
            Replication.PeerState ps = states.get(i);
            String address = i < peers.size() ? peers.get(i).host() : "";
            if (ps.state() == Replication.State.SYNCHRONIZED
                || ps.push() != null && ps.push().ok() && !ps.localHash().isEmpty() && ps.localHash().equals(ps.peerHash())) {
                // equal now, or the peer applied what was sent (even if asking it afterwards failed)
                remember(ps.peer(), ps.localHash());
                unanswered.remove(ps.peer());
            } else if (ps.state() == Replication.State.PENDING && ps.peerHash().equals(unanswered.get(ps.peer()))) {
                // the peer applied the push whose answer was lost: synchronized at that hash, not changed there
                LOG.info("replication: {} holds what was pushed to it before its answer was lost", ps.peer());
                remember(ps.peer(), ps.peerHash());
                unanswered.remove(ps.peer());
            }
            String st = ps.state().name().toLowerCase(java.util.Locale.ROOT);
            String reason = oneLine(ps.reason());
            if (ps.state() == Replication.State.PENDING) {
                String base = synced.get(ps.peer());
                boolean localChanged = base == null || !ps.localHash().equals(base);
                boolean peerChanged = base == null || !ps.peerHash().equals(base);
                if (base != null && localChanged && peerChanged) {
                    st = "error";
                    reason = "both " + node + " and " + ps.peer() + " changed since they were last synchronized ("
                        + reason + "): run 'tandem config diff', then 'tandem config sync' on the node whose files to keep";
                } else if (autoBlocked != null && localChanged) {
                    st = "error";
                    reason = autoBlocked;
                }
            }
            error |= st.equals("error");
            pending |= st.equals("pending");
            if (!st.equals("synchronized")) {
                reasons.add(ps.peer() + ": " + reason);
            }
            views.add(new PeerView(ps.peer(), address, st, reason, ps.localHash(), ps.peerHash(),
                ps.status() == null ? 0 : ps.status().generation(), ps.status() == null ? "" : ps.status().version()));
        }
        String received = null;
        if (error || pending) {
            // a failed transaction matters while the nodes differ; once they are identical it is history
            try {
                received = receiver.lastError();
            } catch (IOException e) {
                received = "cannot read the replication state: " + e.getMessage();
            }
        }
        if (received != null) {
            error = true;
            reasons.addFirst("the last change received here failed: " + oneLine(received));
        }
        String local = localLoadProblem;
        if (local != null) {
            error = true;
            reasons.addFirst("this node's configuration does not load: " + oneLine(local));
        }
        String overall = views.isEmpty() ? "error" : error ? "error" : pending ? "pending" : "synchronized";
        String reason = views.isEmpty() ? "no peers configured (expected: hotwire.peers)"
            : reasons.isEmpty() ? "identical on " + views.size() + " peer(s)" : String.join("; ", reasons);
        State before = state;
        state = new State(overall, reason, views, Instant.now());
        if (!overall.equals(before.syncState()) || !reason.equals(before.reason()) && !overall.equals("synchronized")) {
            if (overall.equals("error")) {
                LOG.warn("sync_state {}: {}", overall, reason);
            } else {
                LOG.info("sync_state {}: {}", overall, reason);
            }
        }
    }

    private void remember(String peer, String hash) {
        if (hash.equals(synced.put(peer, hash))) {
            return;
        }
        try {
            Files.createDirectories(stateDir);
            Path f = stateDir.resolve("synced-" + peer);
            Path tmp = stateDir.resolve(".synced-" + peer + ".tmp");
            Files.writeString(tmp, hash + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, f, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warn("replication: cannot record the synchronized hash for {}: {}", peer, e.getMessage());
        }
    }

    private void readSynced() {
        for (NodeConfig.Peer p : config.replication().hotwire().peers()) {
            Path f = stateDir.resolve("synced-" + p.node());
            try {
                String h = Files.readString(f, StandardCharsets.US_ASCII).strip();
                if (tandem.replication.model.Sha256.valid(h)) {
                    synced.put(p.node(), h);
                }
            } catch (IOException e) {
                // never synchronized with it
            }
        }
    }

    // ---------------------------------------------------------------- what the control socket asks

    public State state() {
        return state;
    }

    /** {@code tandem config sync}: pushes to every peer now; ok only when each is synchronized afterwards. */
    public SyncResult sync() {
        exchange.lock();
        try {
            String problem = localCheck();
            if (problem == null) {
                problem = reloadOwnChange("config sync: the shared configuration changed here");
            }
            if (problem != null) {
                String why = problem;
                List<PeerView> views = peers().stream().map(p -> new PeerView(p.node(), p.host(), "error",
                    "not pushed: " + why, "", "", 0, "")).toList();
                return new SyncResult(false, views);
            }
            List<Replication.PeerState> after = new ArrayList<>();
            Replication now = current();
            for (Peer p : peers()) {
                Replication.PeerState ps = now.push(p);
                pushed(ps);
                after.add(ps);
            }
            autoBlocked = null;
            publish(after);
            State s = state;
            return new SyncResult(after.stream().allMatch(ps -> ps.state() == Replication.State.SYNCHRONIZED), s.peers());
        } finally {
            exchange.unlock();
        }
    }

    /** After a push: logs it and keeps the hash sent when the answer did not come. */
    private void pushed(Replication.PeerState ps) {
        logPush(ps);
        if (ps.state() == Replication.State.ERROR && !ps.localHash().isEmpty() && ps.peerHash().isEmpty()) {
            unanswered.put(ps.peer(), ps.localHash());
        } else {
            unanswered.remove(ps.peer());
        }
    }

    private static void logPush(Replication.PeerState ps) {
        if (ps.state() == Replication.State.SYNCHRONIZED) {
            LOG.info("pushed to {}: synchronized ({})", ps.peer(), ps.push() == null ? "nothing to send" : ps.push().message());
        } else {
            LOG.warn("push to {}: {}: {}", ps.peer(), ps.state().name().toLowerCase(java.util.Locale.ROOT), ps.reason());
        }
    }

    /** {@code tandem config diff}: per peer, the unified diffs from its files to this node's. */
    public Map<String, Object> diff() {
        exchange.lock();
        try {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Peer p : peers()) {
                try {
                    List<Map<String, String>> files = new ArrayList<>();
                    for (Replication.FileDiff d : current().diff(p)) {
                        files.add(Map.of("path", "/" + d.path(), "change", d.change(), "diff", d.unified()));
                    }
                    out.put(p.node(), Map.of("files", files));
                } catch (tandem.replication.hotwire.HotwireException | IOException e) {
                    out.put(p.node(), Map.of("error", String.valueOf(e.getMessage())));
                }
            }
            return out;
        } finally {
            exchange.unlock();
        }
    }

    /** {@code tandem config files}: the replicated files (path, size, mode, hash) and this node's exceptions. */
    public Map<String, Object> files() throws IOException {
        Manifest m = current().manifest();
        List<Map<String, Object>> files = new ArrayList<>();
        for (Manifest.Entry e : m.entries()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("path", "/" + e.path());
            f.put("size", e.size());
            f.put("mode", String.format("%04o", e.mode()));
            f.put("sha256", e.sha256());
            files.add(f);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("root", config.replication().hotwire().root().toString());
        out.put("manifest_hash", m.hash());
        out.put("files", files);
        out.put("items", items(config).stream().map(i -> {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("path", i.path() + (i.directory() ? "/" : ""));
            x.put("check", i.check() == null ? "" : i.check());
            x.put("apply", i.apply() == null ? "" : i.apply());
            return x;
        }).toList());
        out.put("exceptions", config.replication().exceptions().stream().map(Path::toString).toList());
        List<Map<String, Object>> gens = new ArrayList<>();
        for (Generation g : receiver.generations()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("generation", g.number());
            x.put("time", g.time().toString());
            x.put("kind", g.kind());
            x.put("sender", g.sender() == null ? "" : g.sender());
            x.put("files", g.files());
            gens.add(x);
        }
        out.put("generations", gens);
        return out;
    }

    /** {@code tandem config rollback}: restores the files of before the newest generation here. */
    public ApplyResult rollback() throws IOException {
        try {
            return receiver.rollback();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    // ---------------------------------------------------------------- receiving

    private void received(ApplyResult r) {
        LOG.info("replication: generation {} applied: {}", r.generation(), r.message());
        if (!r.sharedConfigHash().equals(runningShared)) {
            // only the firewall files changed otherwise: their apply commands did what was needed
            reload.apply("generation " + r.generation() + " received");
        }
    }

    /** This node's key line and fingerprint. */
    public Keys keys() {
        return keys;
    }

    public InetSocketAddress address() {
        return server.address();
    }

    @Override
    public void close() {
        poller.shutdownNow();
        try {
            poller.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the hotwire server: {}", e.getMessage());
        }
        try {
            client.close();
        } catch (IOException e) {
            LOG.debug("closing the hotwire client: {}", e.getMessage());
        }
    }
}
