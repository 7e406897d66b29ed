package tandem.node.daemon;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.linux.Announcer;
import tandem.linux.LinuxException;
import tandem.linux.Nftables;
import tandem.linux.Rtnetlink;
import tandem.node.config.NodeConfig;
import tandem.node.control.ControlRequest;
import tandem.node.control.ControlServer;
import tandem.node.loop.Clock;
import tandem.node.loop.EventLoop;
import tandem.node.reload.ReloadPlan;
import tandem.node.sync.StateSync;
import tandem.node.sync.StateSyncComponent;
import tandem.node.vrrp.AdvertChannel;
import tandem.node.vrrp.VrrpEngine;

/**
 * The tandem node on Linux: wires the {@link NodeCore} to rtnetlink, raw sockets, libnftables, state
 * sync and the control socket, and runs its loop on the calling thread under SCHED_RR.
 *
 * <p>Threads (docs/design/node.txt): the VRRP loop (SCHED_RR) owns the core; VRRP receivers
 * (SCHED_RR) and the link monitor only hand it tasks; a reload runs on its own thread and talks to
 * the loop through tasks; state sync has its own loop; the control socket reads published snapshots.
 * Nothing the loop runs blocks on another thread, forks, or waits for I/O beyond a netlink request.
 */
public final class Daemon {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.node");

    /** Startup failed; nothing was changed on the system when {@code exitCode} is 2. */
    public static final class StartupException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int exitCode;

        public StartupException(int exitCode, String message) {
            super(message, null, false, false);
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    private final EventLoop loop;
    private final NodeCore core;
    private final Rtnetlink rtnl;
    private final Rtnetlink reloadRtnl;
    private final Announcer announcer;
    private final Nftables nft;
    private final StateSync stateSync;
    private final Instant started;
    private final long startNanos;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final ExecutorService reloads = Executors.newSingleThreadExecutor(
        Thread.ofPlatform().daemon().name("reload").factory());
    private volatile NodeConfig config;
    private volatile boolean running = true;
    private volatile int exitCode;
    private Rtnetlink monitor;
    private Thread monitorThread;
    private ControlServer control;
    private volatile tandem.node.replication.ReplicationService replication;
    private tandem.node.ops.Services services;
    private tandem.node.ops.PingChecks pings;
    private IcmpProber prober;
    /** The last reload a received change caused, when it failed (shown as the sync state's reason). */
    private volatile String receivedReloadError;

    private Daemon(NodeConfig config, Rtnetlink rtnl, Rtnetlink reloadRtnl, Announcer announcer, Nftables nft,
                   StateSync stateSync) {
        this.config = config;
        this.rtnl = rtnl;
        this.reloadRtnl = reloadRtnl;
        this.announcer = announcer;
        this.nft = nft;
        this.stateSync = stateSync;
        Clock clock = Clock.system();
        this.started = Instant.ofEpochMilli(clock.wallMillis());
        this.startNanos = clock.nanos();
        AtomicReference<NodeCore> ref = new AtomicReference<>();
        this.loop = new EventLoop("vrrp", clock, (what, t) -> ref.get().failed(what, t));
        this.core = new NodeCore(loop, new NodeCore.Ports(LinuxChannel.FACTORY, LinuxPorts.addresses(rtnl),
            LinuxPorts.announcer(announcer), LinuxPorts.links(rtnl), LinuxPorts.routes(rtnl),
            (group, drop) -> nft.run(Layer2Rules.drop(this.config, group, drop))), code -> {
                exitCode = code;
                running = false;
            });
        ref.set(core);
    }

    // ---------------------------------------------------------------- startup

    /**
     * Checks the configuration against the system, then removes stale virtual addresses, writes the
     * nftables table, opens the sockets and the control socket. On a failed check nothing has been
     * changed (exit code 2); a later failure undoes what was done (exit code 1).
     */
    public static Daemon start(NodeConfig config) throws StartupException {
        List<AutoCloseable> opened = new ArrayList<>();
        Daemon d = null;
        boolean tableWritten = false;
        Nftables nft = null;
        try {
            Rtnetlink rtnl = open(Rtnetlink::open, "rtnetlink", opened);
            List<String> problems = Preflight.problems(config);
            if (!problems.isEmpty()) {
                // every problem at once, as tandem check reports them
                throw new StartupException(2, String.join("\n", problems));
            }
            Map<String, VrrpEngine.Placement> placements = Preflight.check(config, rtnl);
            try {
                ControlServer.checkFree(config.controlSocket());
            } catch (IOException e) {
                throw new StartupException(2, e.getMessage());
            }
            nft = open(Nftables::open, "libnftables", opened);
            nft.check(NftRules.script(config));
            Rtnetlink reloadRtnl = open(Rtnetlink::open, "rtnetlink", opened);
            Announcer announcer = open(Announcer::new, "packet socket", opened);
            StateSync sync = null;
            if (config.stateSync() != null) {
                sync = new StateSync(config.stateSync(), config.nodeName(), Preflight.ownAddresses(config, rtnl));
                opened.add(sync);
            }
            d = new Daemon(config, rtnl, reloadRtnl, announcer, nft, sync);
            NodeConfig.Hotwire hw = config.replication() == null ? null : config.replication().hotwire();
            if (hw != null) {
                d.core.hotwireInterface(rtnl.interfaceOf(hw.local()));
            }
            d.removeStaleAddresses(placements);
            nft.run(NftRules.script(config) + Layer2Rules.tables(config));
            tableWritten = true;
            d.open(placements);
            return d;
        } catch (StartupException e) {
            undoStart(d, opened, nft, tableWritten);
            throw e;
        } catch (LinuxException | IOException | tandem.linux.NftablesException e) {
            undoStart(d, opened, nft, tableWritten);
            throw new StartupException(1, e.getMessage());
        } catch (RuntimeException e) {
            undoStart(d, opened, nft, tableWritten);
            throw new StartupException(1, e.toString());
        }
    }

    @FunctionalInterface
    private interface Opener<T> {
        T open() throws IOException;
    }

    private static <T extends AutoCloseable> T open(Opener<T> o, String what, List<AutoCloseable> opened)
        throws StartupException {
        try {
            T t = o.open();
            opened.add(t);
            return t;
        } catch (LinuxException | IOException | tandem.linux.NftablesException e) {
            throw new StartupException(1, "cannot open " + what + ": " + e.getMessage()
                + " (expected: running as root or with CAP_NET_ADMIN and CAP_NET_RAW)");
        }
    }

    private static void undoStart(Daemon d, List<AutoCloseable> opened, Nftables nft, boolean tableWritten) {
        if (d != null) {
            if (d.replication != null) {
                d.replication.close();
            }
            d.core.vrrp().closeChannels();
            if (d.control != null) {
                d.control.close();
            }
        }
        if (tableWritten) {
            try {
                nft.run(NftRules.removal() + Layer2Rules.removal());
            } catch (RuntimeException e) {
                LOG.warn("cannot remove the nftables table inet {}: {}", NftRules.TABLE, e.getMessage());
            }
        }
        for (AutoCloseable c : opened.reversed()) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing after a failed start: {}", e.toString());
            }
        }
    }

    /** Virtual addresses of our instances still on the interfaces were left by an earlier run. */
    private void removeStaleAddresses(Map<String, VrrpEngine.Placement> placements) {
        for (NodeConfig.Instance i : config.instances()) {
            if (i.priority() == tandem.vrrp.VrrpConstants.PRIORITY_OWNER) {
                continue;
            }
            for (NodeConfig.Cidr c : i.virtualAddresses()) {
                if (rtnl.removeAddress(placements.get(i.name()).ifindex(), c.address(), c.prefixLength())) {
                    LOG.warn("{}: removed stale virtual address {} from {} (left by an earlier run)", i.name(), c,
                        i.interfaceName());
                }
            }
        }
    }

    private void open(Map<String, VrrpEngine.Placement> placements) throws IOException {
        monitor = Rtnetlink.monitor(Rtnetlink.GROUP_LINK | Rtnetlink.GROUP_IPV6_IFADDR);
        services = new tandem.node.ops.Services(loop, tandem.services.ServiceHost.create(), config,
            () -> core.vrrp().config(), g -> core.coordinator().role(g));
        core.addComponentFactory(services::component);
        core.load(config, placements);
        core.addHealthSource(services);
        prober = new IcmpProber();
        pings = new tandem.node.ops.PingChecks(loop, prober, () -> core.vrrp().config());
        core.addHealthSource(pings);
        core.addViewContributor("services", services::views);
        core.addViewContributor("ping_checks", pings::views);
        if (stateSync != null) {
            stateSync.vrrpSources(placements.values().stream().map(VrrpEngine.Placement::source)
                .filter(java.util.Objects::nonNull).distinct().toList());
            String group = config.stateSync().group();
            core.addRoleBound(group, new StateSyncComponent(stateSync, Duration.ofSeconds(30)));
            core.holdPreemption("statesync", group, true, "connection state not yet synchronized");
            stateSync.onSynchronized(sync -> loop.execute("statesync gate", () -> core.holdPreemption("statesync",
                group, !sync, sync ? "connection state synchronized" : "connection state not synchronized")));
        }
        for (String ifname : core.trackedInterfaces()) {
            Rtnetlink.Link l = rtnl.link(ifname);
            core.linkChanged(ifname, l == null ? -1 : l.index(), l == null ? null : l.mac(), l != null && l.operational());
        }
        if (config.replication() != null && config.replication().hotwire() != null) {
            replication = tandem.node.replication.ReplicationService.start(config, Version.current(), this::reloadReceived,
                next -> reloadProblems(this.config, next));
        }
        control = ControlServer.open(config.controlSocket(), new Backend());
        monitorThread = Thread.ofPlatform().daemon().name("link-monitor").start(this::monitorLinks);
        if (stateSync != null) {
            stateSync.start();
        }
    }

    // ---------------------------------------------------------------- run and stop

    /** Runs the loop until {@link #stop} or a fatal failure; returns the exit code (0 or 1). */
    public int run() {
        Realtime.enterCurrentThread();
        try {
            core.start();
            LOG.info("node {} started: {} instance(s) in {} group(s), control socket {}", config.nodeName(),
                config.instances().size(), core.vrrp().groups().size(), config.controlSocket());
            notifySystemd("READY=1\nSTATUS=" + core.view().clusterState());
            loop.run(() -> running);
            notifySystemd("STOPPING=1");
        } catch (Throwable t) {
            LOG.error("the VRRP loop died", t);
            exitCode = 1;
        } finally {
            // never leave with the cluster addresses, whatever happened
            core.removeAllAddresses();
            closeResources();
            stopped.countDown();
        }
        return exitCode;
    }

    private static void notifySystemd(String state) {
        try {
            tandem.linux.SdNotify.notify(state);
        } catch (RuntimeException e) {
            LOG.warn("sd_notify: {}", e.getMessage());
        }
    }

    /** Stops the loop from any thread (resign, release, exit) and waits up to 6 s for it. */
    public void stop(String reason) {
        loop.execute("stop", () -> core.stop(reason));
        try {
            stopped.await(6, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeResources() {
        reloads.shutdownNow();
        if (pings != null) {
            pings.close();
            prober.close();
        }
        if (services != null) {
            List<String> left = services.close(Duration.ofSeconds(15));
            if (!left.isEmpty()) {
                LOG.error("services that did not stop within 15 s: {}", left);
            }
        }
        if (replication != null) {
            replication.close();
        }
        if (control != null) {
            control.close();
        }
        if (stateSync != null) {
            stateSync.close();
        }
        try {
            nft.run(NftRules.removal() + Layer2Rules.removal());
        } catch (RuntimeException e) {
            LOG.warn("cannot remove the nftables table inet {}: {}", NftRules.TABLE, e.getMessage());
        }
        nft.close();
        running = false;
        if (monitorThread != null) {
            try {
                monitorThread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        core.vrrp().closeChannels();
        if (monitor != null) {
            monitor.close();
        }
        announcer.close();
        reloadRtnl.close();
        rtnl.close();
    }

    // ---------------------------------------------------------------- links

    private void monitorLinks() {
        while (running) {
            try {
                for (Rtnetlink.Event e : monitor.readEvents()) {
                    if (e instanceof Rtnetlink.LinkEvent le && le.link().name() != null) {
                        Rtnetlink.Link l = le.link();
                        boolean up = !le.deleted() && l.operational();
                        loop.execute("link " + l.name(), () -> core.linkChanged(l.name(), le.deleted() ? -1 : l.index(),
                            l.mac(), up));
                    } else if (e instanceof Rtnetlink.AddressEvent ae) {
                        int idx = ae.address().index();
                        java.net.InetAddress src = linkLocal(idx);
                        loop.execute("address on " + idx, () -> core.ipv6SourceChanged(idx, src));
                    }
                }
            } catch (LinuxException e) {
                if (!running) {
                    return;
                }
                if (e.errno() == tandem.linux.Libc.ENOBUFS) {
                    LOG.warn("link monitor lost notifications (ENOBUFS); re-reading all tracked links");
                    rereadLinks();
                } else {
                    LOG.error("link monitor: {}", e.getMessage());
                    sleep(200);
                }
            } catch (RuntimeException e) {
                LOG.error("link monitor (it goes on)", e);
                sleep(200);
            }
        }
    }

    private java.net.InetAddress linkLocal(int ifindex) {
        synchronized (reloadRtnl) {
            for (Rtnetlink.IfAddress a : reloadRtnl.addresses(ifindex, tandem.linux.Libc.AF_INET6)) {
                if (a.address().isLinkLocalAddress()) {
                    return a.address();
                }
            }
            return null;
        }
    }

    private void rereadLinks() {
        java.util.concurrent.CompletableFuture<Set<String>> names = new java.util.concurrent.CompletableFuture<>();
        loop.execute("tracked links", () -> names.complete(core.trackedInterfaces()));
        for (String name : names.join()) {
            Rtnetlink.Link l;
            synchronized (reloadRtnl) {
                l = reloadRtnl.link(name);
            }
            loop.execute("link " + name, () -> core.linkChanged(name, l == null ? -1 : l.index(), l == null ? null : l.mac(),
                l != null && l.operational()));
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- reload

    /**
     * Applies a validated configuration (SIGHUP), off the loop: checks it against the system, opens the
     * new sockets, writes the new nftables table, then commits on the loop. A failure at any step undoes
     * the steps before it, keeps the running configuration, and the log and the future say which step
     * failed and what was undone.
     */
    public CompletableFuture<String> reload(NodeConfig next) {
        CompletableFuture<String> f = new CompletableFuture<>();
        reloads.execute(() -> {
            try {
                f.complete(applyReload(next));
            } catch (StartupException | RuntimeException e) {
                LOG.error("reload rejected, the running configuration stays: {}", e.getMessage());
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /**
     * Why {@code next} cannot be taken by a reload of a node running {@code current} (what only a
     * restart changes, services that cannot run here, the system checks of {@code tandem check});
     * empty when it can. Also asked before a peer's configuration is swapped in: a node refuses what it
     * could not reload, so nothing is half-applied.
     */
    public static List<String> reloadProblems(NodeConfig current, NodeConfig next) {
        List<String> out = new ArrayList<>();
        if (!next.controlSocket().equals(current.controlSocket())) {
            out.add("control.socket changed from " + current.controlSocket() + " to " + next.controlSocket()
                + " (expected: unchanged on reload; restart to move the socket)");
        }
        if (!java.util.Objects.equals(next.stateSync(), current.stateSync())
            && !StateSync.onlyFiltersDiffer(current.stateSync(), next.stateSync())) {
            out.add("statesync changed (expected: unchanged on reload but for protocols, ignore, mark-bit and"
                + " skip-dns-icmp; restart to change the others)");
        }
        NodeConfig.Hotwire hwBefore = current.replication() == null ? null : current.replication().hotwire();
        NodeConfig.Hotwire hwAfter = next.replication() == null ? null : next.replication().hotwire();
        if (!java.util.Objects.equals(hwBefore == null ? null : hwBefore.withPeers(List.of()),
            hwAfter == null ? null : hwAfter.withPeers(List.of()))) {
            out.add("hotwire changed (expected: unchanged on reload but for its peers; restart to change its address,"
                + " port, keys, state or root)");
        }
        if (!next.nodeName().equals(current.nodeName())) {
            out.add("node.name changed from " + current.nodeName() + " to " + next.nodeName()
                + " (expected: unchanged on reload; restart to rename the node)");
        }
        if (!Layer2Rules.groups(next).equals(Layer2Rules.groups(current)) || Layer2Rules.groups(current).stream()
            .anyMatch(g -> g.instances().stream().anyMatch(i -> !java.util.Objects.equals(current.instance(i), next.instance(i))))) {
            out.add("a group with takeover: layer2 changed (expected: unchanged on reload; restart to change layer-2"
                + " groups, their members or addresses)");
        }
        for (NodeConfig.Service sv : next.operations().services()) {
            out.addAll(tandem.services.ServiceHost.preflight(sv.spec()));
        }
        out.addAll(Preflight.problems(next));
        return out;
    }

    private String applyReload(NodeConfig next) throws StartupException {
        NodeConfig current = config;
        List<String> problems = reloadProblems(current, next);
        if (!problems.isEmpty()) {
            throw new StartupException(2, String.join("\n", problems));
        }
        boolean refilter = !java.util.Objects.equals(next.stateSync(), current.stateSync());
        Map<String, VrrpEngine.Placement> placements;
        synchronized (reloadRtnl) {
            placements = Preflight.check(next, reloadRtnl);
        }
        // step 1 (nothing changed yet): what the loop must do, and the sockets it needs
        Set<String> toOpen = onLoop(() -> core.channelsToOpen(next));
        Map<String, AdvertChannel> opened = new HashMap<>();
        List<String> done = new ArrayList<>();
        try {
            for (String key : toOpen) {
                String[] k = key.split("/");
                NodeConfig.Instance i = next.instances().stream().filter(x -> x.interfaceName().equals(k[0])
                    && x.ipv6() == k[1].equals("ipv6")).findFirst().orElseThrow();
                VrrpEngine.Placement p = placements.get(i.name());
                opened.put(key, LinuxChannel.FACTORY.open(k[0], p.ifindex(), i.ipv6(), p.source(),
                    pkt -> loop.execute("advert from " + pkt.ifname(), () -> core.vrrp().onPacket(pkt))));
                done.add("opened the VRRP socket of " + key);
            }
            // step 2: the nftables table, one transaction (undone by writing the running one again)
            nft.run(NftRules.script(next));
            done.add("wrote the nftables table");
            // step 3: on the loop, addresses first (undone there on failure), then the state machines
            NodeConfig previous = current;
            NodeCore.Committed c = onLoop(() -> {
                ReloadPlan plan = core.plan(next);
                NodeCore.Committed committed = core.commitReload(next, plan, placements, opened);
                services.reconfigure(next);
                pings.reconfigure(previous, next);
                previous.operations().pingChecks().stream().filter(p -> !next.operations().pingChecks().contains(p))
                    .forEach(p -> prober.forget(p.name()));
                return committed;
            });
            config = next;
            c.unused().forEach(AdvertChannel::close);
            if (refilter) {
                stateSync.refilter(next.stateSync());
            }
            if (replication != null) {
                replication.reconfigure(next);
            }
            String summary = "reloaded " + next.file() + ": " + c.summary();
            LOG.info(summary);
            return summary;
        } catch (RuntimeException e) {
            List<String> undone = new ArrayList<>();
            if (done.contains("wrote the nftables table")) {
                try {
                    nft.run(NftRules.script(current));
                    undone.add("restored the nftables table");
                } catch (RuntimeException u) {
                    undone.add("could not restore the nftables table: " + u.getMessage());
                }
            }
            opened.values().forEach(AdvertChannel::close);
            if (!opened.isEmpty()) {
                undone.add("closed " + opened.size() + " new socket(s)");
            }
            throw new IllegalStateException("reload of " + next.file() + " failed after " + (done.isEmpty() ? "no step"
                : String.join(", ", done)) + ": " + rootMessage(e) + (undone.isEmpty() ? "" : "; " + String.join(", ", undone))
                + "; the running configuration stays", e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
            && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    /** Runs {@code body} on the loop and waits for it (from the reload thread; the loop never waits for us). */
    private <T> T onLoop(java.util.function.Supplier<T> body) {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute("reload", () -> {
            try {
                f.complete(body.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        try {
            return f.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the VRRP loop did not take the reload within 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    /**
     * A peer's push replaced the shared configuration (or a rollback restored one): reload it like
     * SIGHUP. A configuration the node cannot take was refused before the swap (the receiver checks it
     * with this node's file and the system checks), so a failure here is unexpected; it is logged and
     * shown in {@code sync_state_reason}.
     */
    private CompletableFuture<String> reloadReceived(String why) {
        NodeConfig next;
        try {
            next = tandem.node.config.ConfigLoader.load(config.file());
        } catch (tandem.node.config.ConfigException e) {
            receivedReloadError = why + ": the configuration does not load: " + e.getMessage();
            LOG.error("{}", receivedReloadError);
            return CompletableFuture.failedFuture(new IllegalStateException(receivedReloadError));
        }
        LOG.info("{}: reloading {}", why, config.file());
        return reload(next).whenComplete((summary, e) -> receivedReloadError = e == null ? null
            : why + ": reload failed: " + rootMessage(e));
    }

    // ---------------------------------------------------------------- observation

    /** The state-sync service, or null when not configured. */
    public StateSync stateSync() {
        return stateSync;
    }

    /**
     * {@code tandem info} as a map: published snapshots, never waiting for a loop. Every key
     * (docs/operations.md); the CLI's summary shows a subset under the same names.
     */
    public Map<String, Object> info() {
        NodeCore.View v = core.view();
        NodeConfig cfg = config;
        Map<String, String> names = stateSync == null ? Map.of() : stateSync.peerNames();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", cfg.nodeName());
        m.put("cluster_state", v.clusterState());
        tandem.node.replication.ReplicationService.State rs = replication == null ? null : replication.state();
        String reloadError = receivedReloadError;
        if (rs == null) {
            m.put("sync_state", "disabled");
        } else {
            m.put("sync_state", reloadError != null ? "error" : rs.syncState());
            m.put("sync_state_reason", reloadError != null ? reloadError : rs.reason());
        }
        NodeCore.HotwireView hw = v.hotwire();
        if (hw != null || replication != null) {
            m.put("hotwire_dev", hw == null ? "" : hw.device());
            m.put("hotwire", hw == null || hw.carrier() == null ? "unknown" : hw.carrier() ? "up" : "down");
        }
        Map<String, Object> si = stateSync == null ? null : stateSync.info();
        m.put("conntrack_sync_state", si == null ? "disabled" : si.get("sync_state"));
        if (si != null) {
            String peerAddress = String.valueOf(si.get("peer"));
            String peerNode = String.join(", ", stateSync.peerNodes());
            m.put("conntrack_peer", peerNode.isEmpty() ? peerAddress : peerNode + " " + peerAddress);
        }
        List<String> problems = new ArrayList<>();
        List<Map<String, Object>> instances = new ArrayList<>();
        for (VrrpEngine.InstanceView iv : v.instances()) {
            Map<String, Object> i = new LinkedHashMap<>();
            ControlServer.toMap(iv).forEach((k, val) -> {
                i.put(k, val);
                if (k.equals("master")) {
                    i.put("master_node", iv.master() == null ? "" : iv.master().equals(iv.source()) && iv.state().equals("master")
                        ? cfg.nodeName() : names.getOrDefault(iv.master(), ""));
                }
            });
            instances.add(i);
            iv.configMismatch().forEach(x -> problems.add("instance " + iv.name() + ": configuration differs from " + x));
            if (iv.state().equals("fault")) {
                problems.add("instance " + iv.name() + ": fault: " + iv.lastTransitionReason());
            }
        }
        for (tandem.node.health.HealthBoard.Report r : v.health()) {
            if (r.health().state() == tandem.node.health.Health.State.DEMOTE) {
                problems.add("instance " + r.instance() + ": " + r.health().reason() + " (demoted by " + r.health().weight() + ")");
            }
        }
        if (si != null && "peer-lost".equals(si.get("sync_state"))) {
            problems.add("conntrack sync: no peer heard for 3 s");
        }
        for (NodeCore.TriggerView t : v.triggers()) {
            if (!t.state().equals("ok") && !t.name().startsWith("link:") && !t.name().startsWith("hotwire:")) {
                problems.add("trigger " + t.name() + " " + t.state() + ": " + t.reason());
            }
        }
        if (hw != null && Boolean.FALSE.equals(hw.carrier())) {
            problems.add("hotwire " + hw.device() + " down (no carrier)");
        }
        if (rs != null && !rs.syncState().equals("synchronized")) {
            problems.add("config sync " + (reloadError != null ? "error" : rs.syncState()) + ": "
                + (reloadError != null ? reloadError : rs.reason()));
        }
        if (v.loopFailures() > 0) {
            problems.add("vrrp loop: " + v.loopFailures() + " task failure(s) (see the log)");
        }
        m.put("problems", problems);
        m.put("uptime_seconds", (System.nanoTime() - startNanos) / 1_000_000_000L);
        m.put("started", started.toString());
        m.put("pid", ProcessHandle.current().pid());
        m.put("config", cfg.file().toString());
        m.put("instances", instances);
        m.put("groups", v.groups());
        m.put("triggers", v.triggers());
        v.extra().forEach(m::put);
        m.put("health", v.health());
        m.put("channels", v.channels());
        if (si != null) {
            m.put("statesync", si);
        }
        if (rs != null) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("address", tandem.vrrp.AddressText.format(replication.address().getAddress()) + " port "
                + replication.address().getPort());
            r.put("fingerprint", replication.keys().fingerprint());
            r.put("checked", rs.checked() == null ? "" : rs.checked().toString());
            r.put("peers", rs.peers());
            m.put("replication", r);
        }
        m.put("loop", Map.of("turns", v.loopTurns(), "failures", v.loopFailures(), "longest_turn_ms", v.longestTurnMs()));
        return m;
    }

    private final class Backend implements ControlServer.Backend {
        @Override
        public Map<String, Object> config(ControlRequest.Verb verb) throws IOException {
            tandem.node.replication.ReplicationService r = replication;
            if (r == null) {
                throw new IOException("configuration replication is not configured on this node (expected: a node-local"
                    + " file with shared: and a hotwire section)");
            }
            Map<String, Object> out = new LinkedHashMap<>();
            switch (verb) {
                case CONFIG_SYNC -> {
                    tandem.node.replication.ReplicationService.SyncResult res = r.sync();
                    out.put("ok", res.ok());
                    out.put("peers", res.peers());
                }
                case CONFIG_DIFF -> out.put("peers", r.diff());
                case CONFIG_FILES -> out.putAll(r.files());
                case CONFIG_ROLLBACK -> {
                    tandem.replication.apply.ApplyResult res = r.rollback();
                    out.put("ok", res.ok());
                    out.put("outcome", res.outcome().name().toLowerCase(java.util.Locale.ROOT));
                    out.put("message", res.message());
                    out.put("generation", res.generation());
                }
                default -> throw new IOException("not a configuration request: " + verb.wire());
            }
            return out;
        }

        @Override
        public Map<String, Object> info() {
            return Daemon.this.info();
        }

        @Override
        public Map<String, Object> conntrackStats() {
            return stateSync == null ? null : stateSync.info();
        }

        @Override
        public CompletableFuture<List<?>> conntrackCache() {
            if (stateSync == null) {
                return null;
            }
            return stateSync.cacheSnapshot().thenApply(s -> {
                List<Object> all = new ArrayList<>(s.entries().size() + s.expectations().size());
                all.addAll(s.entries());
                all.addAll(s.expectations());
                return all;
            });
        }
    }
}
