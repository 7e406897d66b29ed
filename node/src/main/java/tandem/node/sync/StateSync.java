package tandem.node.sync;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.linux.Libc;
import tandem.linux.LinuxException;
import tandem.linux.NetlinkSocket;
import tandem.conntrack.CtEntry;
import tandem.conntrack.CtExpect;
import tandem.linux.ct.Ctnetlink;
import tandem.node.config.NodeConfig;
import tandem.statesync.ClusterKey;
import tandem.statesync.Liveness;
import tandem.statesync.SyncCodec;
import tandem.statesync.SyncCrypto;
import tandem.statesync.SyncException;
import tandem.statesync.SyncMessage;
import tandem.statesync.SyncReceiver;
import tandem.statesync.SyncSender;

/**
 * Connection-state replication on the sync link. The active node (master of the driving sync group)
 * sends its conntrack changes and expectations; the standby keeps them in an external cache, not in
 * its kernel. On becoming active the cache is committed into the kernel first - the daemon adds the
 * VIPs only when {@link #becomeActive(Runnable)} reports the commit done - then this node sends. On
 * becoming standby it asks for a full resync and, after the purge delay, removes kernel entries of the
 * new master's flows.
 *
 * <p>Threads: one loop owns the protocol state; a UDP receiver and a ctnetlink event reader only
 * enqueue. The protocol itself ({@code tandem.statesync}) is pure.
 */
public final class StateSync implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.statesync");
    private static final long MS = 1_000_000L;
    private static final long DEAD_NANOS = 3_000 * MS;

    private final NodeConfig.StateSync cfg;
    private volatile SyncFilter filter;
    private final Set<InetAddress> ownAddresses;
    private final SyncCrypto crypto;
    /**
     * Backlog of up to 4 Mi sequence numbers (a full resync of the table must fit, or it could never be
     * repaired), 1400-octet DATA flushed 2 ms after the oldest op, ALIVE every 200 ms, 32 Ki numbers in
     * flight (about 2 MB: far below the sync sockets' 16 MiB buffers, so a resync cannot overrun them).
     */
    private final SyncSender sender = new SyncSender(4 << 20, 1400, 2 * MS, 200 * MS, 32 << 10);
    /** A requested resync that has not begun within RESYNC_STALL is asked for again (never sooner). */
    static final long RESYNC_STALL_NANOS = 2_000 * MS;
    private SyncReceiver receiver = new SyncReceiver(20 * MS, 10 * MS, DEAD_NANOS, 200_000, RESYNC_STALL_NANOS);
    /** When a HELLO last answered an unconfirmed peer session (one per HELLO_GAP at most). */
    private long lastHello = Long.MIN_VALUE;
    private static final long HELLO_GAP_NANOS = 20 * MS;
    private final LongAdder handshakes = new LongAdder();
    private final DatagramChannel udp;
    private final InetSocketAddress peer;
    private final Ctnetlink requests;
    private final Ctnetlink events;
    private final BlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final Thread loop;
    private final Thread udpReader;
    private final Thread eventReader;
    private volatile boolean running = true;
    private volatile boolean standbySynchronized;
    private boolean active;
    /** No sender followed yet (sessions are random 64-bit numbers). */
    private static final long NONE = 0;
    /** The session of the sender whose stream this standby applies. */
    private long followedSession = NONE;
    /** Peers heard within the dead time (by what was read: a busy loop is late, its peers are not silent). */
    private final Liveness peersHeard = new Liveness(DEAD_NANOS);
    /** When the newest datagram arrived on the sync socket (set by the reader, read or not yet). */
    private volatile long lastArrival = System.nanoTime();
    private long purgeAt = Long.MAX_VALUE;
    /** Master connections to read back in full (their helper may have changed the sequence adjustment). */
    private final java.util.Set<CtEntry.Key> refresh = new java.util.LinkedHashSet<>();
    private long refreshAt = Long.MAX_VALUE;
    /** How long after an expectation appears its master is read back: the helper rewrites the packet after announcing. */
    private static final long REFRESH_DELAY_NANOS = 2 * MS;

    private final Map<SyncException.Reason, LongAdder> drops = new EnumMap<>(SyncException.Reason.class);
    private final LongAdder datagramsSent = new LongAdder();
    private final LongAdder datagramsReceived = new LongAdder();
    private final LongAdder eventsSeen = new LongAdder();
    private final LongAdder eventsLost = new LongAdder();
    private final LongAdder eventsUndecodable = new LongAdder();
    private final LongAdder kernelResyncs = new LongAdder();
    /** A resync for lost kernel events is queued and has not run yet (set by the reader, cleared by the loop). */
    private volatile boolean kernelResyncQueued;
    private long lastCommitMillis = -1;
    private int lastCommitCount;
    private int lastCommitFailed;
    private long lastCommitQueuedMicros;
    private int lastCommitExpectations;
    private long purged;

    public StateSync(NodeConfig.StateSync cfg, String nodeName, Set<InetAddress> ownAddresses) throws IOException {
        this.cfg = cfg;
        this.filter = new SyncFilter(cfg, ownAddresses);
        this.ownAddresses = Set.copyOf(ownAddresses);
        // the passphrase is stretched once here (PBKDF2, ClusterKey.PBKDF2_ITERATIONS)
        this.crypto = new SyncCrypto(ClusterKey.derive(cfg.passphrase(), cfg.cluster()), nodeName, new SecureRandom());
        for (SyncException.Reason r : SyncException.Reason.values()) {
            drops.put(r, new LongAdder());
        }
        this.peer = new InetSocketAddress(cfg.peer() != null ? cfg.peer() : cfg.multicast(), cfg.port());
        Ctnetlink req = null;
        Ctnetlink ev = null;
        DatagramChannel ch = null;
        try {
            req = Ctnetlink.open();
            ev = Ctnetlink.events();
            ch = DatagramChannel.open(cfg.local().getAddress().length == 16 ? StandardProtocolFamily.INET6
                : StandardProtocolFamily.INET);
            // bursts of 100 000s of changes per second: the default ~208 KB would overflow and leave
            // the repair to NACKs
            ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 16 << 20);
            ch.setOption(java.net.StandardSocketOptions.SO_SNDBUF, 16 << 20);
            if (cfg.multicast() == null) {
                ch.bind(new InetSocketAddress(cfg.local(), cfg.port()));
            } else {
                // more than two nodes: every node joins the group on the sync link and sends to it
                java.net.NetworkInterface nif = java.net.NetworkInterface.getByName(cfg.interfaceName());
                if (nif == null) {
                    throw new IOException("interface " + cfg.interfaceName() + " not found");
                }
                ch.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
                ch.bind(new InetSocketAddress(cfg.port()));
                ch.setOption(java.net.StandardSocketOptions.IP_MULTICAST_IF, nif);
                ch.setOption(java.net.StandardSocketOptions.IP_MULTICAST_LOOP, false);
                ch.setOption(java.net.StandardSocketOptions.IP_MULTICAST_TTL, 1);
                ch.join(cfg.multicast(), nif);
            }
        } catch (IOException | LinuxException e) {
            if (req != null) {
                req.close();
            }
            if (ev != null) {
                ev.close();
            }
            if (ch != null) {
                ch.close();
            }
            throw new IOException("statesync: " + e.getMessage() + " (expected: the sync-link address "
                + tandem.vrrp.AddressText.format(cfg.local()) + " on this node and port " + cfg.port() + " free)", e);
        }
        this.requests = req;
        this.events = ev;
        // a standby needs no kernel events (and its commit runs faster without a listener)
        ev.subscribe(false);
        this.udp = ch;
        receiver.reset(System.nanoTime());
        loop = Thread.ofPlatform().daemon().name("statesync").unstarted(this::runLoop);
        udpReader = Thread.ofPlatform().daemon().name("statesync-rx").unstarted(this::readUdp);
        eventReader = Thread.ofPlatform().daemon().name("ct-events").unstarted(this::readEvents);
    }

    public void start() {
        // entries a previous run left in the kernel for the master's flows are stale: purge them once
        // the first resync has filled the cache
        purgeAt = System.nanoTime() + cfg.purgeDelay().toNanos();
        loop.start();
        udpReader.start();
        eventReader.start();
        LOG.info("statesync: {} <-> {} port {}, standby until group {} is master", tandem.vrrp.AddressText.format(cfg.local()),
            tandem.vrrp.AddressText.format(peer.getAddress()) + (cfg.multicast() != null ? " (multicast on " + cfg.interfaceName() + ")" : ""),
            cfg.port(), cfg.group());
    }

    public String group() {
        return cfg.group();
    }

    /**
     * What is replicated changed by a reload (protocols, ignored prefixes, mark bit, DNS/ICMP): applies
     * to the next events and dumps; entries already replicated stay until they end or the next resync.
     */
    public void refilter(NodeConfig.StateSync next) {
        filter = new SyncFilter(next, ownAddresses);
        LOG.info("state sync: filters changed by reload (protocols {}, ignore {}, mark bit {}, skip DNS/ICMP {})",
            next.protocols().isEmpty() ? "all" : next.protocols(), next.ignore(), next.markBit() < 0 ? "none" : next.markBit(),
            next.skipDnsIcmp());
    }

    /** Whether {@code a} and {@code b} differ only in what {@link #refilter} changes live. */
    public static boolean onlyFiltersDiffer(NodeConfig.StateSync a, NodeConfig.StateSync b) {
        if (a == null || b == null) {
            return false;
        }
        NodeConfig.StateSync bWithA = new NodeConfig.StateSync(b.local(), b.peer(), b.multicast(), b.interfaceName(), b.port(),
            b.group(), b.cluster(), b.passphrase(), b.purgeDelay(), a.protocols(), a.ignore(), a.markBit(), a.skipDnsIcmp(),
            b.expectations());
        return a.equals(bWithA);
    }

    /** True while this node is standby with a cache in sync with the active node's table. */
    public boolean standbySynchronized() {
        return standbySynchronized;
    }

    // ---------------------------------------------------------------- roles (called by the daemon)

    /**
     * Commits the external cache into the kernel and becomes the sender; {@code committed} runs (on
     * this service's thread) when the commit is done, failed or not - the daemon adds the virtual
     * addresses only then.
     */
    public void becomeActive(Runnable committed) {
        long asked = System.nanoTime();
        queue.add(() -> {
            if (active) {
                committed.run(); // already active: nothing to commit again
                return;
            }
            lastCommitQueuedMicros = (System.nanoTime() - asked) / 1_000;
            try {
                commit();
            } catch (RuntimeException e) {
                // the node is master either way: it must send its changes even if the commit failed
                LOG.error("statesync: commit of the replicated connections failed: {}", e.getMessage());
            } finally {
                // listen from now on: the VIPs come after this, so no forwarded flow is missed
                subscribe(true);
                active = true;
                sender.setActive(true);
                purgeAt = Long.MAX_VALUE;
                publishNow = true;
                committed.run();
                LOG.info("statesync: active {} ms after the takeover asked (queued {} us)", (System.nanoTime() - asked) / 1_000_000,
                    lastCommitQueuedMicros);
            }
        });
    }

    /** Stops sending, asks the new master for everything, purges its flows from the kernel later. */
    public void becomeStandby() {
        becomeStandby(() -> { });
    }

    /** {@link #becomeStandby()}; {@code done} runs on this service's thread once it is standby. */
    public void becomeStandby(Runnable done) {
        queue.add(() -> {
            try {
                standby();
            } finally {
                done.run();
            }
        });
    }

    private void standby() {
        if (active) {
            LOG.info("statesync: standby; requesting a full resync, purging replicated flows from the kernel in {} ms",
                cfg.purgeDelay().toMillis());
            purgeAt = System.nanoTime() + cfg.purgeDelay().toNanos();
        }
        if (active) {
            subscribe(false);
        }
        active = false;
        sender.setActive(false);
        receiver.reset(System.nanoTime());
        followedSession = NONE;
        publishNow = true;
    }

    /**
     * The external cache into the kernel: the entries (related ones after their masters), then the
     * expectations whose master connection is among them.
     */
    private void commit() {
        List<CtEntry> entries = receiver.cache().values();
        List<CtExpect> expects = receiver.expectations().values().stream()
            .filter(x -> receiver.cache().contains(x.masterKey())).toList();
        long t0 = System.nanoTime();
        Ctnetlink.CommitResult r;
        // a second request socket and thread when there is a second CPU: one encodes while the kernel
        // creates for the other (creates take the nfnetlink mutex, so more would only queue). No events
        // are read meanwhile (a standby is not subscribed until the commit is done), so their port ids
        // need no loop avoidance.
        List<Ctnetlink> helpers = new ArrayList<>();
        try {
            // a second socket and thread only for a commit large enough to gain from them
            for (int i = 1; i < COMMIT_WAYS && entries.size() >= 2 * Ctnetlink.BATCH_MESSAGES; i++) {
                helpers.add(Ctnetlink.open());
            }
            r = requests.commit(entries, helpers);
        } finally {
            helpers.forEach(Ctnetlink::close);
        }
        Ctnetlink.CommitResult x = expects.isEmpty() ? Ctnetlink.CommitResult.NONE
            : requests.commitExpectations(expects);
        lastCommitMillis = (System.nanoTime() - t0) / 1_000_000;
        lastCommitCount = r.created() + r.replaced();
        lastCommitFailed = r.failed() + x.failed();
        lastCommitExpectations = x.created() + x.replaced();
        String firstError = r.firstError() != null ? r.firstError() : x.firstError();
        LOG.info("statesync: committed {} entries and {} expectations into the kernel in {} ms ({} created, {} stale replaced, {} failed{})",
            lastCommitCount, lastCommitExpectations, lastCommitMillis, r.created() + x.created(), r.replaced() + x.replaced(),
            lastCommitFailed, firstError == null ? "" : ", first: " + firstError);
    }

    // ---------------------------------------------------------------- loop

    private void runLoop() {
        while (running) {
            try {
                turn();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                LOG.error("statesync: unexpected failure (the loop goes on)", e);
            }
        }
    }

    /** Runs one queued task; a failure is logged with its cause and the loop goes on. */
    private static void runGuarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("statesync: a task failed (the loop goes on)", e);
        }
    }

    /** One turn of the loop (a method, not the loop body: see {@link #readEventBatch}). */
    private void turn() throws InterruptedException {
        long now = System.nanoTime();
        long deadline = Math.min(Math.min(active ? sender.nextDeadline() : receiver.nextDeadline(), purgeAt), refreshAt);
        Runnable task = deadline <= now ? queue.poll() : queue.poll(Math.min(deadline - now, 500 * MS), TimeUnit.NANOSECONDS);
        if (task != null) {
            runGuarded(task);
            // at most DRAIN_NANOS of queued work, then the protocol's timers: under a sustained
            // inflow the queue never empties, and a loop that drained it first would send no DATA
            // (master) or ACK/ALIVE (standby) - a standby silent for the dead time gets forgotten
            // and resynced, which loads it further
            long drainEnd = System.nanoTime() + DRAIN_NANOS;
            Runnable more;
            while (System.nanoTime() - drainEnd < 0 && (more = queue.poll()) != null) {
                runGuarded(more);
            }
        }
        now = System.nanoTime();
        if (now >= refreshAt) {
            refreshMasters(now);
        }
        if (now - nextPeriodicHello >= 0) {
            nextPeriodicHello = now + HELLO_PERIOD_NANOS;
            lastHello = now;
            send(new SyncMessage.Hello(vrrpSources));
        }
        if (active && sender.resyncDue(now)) {
            fullResync(now, deferredReason + " (deferred)");
        }
        for (SyncMessage m : active ? sender.poll(now) : receiver.poll(now)) {
            send(m);
        }
        if (now >= purgeAt) {
            purge();
            purgeAt = Long.MAX_VALUE;
        }
        boolean sync = !active && receiver.state(now) == SyncReceiver.State.SYNCHRONIZED;
        if (sync != standbySynchronized) {
            standbySynchronized = sync;
            onSynchronized.accept(sync);
        }
        forgetSilentPeers(now);
        if (LOG.isDebugEnabled() && now - debugAt >= 1_000 * MS) {
            debugAt = now;
            LOG.debug("statesync: {} {} peers {}", active ? sender : receiver, active ? "" : "state " + receiver.state(now),
                peersHeard.peers());
        }
        if (now - publishedAt >= PUBLISH_NANOS || publishNow) {
            peerNodes = List.copyOf(peersHeard.peers());
            published = snapshot();
            publishedAt = now;
            publishNow = false;
        }
    }

    /** How often the counters {@link #info} shows are refreshed (state changes are shown at once). */
    private static final long PUBLISH_NANOS = 100 * MS;
    private long publishedAt = Long.MIN_VALUE;
    private long debugAt = Long.MIN_VALUE;
    private boolean publishNow;
    private volatile Map<String, Object> published = Map.of("sync_state", "starting");
    private volatile java.util.function.Consumer<Boolean> onSynchronized = b -> { };

    /**
     * Told (on the state-sync thread) when this standby's cache becomes synchronized with the active
     * node or stops being so.
     */
    public void onSynchronized(java.util.function.Consumer<Boolean> listener) {
        onSynchronized = listener;
    }

    /** A receiver silent for the dead time no longer holds back the backlog; it resyncs when back. */
    private void forgetSilentPeers(long now) {
        for (String peer : peersHeard.expire(now, lastArrival)) {
            sender.forgetPeer(peer);
            LOG.info("statesync: {} silent for {} ms, forgotten (it resyncs when it is back)", peer, DEAD_NANOS / MS);
        }
        if (active && peersHeard.isEmpty() && sender.backlogSize() > 0) {
            sender.dropAll();
        }
    }

    private void send(SyncMessage m) {
        try {
            udp.send(ByteBuffer.wrap(crypto.seal(SyncCodec.encode(m))), peer);
            datagramsSent.increment();
        } catch (IOException e) {
            LOG.debug("statesync: send to {}: {}", peer, e.getMessage());
        }
    }

    private void purge() {
        List<CtEntry.Key> keys = receiver.cache().keys().stream().filter(filter::replicate).toList();
        try {
            int n = requests.delete(keys);
            purged += n;
            LOG.info("statesync: purged {} kernel entries of the master's flows", n);
        } catch (LinuxException e) {
            LOG.warn("statesync: purge failed: {}", e.getMessage());
        }
    }

    // ---------------------------------------------------------------- input

    private void readUdp() {
        ByteBuffer buf = ByteBuffer.allocate(65_536);
        while (running) {
            try {
                buf.clear();
                if (udp.receive(buf) == null) {
                    continue;
                }
                byte[] d = java.util.Arrays.copyOf(buf.array(), buf.position());
                long arrival = System.nanoTime();
                lastArrival = arrival;
                queue.add(() -> onDatagram(d, arrival));
            } catch (IOException e) {
                if (running) {
                    LOG.warn("statesync: receive: {}", e.getMessage());
                }
                return;
            }
        }
    }

    private void onDatagram(byte[] d, long arrival) {
        datagramsReceived.increment();
        long now = System.nanoTime();
        peersHeard.handled(arrival);
        SyncMessage m;
        SyncCrypto.Opened opened;
        try {
            SyncCrypto.Opened o = crypto.open(d, d.length);
            opened = o;
            m = SyncCodec.decode(o.buffer(), o.length());
        } catch (SyncException e) {
            drops.get(e.reason()).increment();
            dropLog(e);
            return;
        }
        publishNow |= opened.status() != SyncCrypto.Status.CURRENT;
        String from = opened.sender();
        if (opened.status() == SyncCrypto.Status.UNCONFIRMED) {
            // authentic but not proven fresh: answer at once so the peer sees its session echoed
            handshakes.increment();
            hello(now);
            return;
        }
        if (opened.newSession()) {
            LOG.info("statesync: peer {} (session {}) is talking", from, Long.toHexString(opened.session()));
            // answer at once: the peer confirms our session when it hears its own echoed
            hello(now);
            if (!active) {
                follow(from, opened.session(), now);
            }
        }
        peersHeard.heard(from, arrival);
        switch (m) {
            case SyncMessage.Data data -> {
                if (!active) {
                    follow(from, opened.session(), now);
                    receiver.onData(data, now);
                }
            }
            case SyncMessage.Alive a -> {
                if (!active) {
                    follow(from, opened.session(), now);
                    receiver.onAlive(a, now);
                }
            }
            case SyncMessage.Ack a -> {
                if (active) {
                    sender.onAck(from, a.seq());
                }
            }
            case SyncMessage.Nack n -> {
                if (active && !sender.onNack(from, n.from(), n.to(), now)) {
                    resyncRequested(true, now, from + " asked for " + n.from() + ".." + n.to() + ", no longer in the backlog");
                }
            }
            case SyncMessage.ResyncRequest r -> {
                if (active) {
                    resyncRequested(true, now, from + " asked for it");
                }
            }
            case SyncMessage.Hello h -> {
                if (!h.addresses().equals(peerSources.get(from))) {
                    peerSources.put(from, h.addresses());
                    Map<String, String> names = new LinkedHashMap<>();
                    peerSources.forEach((node, list) -> list.forEach(a -> names.put(tandem.vrrp.AddressText.format(a), node)));
                    peerNames = Map.copyOf(names);
                }
            }
        }
    }

    private void hello(long now) {
        if (now - lastHello >= HELLO_GAP_NANOS) {
            lastHello = now;
            send(new SyncMessage.Hello(vrrpSources));
        }
    }

    /** The addresses this node advertises VRRP from (sent in HELLO so the peer can name the master it hears). */
    private volatile List<InetAddress> vrrpSources = List.of();
    /** Peer node name -> the addresses it advertises VRRP from (from its HELLOs). */
    private final Map<String, List<InetAddress>> peerSources = new LinkedHashMap<>();
    private volatile Map<String, String> peerNames = Map.of();
    private long nextPeriodicHello;
    private static final long HELLO_PERIOD_NANOS = 5_000 * MS;

    /** Tells the peers which addresses this node advertises VRRP from. */
    public void vrrpSources(List<InetAddress> sources) {
        vrrpSources = List.copyOf(sources);
    }

    /** The names of the peers heard within the dead time. */
    public List<String> peerNodes() {
        return peerNodes;
    }

    private volatile List<String> peerNodes = List.of();

    /** The peers' VRRP source addresses (RFC 5952 text) and their node names, as heard in HELLOs. */
    public Map<String, String> peerNames() {
        return peerNames;
    }

    /**
     * A standby follows one sender's stream: the session that sent it DATA or ALIVE last. Another
     * sender's stream (a new master among more than two nodes, or the same node restarted) has its
     * own sequence numbers: the receiver starts over and asks that sender for everything.
     */
    private void follow(String sender, long session, long now) {
        if (session == followedSession) {
            return;
        }
        if (followedSession != NONE) {
            LOG.info("statesync: {} (session {}) sends now; resyncing from it", sender, Long.toHexString(session));
        }
        // a new stream (or the first one confirmed: requests made before the handshake were not heard)
        receiver.reset(now);
        followedSession = session;
    }

    /**
     * A resync is wanted: one that is running answers a peer's request; otherwise one starts now, or
     * (within a second of the last) as soon as that second is up.
     */
    private void resyncRequested(boolean joinable, long now, String reason) {
        switch (sender.requestResync(joinable, now)) {
            case START -> fullResync(now, reason);
            case JOINED -> LOG.debug("statesync: {}: answered by the resync already running", reason);
            case DEFERRED -> {
                deferredReason = reason;
                LOG.debug("statesync: {}: resync deferred (the last one started less than a second ago)", reason);
            }
        }
    }

    private String deferredReason = "";

    /** Rate-limits the log of dropped datagrams: a flood of forged ones is counted, not logged each. */
    private long dropLogAt = Long.MIN_VALUE;
    private long dropsSinceLog;

    private void dropLog(SyncException e) {
        long now = System.nanoTime();
        dropsSinceLog++;
        if (now - dropLogAt >= 10_000 * MS) {
            LOG.warn("statesync: dropped datagram ({}): {}{}", e.reason().label(), e.getMessage(),
                dropsSinceLog > 1 ? " (" + dropsSinceLog + " dropped since the last report)" : "");
            dropLogAt = now;
            dropsSinceLog = 0;
        }
    }

    private void fullResync(long now, String reason) {
        try {
            List<CtEntry> table = requests.dump().stream().filter(filter::replicate).toList();
            List<CtExpect> expects = requests.dumpExpectations().stream().filter(filter::replicate).toList();
            sender.resync(table, expects, now);
            LOG.info("statesync: sending a full resync of {} entries and {} expectations ({})", table.size(), expects.size(), reason);
        } catch (LinuxException e) {
            LOG.error("statesync: cannot dump the conntrack table: {}", e.getMessage());
        }
    }

    /** How long one turn of the loop runs queued tasks before it serves the protocol's timers. */
    private static final long DRAIN_NANOS = 2 * MS;

    /** Threads (and request sockets) a commit spreads the entries over. */
    static final int COMMIT_WAYS = Math.clamp(Runtime.getRuntime().availableProcessors(), 1, 2);

    /** How long the event reader waits for more events after a small batch. */
    private static final long COALESCE_NANOS = 500_000;

    private void readEvents() {
        int own = requests.portId();
        while (running) {
            try {
                readEventBatch(own);
            } catch (LinuxException e) {
                if (!running) {
                    return;
                }
                if (e.errno() == Libc.ENOBUFS) {
                    eventsLost.increment();
                    int size = growEventBuffer();
                    lost("conntrack events lost (ENOBUFS); event buffer now " + (size >> 20) + " MiB");
                } else {
                    LOG.error("statesync: conntrack events: {}", e.getMessage());
                    sleep(200);
                }
            } catch (RuntimeException e) {
                LOG.error("statesync: conntrack event", e);
            }
        }
    }

    /**
     * One recvmmsg worth of notifications, filtered, handed to the loop. A method of its own rather than
     * the body of the reader's endless loop: the JIT compiles it like any method instead of replacing
     * the running loop (on-stack), which it threw away and recompiled at every change between idle and
     * load - about a CPU second per burst.
     */
    private void readEventBatch(int own) {
        List<Ctnetlink.Event> evs = events.readEvents();
        if (evs.isEmpty()) {
            return;
        }
        List<Ctnetlink.Event> mine = new ArrayList<>(evs.size());
        for (Ctnetlink.Event e : evs) {
            if (e instanceof Ctnetlink.Undecodable u) {
                // that notification's change is unknown: the rest of the batch goes on, a resync covers it
                eventsUndecodable.increment();
                lost("a conntrack notification could not be decoded (" + u.reason() + ")");
            } else if (e.portId() != own && replicate(e)) {
                mine.add(e);
            }
        }
        if (!mine.isEmpty()) {
            queue.add(() -> onEvents(mine));
        }
        if (evs.size() < NetlinkSocket.BATCH / 2) {
            // coalesce: under load the kernel wakes this thread for every single event; pausing briefly
            // lets a batch gather (at most 0.5 ms more latency, far below the sender's flush age), idle
            // costs nothing as the next read blocks
            LockSupport.parkNanos(COALESCE_NANOS);
        }
    }

    /**
     * Kernel events were lost or unreadable: one resync from a table dump covers every loss before it
     * runs (a flush of the table overflows the socket several times in a row). Reader thread.
     */
    private void lost(String what) {
        if (kernelResyncQueued) {
            return;
        }
        kernelResyncQueued = true;
        LOG.warn("statesync: {}; resyncing the peer from a table dump", what);
        queue.add(() -> {
            kernelResyncQueued = false;
            if (active) {
                kernelResyncs.increment();
                resyncRequested(false, System.nanoTime(), "kernel events were lost");
            }
        });
    }

    private boolean replicate(Ctnetlink.Event e) {
        return switch (e) {
            case Ctnetlink.CtEvent c -> c.entry() != null ? filter.replicate(c.entry()) : filter.replicate(c.key());
            case Ctnetlink.ExpectEvent x -> filter.replicatesMasterOf(x.expect());
            case Ctnetlink.Undecodable u -> false;
        };
    }

    private int growEventBuffer() {
        try {
            return events.growEventBuffer();
        } catch (LinuxException e) {
            LOG.warn("statesync: cannot grow the event buffer: {}", e.getMessage());
            return Ctnetlink.EVENT_BUFFER;
        }
    }

    private void onEvents(List<Ctnetlink.Event> evs) {
        if (!active) {
            return;
        }
        long now = System.nanoTime();
        for (Ctnetlink.Event e : evs) {
            eventsSeen.increment();
            switch (e) {
                case Ctnetlink.CtEvent c when c.type() == Ctnetlink.EventType.DESTROY -> sender.delete(c.key(), now);
                case Ctnetlink.CtEvent c when c.type() == Ctnetlink.EventType.NEW -> sender.upsert(c.entry(), now);
                case Ctnetlink.CtEvent c -> sender.update(c.entry(), now);
                case Ctnetlink.ExpectEvent x when x.destroyed() -> {
                    if (filter.replicate(x.expect())) {
                        sender.expectDelete(x.expect().key(), now);
                    }
                }
                case Ctnetlink.ExpectEvent x -> {
                    if (filter.replicate(x.expect())) {
                        sender.expectUpsert(x.expect(), now);
                    }
                    // the helper that announced it (FTP PORT/PASV through NAT) rewrites the command next and
                    // so changes the master's sequence adjustment, for which the kernel sends no event
                    refresh.add(x.expect().masterKey());
                    refreshAt = Math.min(refreshAt, now + REFRESH_DELAY_NANOS);
                }
                case Ctnetlink.Undecodable u -> {
                }
            }
        }
    }

    private void subscribe(boolean on) {
        try {
            events.subscribe(on);
        } catch (LinuxException e) {
            LOG.error("statesync: conntrack events: {}", e.getMessage());
        }
    }

    /** Reads the flagged master connections back from the kernel and sends their complete state. */
    private void refreshMasters(long now) {
        refreshAt = Long.MAX_VALUE;
        if (!active) {
            refresh.clear();
            return;
        }
        for (CtEntry.Key k : refresh) {
            try {
                requests.get(k).filter(filter::replicate).ifPresent(e -> sender.upsert(e, now));
            } catch (LinuxException e) {
                LOG.warn("statesync: cannot read back {}: {}", k.orig(), e.getMessage());
            }
        }
        refresh.clear();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- observation

    /**
     * The counters and sync state as {@code tandem info} shows them: the snapshot the state-sync loop
     * published last (at most 100 ms old); never waits for the loop.
     */
    public Map<String, Object> info() {
        return published;
    }

    private Map<String, Object> snapshot() {
        long now = System.nanoTime();
        Map<String, Object> m = new LinkedHashMap<>();
        String state;
        forgetSilentPeers(now);
        if (peersHeard.isEmpty()) {
            state = "peer-lost";
        } else if (active) {
            state = sender.resyncRunning() ? "resyncing" : "synchronized";
        } else {
            state = switch (receiver.state(now)) {
                case SYNCHRONIZED -> "synchronized";
                case RESYNCING -> "resyncing";
                case PEER_LOST -> "peer-lost";
            };
        }
        m.put("sync_state", state);
        m.put("role", active ? "sender" : "receiver");
        m.put("peer", tandem.vrrp.AddressText.format(peer.getAddress()) + ":" + cfg.port()
            + (cfg.multicast() != null ? " (multicast; heard " + String.join(", ", peersHeard.peers()) + ")" : ""));
        m.put("ops_sent", sender.opsSent());
        m.put("ops_retransmitted", sender.opsRetransmitted());
        m.put("messages_sent", sender.messagesSent());
        m.put("backlog", sender.backlogSize());
        m.put("resyncs_sent", sender.resyncs());
        m.put("resync_requests_received", sender.resyncRequests());
        m.put("resyncs_joined", sender.resyncsJoined());
        m.put("resyncs_restarted", sender.resyncsRestarted());
        m.put("ops_received", receiver.opsReceived());
        m.put("ops_applied", receiver.opsApplied());
        m.put("nacks_sent", receiver.nacksSent());
        m.put("ops_lost", receiver.lost());
        m.put("resyncs_requested", receiver.resyncsRequested());
        m.put("resyncs_received", receiver.resyncsCompleted());
        m.put("resyncs_restarted_seen", receiver.resyncsRestartedSeen());
        m.put("handshakes", handshakes.sum());
        m.put("cache_entries", receiver.cache().size());
        m.put("cache_bytes", receiver.cache().liveBytes());
        m.put("cache_expectations", receiver.expectations().size());
        m.put("datagrams_sent", datagramsSent.sum());
        m.put("datagrams_received", datagramsReceived.sum());
        Map<String, Object> d = new LinkedHashMap<>();
        drops.forEach((k, v) -> d.put(k.label(), v.sum()));
        m.put("drops", d);
        m.put("kernel_events", eventsSeen.sum());
        m.put("kernel_events_lost", eventsLost.sum());
        m.put("kernel_events_undecodable", eventsUndecodable.sum());
        m.put("kernel_event_resyncs", kernelResyncs.sum());
        m.put("last_commit_ms", lastCommitMillis < 0 ? null : lastCommitMillis); // null: never committed
        m.put("last_commit_entries", lastCommitCount);
        m.put("last_commit_expectations", lastCommitExpectations);
        m.put("last_commit_failed", lastCommitFailed);
        m.put("purged", purged);
        return m;
    }

    /** A copy of the external cache (the records are immutable, so another thread may format them). */
    public record CacheSnapshot(List<CtEntry> entries, List<CtExpect> expectations) {
    }

    /** The external cache, for {@code tandem conntrack cache}: taken on the loop, formatted elsewhere. */
    public CompletableFuture<CacheSnapshot> cacheSnapshot() {
        CompletableFuture<CacheSnapshot> f = new CompletableFuture<>();
        queue.add(() -> f.complete(new CacheSnapshot(receiver.cache().values(),
            List.copyOf(receiver.expectations().values()))));
        return f;
    }

    @Override
    public void close() {
        running = false;
        loop.interrupt();
        try {
            udp.close();
        } catch (IOException e) {
            LOG.debug("statesync close: {}", e.toString());
        }
        join(loop);
        join(udpReader);
        join(eventReader);
        events.close();
        requests.close();
    }

    private static void join(Thread t) {
        try {
            t.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
