package tandem.node.daemon;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.linux.Announcer;
import tandem.linux.Libc;
import tandem.linux.LinuxException;
import tandem.linux.Rtnetlink;
import tandem.linux.VrrpSocket;
import tandem.node.config.NodeConfig;
import tandem.vrrp.DropReason;
import tandem.vrrp.VrrpAdvertisement;
import tandem.vrrp.VrrpCodec;
import tandem.vrrp.VrrpConstants;
import tandem.vrrp.VrrpDecodeException;
import tandem.vrrp.fsm.Effect;
import tandem.vrrp.fsm.RouterConfig;
import tandem.vrrp.fsm.SyncGroup;
import tandem.vrrp.fsm.VrrpRouter;
import tandem.vrrp.fsm.VrrpState;

/**
 * The tandem node: one loop thread owns every state machine and does all kernel changes; receiver
 * threads and the link monitor only put events on its queue. The loop sleeps until the next timer of
 * any instance (see {@link #nextDeadline}) or the next event.
 */
public final class Daemon {
    private static final Logger LOG = LoggerFactory.getLogger("tandem");

    /** Startup failed; nothing was changed on the system when {@code exitCode} is 2. */
    public static final class StartupException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int exitCode;

        StartupException(int exitCode, String message) {
            super(message, null, false, false);
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    private final LongSupplier clock = System::nanoTime;
    private final BlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final Rtnetlink rtnl;
    private final Announcer announcer;
    private final Map<String, Channel> channels = new LinkedHashMap<>();
    private final Map<String, InstanceRuntime> instances = new LinkedHashMap<>();
    private final Map<VrrpRouter, SyncGroup> groupOf = new HashMap<>();
    private final Map<VrrpRouter, InstanceRuntime> runtimeOf = new HashMap<>();
    private final List<SyncGroup> groups = new ArrayList<>();
    private final Map<String, Rtnetlink.Link> links = new HashMap<>();
    private final DropLog dropLog = new DropLog();
    private final long startNanos;
    private final long startWallMillis;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private NodeConfig config;
    private Rtnetlink monitor;
    private Thread monitorThread;
    private ControlServer control;
    private final AcceptFilter acceptFilter;
    private tandem.node.sync.StateSync stateSync;
    private boolean syncActive;
    /**
     * While the replicated connections are being committed (this node just became master): the VIP and
     * gratuitous-ARP effects of the sync group, held until the commit is done. The loop goes on meanwhile,
     * so the new master keeps advertising however long the commit takes. Null when no commit runs.
     */
    private List<Effect> heldUntilCommitted;
    private volatile boolean running = true;
    private String stopReason = "shutdown";

    private Daemon(NodeConfig config, Rtnetlink rtnl, Announcer announcer) {
        this.config = config;
        this.rtnl = rtnl;
        this.announcer = announcer;
        this.acceptFilter = new AcceptFilter(config.nodeName());
        this.startNanos = clock.getAsLong();
        this.startWallMillis = System.currentTimeMillis();
    }

    // ---------------------------------------------------------------- startup

    /**
     * Checks the configuration against the system, then removes stale virtual addresses, opens the
     * sockets and the control socket. On a failed check nothing has been changed (exit code 2).
     */
    public static Daemon start(NodeConfig config) throws StartupException {
        Rtnetlink rtnl;
        try {
            rtnl = Rtnetlink.open();
        } catch (LinuxException e) {
            throw new StartupException(1, "cannot open rtnetlink: " + e.getMessage() + " (expected: running as root or with CAP_NET_ADMIN)");
        }
        Announcer announcer = null;
        Daemon d = null;
        try {
            Map<String, InetAddress> sources = preflight(config, rtnl);
            ControlServer.checkFree(config.controlSocket());
            announcer = new Announcer();
            d = new Daemon(config, rtnl, announcer);
            d.open(sources);
            return d;
        } catch (StartupException e) {
            closeQuietly(d, announcer, rtnl);
            throw e;
        } catch (LinuxException | java.io.IOException e) {
            closeQuietly(d, announcer, rtnl);
            throw new StartupException(1, e.getMessage());
        }
    }

    private static void closeQuietly(Daemon d, Announcer announcer, Rtnetlink rtnl) {
        if (d != null) {
            d.closeResources();
            return;
        }
        if (announcer != null) {
            announcer.close();
        }
        rtnl.close();
    }

    /** Validates interfaces and addresses; returns the advert source address per instance. */
    private static Map<String, InetAddress> preflight(NodeConfig config, Rtnetlink rtnl) throws StartupException {
        Map<String, InetAddress> sources = new HashMap<>();
        for (NodeConfig.Instance i : config.instances()) {
            Rtnetlink.Link link = rtnl.link(i.interfaceName());
            if (link == null) {
                throw new StartupException(2, config.file() + ": instance " + i.name() + ": interface "
                    + i.interfaceName() + ": no such interface on this node (expected: an existing interface)");
            }
            for (NodeConfig.Track t : i.tracks()) {
                if (rtnl.link(t.interfaceName()) == null) {
                    throw new StartupException(2, config.file() + ": instance " + i.name() + ": track-interfaces: "
                        + t.interfaceName() + ": no such interface on this node (expected: an existing interface)");
                }
            }
            InetAddress src = sourceAddress(rtnl, link.index(), i);
            if (src == null && !i.ipv6()) {
                throw new StartupException(2, config.file() + ": instance " + i.name() + ": interface "
                    + i.interfaceName() + " has no IPv4 address of its own (expected: a primary IPv4 address to send"
                    + " VRRP advertisements from, besides the virtual addresses)");
            }
            sources.put(i.name(), src);
        }
        return sources;
    }

    /** IPv4: the first primary address that is not one of the VIPs (unless owner); IPv6: the link-local address. */
    private static InetAddress sourceAddress(Rtnetlink rtnl, int ifindex, NodeConfig.Instance i) {
        Set<InetAddress> vips = new HashSet<>();
        i.virtualAddresses().forEach(c -> vips.add(c.address()));
        boolean owner = i.priority() == VrrpConstants.PRIORITY_OWNER;
        for (Rtnetlink.IfAddress a : rtnl.addresses(ifindex, i.ipv6() ? Libc.AF_INET6 : Libc.AF_INET)) {
            if (i.ipv6()) {
                if (a.address().isLinkLocalAddress()) {
                    return a.address();
                }
            } else if (!a.secondary() && (owner || !vips.contains(a.address()))) {
                return a.address();
            }
        }
        return null;
    }

    private void open(Map<String, InetAddress> sources) throws java.io.IOException {
        monitor = Rtnetlink.monitor(Rtnetlink.GROUP_LINK | Rtnetlink.GROUP_IPV6_IFADDR);
        for (NodeConfig.Instance i : config.instances()) {
            addInstance(i, sources.get(i.name()));
        }
        rebuildGroups();
        for (InstanceRuntime rt : instances.values()) {
            removeStaleAddresses(rt);
        }
        acceptFilter.apply(config);
        if (config.stateSync() != null) {
            stateSync = new tandem.node.sync.StateSync(config.stateSync(), config.nodeName(), ownAddresses());
        }
        control = ControlServer.open(config.controlSocket(), this);
        monitorThread = Thread.ofPlatform().daemon().name("link-monitor").start(this::monitorLinks);
        for (Channel c : channels.values()) {
            c.start();
        }
        if (stateSync != null) {
            stateSync.start();
        }
    }

    /** The node's own addresses (all interfaces, both families) without the virtual ones. */
    private Set<InetAddress> ownAddresses() {
        Set<InetAddress> vips = new HashSet<>();
        config.instances().forEach(i -> i.virtualAddresses().forEach(c -> vips.add(c.address())));
        Set<InetAddress> own = new HashSet<>();
        for (int family : new int[] {Libc.AF_INET, Libc.AF_INET6}) {
            for (Rtnetlink.IfAddress a : rtnl.addresses(0, family)) {
                if (!vips.contains(a.address())) {
                    own.add(a.address());
                }
            }
        }
        return own;
    }

    private void addInstance(NodeConfig.Instance i, InetAddress source) {
        Rtnetlink.Link link = rtnl.link(i.interfaceName());
        links.put(link.name(), link);
        for (NodeConfig.Track t : i.tracks()) {
            Rtnetlink.Link tl = rtnl.link(t.interfaceName());
            if (tl != null) {
                links.put(tl.name(), tl);
            }
        }
        String key = i.interfaceName() + (i.ipv6() ? "/6" : "/4");
        Channel ch = channels.get(key);
        if (ch == null) {
            VrrpSocket s = VrrpSocket.open(i.interfaceName(), link.index(), i.ipv6(), source);
            ch = new Channel(i.interfaceName(), i.ipv6(), s, r -> queue.add(() -> onPacket(r)));
            channels.put(key, ch);
            if (monitorThread != null) {
                ch.start();
            }
        }
        VrrpRouter router = new VrrpRouter(routerConfig(i), source);
        InstanceRuntime rt = new InstanceRuntime(i, router);
        rt.channel = ch;
        rt.ifindex = link.index();
        rt.mac = link.mac();
        rt.source = source;
        rt.lastTransitionWallMillis = System.currentTimeMillis();
        ch.byVrid.put(i.vrid(), rt);
        instances.put(i.name(), rt);
        runtimeOf.put(router, rt);
    }

    static RouterConfig routerConfig(NodeConfig.Instance i) {
        List<InetAddress> vips = i.virtualAddresses().stream().map(NodeConfig.Cidr::address).toList();
        byte[] pass = java.util.Arrays.copyOf(i.password().getBytes(StandardCharsets.UTF_8), 8);
        return new RouterConfig(i.name(), i.version(), i.vrid(), i.priority(),
            (int) (i.advertInterval().toMillis() / 10), i.preempt(), i.preemptDelay().toNanos(), i.accept(), vips,
            i.authType(), i.password().isEmpty() ? null : pass, i.checksumMode());
    }

    private void rebuildGroups() {
        groups.clear();
        groupOf.clear();
        Set<String> grouped = new HashSet<>();
        for (NodeConfig.Group g : config.groups()) {
            List<VrrpRouter> members = g.instances().stream().map(n -> instances.get(n).router).toList();
            SyncGroup sg = new SyncGroup(g.name(), members);
            groups.add(sg);
            members.forEach(m -> groupOf.put(m, sg));
            grouped.addAll(g.instances());
        }
        for (InstanceRuntime rt : instances.values()) {
            if (!grouped.contains(rt.name())) {
                SyncGroup sg = new SyncGroup(rt.name(), List.of(rt.router));
                groups.add(sg);
                groupOf.put(rt.router, sg);
            }
        }
    }

    /** On start: virtual addresses of our instances still on the interface were left by an earlier run. */
    private void removeStaleAddresses(InstanceRuntime rt) {
        if (rt.config.priority() == VrrpConstants.PRIORITY_OWNER) {
            return;
        }
        for (NodeConfig.Cidr c : rt.config.virtualAddresses()) {
            if (rtnl.removeAddress(rt.ifindex, c.address(), c.prefixLength())) {
                LOG.warn("{}: removed stale virtual address {} from {} (left by an earlier run)", rt.name(), c,
                    rt.config.interfaceName());
            }
        }
    }

    // ---------------------------------------------------------------- loop

    /** Runs until {@link #stop}; then resigns every master (priority 0), removes the VIPs and closes. */
    public void run() {
        Realtime.enterCurrentThread();
        try {
            long now = clock.getAsLong();
            List<Effect> out = new ArrayList<>();
            for (InstanceRuntime rt : instances.values()) {
                applyLinkState(now, rt, out);
            }
            for (SyncGroup g : groups) {
                g.startup(now, out);
            }
            execute(now, out);
            LOG.info("node {} started: {} instance(s) in {} group(s), control socket {}", config.nodeName(),
                instances.size(), groups.size(), config.controlSocket());
            notifySystemd("READY=1\nSTATUS=" + clusterState());
            while (running) {
                now = clock.getAsLong();
                long wait = nextDeadline() - now;
                Runnable task = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
                if (task != null) {
                    task.run();
                    Runnable more;
                    while ((more = queue.poll()) != null) {
                        more.run();
                    }
                }
                holdPreemptionUntilSynchronized();
                fireTimers(clock.getAsLong());
            }
            notifySystemd("STOPPING=1");
            shutdownInstances(clock.getAsLong(), stopReason);
        } catch (InterruptedException e) {
            shutdownInstances(clock.getAsLong(), "interrupted");
            Thread.currentThread().interrupt();
        } finally {
            closeResources();
            stopped.countDown();
        }
    }

    private static void notifySystemd(String state) {
        try {
            tandem.linux.SdNotify.notify(state);
        } catch (RuntimeException e) {
            LOG.warn("sd_notify: {}", e.getMessage());
        }
    }

    /**
     * A standby whose connection cache is not yet in sync must not preempt the master: it would commit
     * an incomplete table and break the connections it is meant to keep.
     */
    private void holdPreemptionUntilSynchronized() {
        if (stateSync == null) {
            return;
        }
        boolean hold = !syncActive && !stateSync.standbySynchronized();
        for (SyncGroup g : groups) {
            if (g.name().equals(stateSync.group())) {
                for (VrrpRouter r : g.members()) {
                    if (r.preemptHeld() != hold) {
                        r.setPreemptHeld(hold);
                        LOG.info("{}: preemption {} (connection state {})", r.name(), hold ? "held" : "released",
                            hold ? "not yet synchronized" : "synchronized");
                    }
                }
            }
        }
    }

    /** The earliest timer of any instance: VRRP timers, pending announcements, refreshes. */
    long nextDeadline() {
        long d = VrrpRouter.NEVER;
        for (InstanceRuntime rt : instances.values()) {
            d = Math.min(d, rt.router.nextDeadline());
            if (rt.garpRemaining > 0) {
                d = Math.min(d, rt.garpNext);
            }
            d = Math.min(d, rt.refreshNext);
        }
        return d;
    }

    private void fireTimers(long now) {
        List<Effect> out = new ArrayList<>();
        for (SyncGroup g : groups) {
            List<Effect> own = new ArrayList<>();
            for (VrrpRouter r : g.members()) {
                if (r.nextDeadline() <= now) {
                    r.expire(now, own);
                }
            }
            if (!own.isEmpty()) {
                g.propagate(now, own, out);
            }
        }
        execute(now, out);
        for (InstanceRuntime rt : instances.values()) {
            if (rt.garpRemaining > 0 && rt.garpNext <= now) {
                announce(rt);
                rt.garpRemaining--;
                rt.garpNext = now + rt.config.garp().delay().toNanos();
            }
            if (rt.refreshNext <= now) {
                announce(rt);
                rt.refreshNext = now + rt.config.garp().refresh().toNanos();
            }
        }
    }

    /** Stops the loop from any thread and waits up to 5 s for the resignation to be sent. */
    public void stop(String reason) {
        queue.add(() -> {
            stopReason = reason;
            running = false;
        });
        try {
            stopped.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void shutdownInstances(long now, String reason) {
        List<Effect> out = new ArrayList<>();
        for (InstanceRuntime rt : instances.values()) {
            List<Effect> own = new ArrayList<>();
            rt.router.shutdown(now, reason, own);
            out.addAll(own);
        }
        execute(now, out);
    }

    private void closeResources() {
        if (control != null) {
            control.close();
        }
        if (stateSync != null) {
            stateSync.close();
        }
        try {
            acceptFilter.remove();
        } catch (IOException e) {
            LOG.warn("cannot remove nftables table {}: {}", acceptFilter.table(), e.getMessage());
        }
        running = false;
        if (monitorThread != null) {
            try {
                monitorThread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Channel c : channels.values()) {
            c.close();
        }
        if (monitor != null) {
            monitor.close();
        }
        announcer.close();
        rtnl.close();
    }

    // ---------------------------------------------------------------- effects

    private void execute(long now, List<Effect> effects) {
        if (stateSync != null && !syncActive && effects.stream().anyMatch(e -> e instanceof Effect.Transition t
            && t.to() == VrrpState.MASTER && inSyncGroup(t.router()))) {
            // the advert first: it claims mastership on the wire, so further standbys (> 2 nodes) do not
            // take over as well; the commit of the replicated connections runs on the state-sync thread
            // while this loop keeps advertising; the VIPs and the gratuitous ARP follow when it is done
            syncActive = true;
            heldUntilCommitted = new ArrayList<>();
            stateSync.becomeActive(() -> queue.add(this::onCommitted));
        }
        if (heldUntilCommitted != null) {
            List<Effect> now0 = new ArrayList<>(effects.size());
            for (Effect e : effects) {
                boolean vipEffect = e instanceof Effect.AddAddresses || e instanceof Effect.Announce;
                (vipEffect && inSyncGroup(e.router()) ? heldUntilCommitted : now0).add(e);
            }
            effects = now0;
        }
        executeInOrder(now, effects);
        if (stateSync != null && syncActive && !syncGroupMaster()) {
            syncActive = false;
            stateSync.becomeStandby();
        }
    }

    /** The commit finished: the held VIP effects of instances that are still master take effect now. */
    private void onCommitted() {
        List<Effect> held = heldUntilCommitted;
        heldUntilCommitted = null;
        if (held == null) {
            return;
        }
        executeInOrder(clock.getAsLong(), held.stream().filter(e -> e.router().state() == VrrpState.MASTER).toList());
    }

    private boolean inSyncGroup(VrrpRouter r) {
        SyncGroup g = groupOf.get(r);
        return g != null && g.name().equals(stateSync.group());
    }

    /** Whether the group that drives state sync is master (every member). */
    private boolean syncGroupMaster() {
        return groups.stream().filter(g -> g.name().equals(stateSync.group())).findFirst()
            .map(g -> g.members().stream().allMatch(m -> m.state() == VrrpState.MASTER)).orElse(false);
    }

    private void executeInOrder(long now, List<Effect> effects) {
        for (Effect e : effects) {
            InstanceRuntime rt = runtimeOf.get(e.router());
            if (rt == null) {
                continue;
            }
            switch (e) {
                case Effect.SendAdvertisement s -> send(rt, s.priority());
                case Effect.AddAddresses a -> setAddresses(rt, true);
                case Effect.RemoveAddresses r -> setAddresses(rt, false);
                case Effect.Announce a -> {
                    announce(rt);
                    rt.garpRemaining = Math.max(0, rt.config.garp().count() - 1);
                    rt.garpNext = now + rt.config.garp().delay().toNanos();
                    rt.refreshNext = rt.config.garp().refresh().isZero() ? VrrpRouter.NEVER
                        : now + rt.config.garp().refresh().toNanos();
                }
                case Effect.Transition t -> {
                    rt.lastTransitionWallMillis = System.currentTimeMillis();
                    if (t.to() != VrrpState.MASTER) {
                        rt.garpRemaining = 0;
                        rt.refreshNext = VrrpRouter.NEVER;
                    }
                    LOG.info("{}: {} -> {} ({})", rt.name(), t.from().label(), t.to().label(), t.reason());
                }
            }
        }
    }

    private void send(InstanceRuntime rt, int priority) {
        RouterConfig rc = rt.router.config();
        VrrpAdvertisement adv = new VrrpAdvertisement(rc.version(), rc.vrid(), priority, rc.advertIntervalCentis(),
            rc.virtualAddresses(), rc.authType(), rc.password());
        InetAddress src = rt.source != null ? rt.source : rt.channel.socket.group();
        try {
            rt.channel.socket.send(VrrpCodec.encode(adv, src, rt.channel.socket.group(), rc.checksumMode()));
        } catch (LinuxException e) {
            rt.channel.sendErrors.increment();
            dropLog.log(rt.name() + " send", e.getMessage());
        }
    }

    /** Adds or removes the VIPs of an instance; the address owner's addresses are real and stay. */
    private void setAddresses(InstanceRuntime rt, boolean add) {
        if (rt.config.priority() == VrrpConstants.PRIORITY_OWNER) {
            return;
        }
        for (NodeConfig.Cidr c : rt.config.virtualAddresses()) {
            try {
                if (add) {
                    rtnl.addAddress(rt.ifindex, c.address(), c.prefixLength());
                } else {
                    rtnl.removeAddress(rt.ifindex, c.address(), c.prefixLength());
                }
            } catch (LinuxException e) {
                LOG.error("{}: cannot {} virtual address {}: {}", rt.name(), add ? "add" : "remove", c, e.getMessage());
            }
        }
    }

    private void announce(InstanceRuntime rt) {
        for (NodeConfig.Cidr c : rt.config.virtualAddresses()) {
            try {
                announcer.announce(rt.ifindex, rt.mac, c.address());
            } catch (LinuxException e) {
                dropLog.log(rt.name() + " announce", e.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------- receive

    private void onPacket(Channel.Received p) {
        long now = clock.getAsLong();
        int vrid = p.length() >= 2 ? p.data()[1] & 0xff : -1;
        InstanceRuntime target = p.channel().byVrid.get(vrid);
        if (p.length() < 0) {
            drop(p.channel(), null, DropReason.LENGTH, "IP packet from " + p.source().getHostAddress()
                + " too short for its header (expected: a full IP header)");
            return;
        }
        if (p.ttl() != VrrpConstants.TTL) {
            drop(p.channel(), target, DropReason.TTL, (p.channel().ipv6 ? "hop limit: " : "ttl: ") + p.ttl()
                + " from " + p.source().getHostAddress() + " (expected: 255)");
            return;
        }
        VrrpAdvertisement adv;
        try {
            adv = VrrpCodec.decode(p.data(), 0, p.length(), p.source(), p.destination(),
                target != null ? target.router.config().checksumMode() : tandem.vrrp.ChecksumMode.RFC9568);
        } catch (VrrpDecodeException e) {
            drop(p.channel(), target, e.reason(), e.getMessage() + " from " + p.source().getHostAddress());
            return;
        }
        if (target == null) {
            drop(p.channel(), null, DropReason.VRID, "vrid: " + vrid + " from " + p.source().getHostAddress()
                + " (expected: one of " + p.channel().byVrid.keySet() + ")");
            return;
        }
        List<Effect> own = new ArrayList<>();
        DropReason reason = target.router.receive(now, adv, p.source(), own);
        if (reason != null) {
            dropLog.log(target.name() + " " + reason.label(), "dropped " + adv + " from "
                + p.source().getHostAddress() + ": " + mismatch(target, adv, reason));
            return;
        }
        List<Effect> out = new ArrayList<>();
        groupOf.get(target.router).propagate(now, own, out);
        execute(now, out);
    }

    private static String mismatch(InstanceRuntime rt, VrrpAdvertisement adv, DropReason reason) {
        RouterConfig c = rt.router.config();
        return switch (reason) {
            case VERSION -> "version: " + adv.version().wire() + " (expected: " + c.version().wire() + ")";
            case AUTH -> "authentication: type " + adv.authType() + " or password differs (expected: type "
                + c.authType() + " with the configured password)";
            case ADDRESSES -> "addresses: " + adv.addresses().stream().map(InetAddress::getHostAddress).toList()
                + " (expected: " + c.virtualAddresses().stream().map(InetAddress::getHostAddress).toList() + ")";
            case INTERVAL -> "interval: " + adv.intervalCentis() / 100 + "s (expected: " + c.advertIntervalCentis() / 100 + "s)";
            default -> reason.label();
        };
    }

    private void drop(Channel ch, InstanceRuntime target, DropReason reason, String message) {
        if (target != null && reason != DropReason.VRID) {
            target.router.countDrop(reason);
            dropLog.log(target.name() + " " + reason.label(), "dropped advert: " + message);
        } else {
            ch.drops.get(reason).increment();
            dropLog.log(ch.label() + " " + reason.label(), "dropped advert: " + message);
        }
    }

    // ---------------------------------------------------------------- links

    private void monitorLinks() {
        while (running) {
            try {
                List<Rtnetlink.Event> events = monitor.readEvents();
                for (Rtnetlink.Event e : events) {
                    if (e instanceof Rtnetlink.LinkEvent le && le.link().name() != null) {
                        queue.add(() -> onLink(le.link(), le.deleted()));
                    } else if (e instanceof Rtnetlink.AddressEvent ae) {
                        queue.add(() -> onAddress(ae.address().index()));
                    }
                }
            } catch (LinuxException e) {
                if (!running) {
                    return;
                }
                if (e.errno() == Libc.ENOBUFS) {
                    LOG.warn("link monitor lost notifications (ENOBUFS); re-reading all tracked links");
                    queue.add(this::rereadLinks);
                } else {
                    LOG.error("link monitor: {}", e.getMessage());
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }
    }

    private void rereadLinks() {
        for (String name : List.copyOf(links.keySet())) {
            Rtnetlink.Link l = rtnl.link(name);
            onLink(l != null ? l : new Rtnetlink.Link(-1, name, new byte[0], 0), l == null);
        }
    }

    private void onLink(Rtnetlink.Link link, boolean deleted) {
        if (!links.containsKey(link.name())) {
            return;
        }
        Rtnetlink.Link before = links.get(link.name());
        Rtnetlink.Link now = deleted ? new Rtnetlink.Link(link.index(), link.name(), link.mac(), 0) : link;
        links.put(link.name(), now);
        if (before != null && before.operational() == now.operational()) {
            return;
        }
        LOG.info("interface {} link {}", link.name(), now.operational() ? "up" : deleted ? "deleted" : "down");
        long t = clock.getAsLong();
        List<Effect> out = new ArrayList<>();
        for (InstanceRuntime rt : instances.values()) {
            if (rt.config.interfaceName().equals(link.name()) && now.operational() && now.mac().length > 0) {
                rt.mac = now.mac();
            }
            if (rt.config.interfaceName().equals(link.name())
                || rt.config.tracks().stream().anyMatch(tr -> tr.interfaceName().equals(link.name()))) {
                applyLinkState(t, rt, out);
            }
        }
        execute(t, out);
    }

    /** An IPv6 address changed on an interface: refresh the link-local source of its IPv6 instances. */
    private void onAddress(int ifindex) {
        for (InstanceRuntime rt : instances.values()) {
            if (rt.ifindex == ifindex && rt.config.ipv6()) {
                InetAddress src = sourceAddress(rtnl, ifindex, rt.config);
                if (!java.util.Objects.equals(src, rt.source)) {
                    LOG.info("{}: link-local source {} -> {}", rt.name(), rt.source == null ? "none"
                        : rt.source.getHostAddress(), src == null ? "none" : src.getHostAddress());
                    rt.source = src;
                    rt.router.setPrimaryAddress(src);
                }
            }
        }
    }

    /** Derives fault and effective priority of one instance from its interface and tracked links. */
    private void applyLinkState(long now, InstanceRuntime rt, List<Effect> out) {
        String fault = null;
        if (!operational(rt.config.interfaceName())) {
            fault = "interface " + rt.config.interfaceName() + " link down";
        }
        int priority = rt.config.priority();
        for (NodeConfig.Track t : rt.config.tracks()) {
            if (!operational(t.interfaceName())) {
                if (t.weight() == 0) {
                    fault = fault != null ? fault : "tracked interface " + t.interfaceName() + " link down";
                } else {
                    priority -= t.weight();
                }
            }
        }
        int effective = priority == rt.config.priority() ? priority : Math.max(1, Math.min(254, priority));
        if (effective != rt.router.priority()) {
            LOG.info("{}: priority {} -> {} (tracked interfaces)", rt.name(), rt.router.priority(), effective);
            rt.router.setPriority(effective);
        }
        SyncGroup g = groupOf.get(rt.router);
        boolean had = g.hasFault(rt.router);
        if ((fault != null) != had || fault != null && !fault.equals(rt.faultReason)) {
            String reason = fault != null ? fault : "interface " + rt.config.interfaceName() + " link up";
            rt.faultReason = fault;
            g.setFault(now, rt.router, fault != null, reason, out);
        }
    }

    private boolean operational(String ifname) {
        Rtnetlink.Link l = links.get(ifname);
        return l != null && l.operational();
    }

    // ---------------------------------------------------------------- reload

    /**
     * Applies a new configuration from the loop thread. Instances whose identity (interface, VRID,
     * version, family) is unchanged keep their state; removed ones resign; new ones start in backup.
     * The new configuration was validated by the caller; a preflight failure leaves the old one running.
     */
    public CompletableFuture<String> reload(NodeConfig next) {
        CompletableFuture<String> f = new CompletableFuture<>();
        queue.add(() -> {
            try {
                f.complete(applyReload(next));
            } catch (StartupException | RuntimeException e) {
                LOG.error("reload rejected, keeping the running configuration: {}", e.getMessage());
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    private String applyReload(NodeConfig next) throws StartupException {
        if (!next.controlSocket().equals(config.controlSocket())) {
            throw new StartupException(2, "control.socket changed from " + config.controlSocket() + " to "
                + next.controlSocket() + " (expected: unchanged on reload; restart to move the socket)");
        }
        Map<String, InetAddress> sources = preflight(next, rtnl);
        if (!java.util.Objects.equals(next.stateSync(), config.stateSync())) {
            throw new StartupException(2, "statesync changed (expected: unchanged on reload; restart to change state sync)");
        }
        if (!next.nodeName().equals(config.nodeName())) {
            throw new StartupException(2, "node.name changed from " + config.nodeName() + " to " + next.nodeName()
                + " (expected: unchanged on reload; restart to rename the node)");
        }
        try {
            acceptFilter.apply(next);
        } catch (IOException e) {
            throw new StartupException(2, e.getMessage());
        }
        long now = clock.getAsLong();
        List<Effect> out = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> added = new ArrayList<>();
        for (InstanceRuntime rt : List.copyOf(instances.values())) {
            NodeConfig.Instance ni = next.instance(rt.name()).orElse(null);
            boolean same = ni != null && ni.interfaceName().equals(rt.config.interfaceName())
                && routerConfig(ni).sameIdentity(rt.router.config());
            if (same) {
                reconfigure(now, rt, ni, out);
                kept.add(rt.name());
            } else {
                rt.router.shutdown(now, "removed by reload", out);
                execute(now, out);
                out.clear();
                rt.channel.byVrid.remove(rt.config.vrid());
                instances.remove(rt.name());
                runtimeOf.remove(rt.router);
                removed.add(rt.name());
            }
        }
        config = next;
        List<InstanceRuntime> fresh = new ArrayList<>();
        for (NodeConfig.Instance ni : next.instances()) {
            if (!instances.containsKey(ni.name())) {
                addInstance(ni, sources.get(ni.name()));
                InstanceRuntime rt = instances.get(ni.name());
                removeStaleAddresses(rt);
                fresh.add(rt);
                added.add(ni.name());
            }
        }
        closeUnusedChannels();
        // Every group is rebuilt: re-derive each instance's own fault into its new group, then let the
        // routers that were only in fault through their old group go.
        rebuildGroups();
        for (InstanceRuntime rt : instances.values()) {
            rt.faultReason = null;
            applyLinkState(now, rt, out);
        }
        for (InstanceRuntime rt : instances.values()) {
            if (rt.router.fault() && !groupOf.get(rt.router).faulted()) {
                rt.router.setFault(now, false, "sync group changed by reload", out);
            }
        }
        for (InstanceRuntime rt : fresh) {
            groupOf.get(rt.router).startup(now, out);
        }
        execute(now, out);
        String summary = "reloaded " + next.file() + ": kept " + kept + ", added " + added + ", removed " + removed;
        LOG.info(summary);
        return summary;
    }

    private void reconfigure(long now, InstanceRuntime rt, NodeConfig.Instance ni, List<Effect> out) {
        Set<NodeConfig.Cidr> before = new HashSet<>(rt.config.virtualAddresses());
        Set<NodeConfig.Cidr> after = new HashSet<>(ni.virtualAddresses());
        boolean master = rt.router.state() == VrrpState.MASTER;
        rt.config = ni;
        rt.router.reconfigure(routerConfig(ni));
        if (master) {
            for (NodeConfig.Cidr c : before) {
                if (!after.contains(c)) {
                    rtnl.removeAddress(rt.ifindex, c.address(), c.prefixLength());
                }
            }
            for (NodeConfig.Cidr c : after) {
                if (!before.contains(c)) {
                    rtnl.addAddress(rt.ifindex, c.address(), c.prefixLength());
                    announcer.announce(rt.ifindex, rt.mac, c.address());
                }
            }
        }
    }

    private void closeUnusedChannels() {
        channels.entrySet().removeIf(e -> {
            if (e.getValue().byVrid.isEmpty()) {
                e.getValue().close();
                return true;
            }
            return false;
        });
    }

    // ---------------------------------------------------------------- observation

    /** A consistent snapshot for {@code tandem info}, taken on the loop thread. */
    public CompletableFuture<Map<String, Object>> info() {
        CompletableFuture<Map<String, Object>> f = new CompletableFuture<>();
        queue.add(() -> f.complete(snapshot()));
        return f;
    }

    private Map<String, Object> snapshot() {
        long now = clock.getAsLong();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cluster_state", clusterState());
        m.put("node", config.nodeName());
        m.put("uptime_seconds", (now - startNanos) / 1_000_000_000L);
        m.put("started", java.time.Instant.ofEpochMilli(startWallMillis).toString());
        m.put("pid", ProcessHandle.current().pid());
        m.put("config", config.file().toString());
        if (stateSync != null) {
            try {
                Map<String, Object> si = stateSync.info().get(2, TimeUnit.SECONDS);
                m.put("sync_state", si.get("sync_state"));
                m.put("peer", si.get("peer"));
                m.put("statesync", si);
            } catch (Exception e) {
                m.put("sync_state", "error: " + e);
            }
        } else {
            m.put("sync_state", "disabled");
        }
        List<Map<String, Object>> list = new ArrayList<>();
        for (InstanceRuntime rt : instances.values()) {
            VrrpRouter r = rt.router;
            Map<String, Object> i = new LinkedHashMap<>();
            i.put("name", rt.name());
            i.put("state", r.state().label());
            i.put("vrid", rt.config.vrid());
            i.put("version", rt.config.version().wire());
            i.put("family", rt.config.ipv6() ? "ipv6" : "ipv4");
            i.put("interface", rt.config.interfaceName());
            i.put("group", groupOf.get(r).members().size() > 1 ? groupOf.get(r).name() : "");
            i.put("priority", r.priority());
            i.put("configured_priority", rt.config.priority());
            i.put("master", r.masterAddress() == null ? "none" : r.masterAddress().getHostAddress());
            i.put("master_priority", r.masterAddress() == null ? 0 : r.masterPriority());
            i.put("advert_interval_ms", rt.config.advertInterval().toMillis());
            i.put("master_advert_interval_ms", r.masterAdverIntervalCentis() * 10L);
            i.put("master_down_interval_ms", r.masterDownIntervalNanos() / 1_000_000.0);
            i.put("preempt", rt.config.preempt());
            i.put("virtual_addresses", rt.config.virtualAddresses().stream().map(Object::toString).toList());
            i.put("source", rt.source == null ? "none" : rt.source.getHostAddress());
            i.put("adverts_sent", r.advertsSent());
            i.put("adverts_received", r.advertsReceived());
            Map<String, Object> drops = new LinkedHashMap<>();
            for (DropReason d : DropReason.values()) {
                if (d != DropReason.VRID) {
                    drops.put(d.label(), r.drops(d));
                }
            }
            i.put("drops", drops);
            i.put("last_transition", java.time.Instant.ofEpochMilli(rt.lastTransitionWallMillis).toString());
            i.put("last_transition_reason", r.lastTransitionReason());
            list.add(i);
        }
        m.put("instances", list);
        List<Map<String, Object>> chans = new ArrayList<>();
        for (Channel c : channels.values()) {
            Map<String, Object> cm = new LinkedHashMap<>();
            cm.put("interface", c.ifname);
            cm.put("family", c.ipv6 ? "ipv6" : "ipv4");
            Map<String, Object> drops = new LinkedHashMap<>();
            for (DropReason d : DropReason.values()) {
                drops.put(d.label(), c.drops.get(d).sum());
            }
            cm.put("drops", drops);
            cm.put("send_errors", c.sendErrors.sum());
            chans.add(cm);
        }
        m.put("channels", chans);
        return m;
    }

    /** The state-sync service, or null when not configured. */
    public tandem.node.sync.StateSync stateSync() {
        return stateSync;
    }

    /** master when every instance is master; fault when any is; init while any starts; none without instances. */
    private String clusterState() {
        if (instances.isEmpty()) {
            return "none";
        }
        Set<VrrpState> states = new HashSet<>();
        instances.values().forEach(rt -> states.add(rt.router.state()));
        if (states.contains(VrrpState.FAULT)) {
            return "fault";
        }
        if (states.contains(VrrpState.INITIALIZE)) {
            return "init";
        }
        if (states.equals(Set.of(VrrpState.MASTER))) {
            return "master";
        }
        return "backup";
    }

    /** Logs drops and send errors: the first of each kind at once, then at most one line per 10 s with the count. */
    static final class DropLog {
        private final Map<String, long[]> last = new HashMap<>();

        void log(String key, String message) {
            long now = System.nanoTime();
            long[] s = last.computeIfAbsent(key, k -> new long[] {Long.MIN_VALUE, 0});
            s[1]++;
            if (s[0] == Long.MIN_VALUE || now - s[0] >= Duration.ofSeconds(10).toNanos()) {
                LOG.warn("{}: {}{}", key, message, s[1] > 1 ? " (" + s[1] + " since last report)" : "");
                s[0] = now;
                s[1] = 0;
            }
        }
    }
}
