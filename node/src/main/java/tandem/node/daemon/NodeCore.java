package tandem.node.daemon;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.node.config.NodeConfig;
import tandem.node.health.HealthBoard;
import tandem.node.health.HoldDown;
import tandem.node.ops.InitialStandby;
import tandem.node.ops.Layer2Port;
import tandem.node.ops.Layer2Takeover;
import tandem.node.ops.LinkPort;
import tandem.node.ops.RoutePort;
import tandem.node.ops.StandbyInterfaces;
import tandem.node.ops.StandbyRoutes;
import tandem.node.health.HealthSource;
import tandem.node.health.LinkTracker;
import tandem.node.loop.EventLoop;
import tandem.node.reload.ReloadPlan;
import tandem.node.role.Role;
import tandem.node.role.RoleBound;
import tandem.node.role.RoleCoordinator;
import tandem.node.vrrp.AddressPort;
import tandem.node.vrrp.AdvertChannel;
import tandem.node.vrrp.AnnouncePort;
import tandem.node.vrrp.AnnounceComponent;
import tandem.node.vrrp.ChannelFactory;
import tandem.node.vrrp.InstanceRuntime;
import tandem.node.vrrp.VipComponent;
import tandem.node.vrrp.VrrpEngine;
import tandem.vrrp.fsm.VrrpState;

/**
 * The node's core on its loop, free of Linux: the VRRP engine, the role pipeline of every group
 * (addresses and announcements, plus what the daemon registers, e.g. connection state), the health
 * board with link tracking, preemption gates, reload commits, shutdown and the failure policy. The
 * daemon gives it the Linux ports; tests give it in-memory ones and virtual time.
 *
 * <p>Failure policy: a failing task is logged with its cause and the loop goes on; a failure of the
 * VRRP timers, an {@link Error}, or more than {@value #MAX_FAILURES} failures within 10 s mean the
 * loop cannot be trusted: the node resigns (priority 0 adverts), removes its virtual addresses and
 * stops with exit code 1 (systemd restarts it). It never stops holding virtual addresses.
 */
public final class NodeCore {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.node");
    static final int MAX_FAILURES = 10;
    private static final long FAILURE_WINDOW_NANOS = 10_000_000_000L;
    /** How long a shutdown waits for the role pipelines to release (then it goes anyway). */
    static final Duration STOP_BUDGET = Duration.ofSeconds(4);
    /** How often the view for {@code tandem info} is refreshed (transitions refresh it at once). */
    static final long VIEW_NANOS = 50_000_000L;

    /** What the core needs from the system. */
    public record Ports(ChannelFactory channels, AddressPort addresses, AnnouncePort announcer, LinkPort links,
                        RoutePort routes, Layer2Port layer2) {
        /** Without the operations' ports (a configuration that uses them fails when they are called). */
        public Ports(ChannelFactory channels, AddressPort addresses, AnnouncePort announcer) {
            this(channels, addresses, announcer, (i, up) -> {
                throw new UnsupportedOperationException("no link port");
            }, new RoutePort() {
                @Override
                public boolean add(NodeConfig.StandbyRoute r) {
                    throw new UnsupportedOperationException("no route port");
                }

                @Override
                public boolean remove(NodeConfig.StandbyRoute r) {
                    throw new UnsupportedOperationException("no route port");
                }
            }, (g, drop) -> {
                throw new UnsupportedOperationException("no layer-2 port");
            });
        }
    }

    /** The loop's part of {@code tandem info}, immutable, published by the loop, read by anyone. */
    public record View(String clusterState, List<VrrpEngine.InstanceView> instances, List<GroupView> groups,
                       List<VrrpEngine.ChannelView> channels, List<HealthBoard.Report> health,
                       long loopTurns, long loopFailures, double longestTurnMs, HotwireView hotwire,
                       List<TriggerView> triggers, Map<String, Object> extra) {
        public View {
            instances = List.copyOf(instances);
            groups = List.copyOf(groups);
            channels = List.copyOf(channels);
            health = List.copyOf(health);
            triggers = List.copyOf(triggers);
            extra = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(extra));
        }
    }

    /**
     * A failover trigger as {@code tandem info} lists it (like ClusterXL's critical devices): its name
     * ({@code link:wan}, {@code ping:uplink}, {@code service:dhcp}, {@code hotwire:sync}), state (ok,
     * failing, held - failing but within its hold-down - or problem), what failing does, the instances it
     * affects and its last change.
     */
    public record TriggerView(String name, String state, String action, List<String> instances, String reason,
                              String since) {
    }

    /** A group with its members, role and pipeline. */
    public record GroupView(String name, List<String> instances, boolean configured, String role, long epoch,
                            String reason, String pending, List<RoleCoordinator.Step> lastTransition) {
    }

    private final EventLoop loop;
    private final Ports ports;
    private final VrrpEngine engine;
    private final RoleCoordinator coordinator;
    private final HealthBoard health;
    private HoldDown holdDown;
    private LinkTracker links;
    /** The operations' components per group (standby interfaces and routes, layer 2, services). */
    private final Map<String, List<RoleBound>> opsComponents = new LinkedHashMap<>();
    private final List<java.util.function.Function<String, RoleBound>> componentFactories = new ArrayList<>();
    private final Map<String, java.util.function.Supplier<Object>> viewContributors = new LinkedHashMap<>();
    /** When each trigger (instance and source) last changed, wall milliseconds. */
    private final Map<String, Long> triggerSince = new HashMap<>();
    private final Map<String, tandem.node.health.Health> lastHealth = new HashMap<>();
    private final List<HealthSource> sources = new ArrayList<>();
    private final IntConsumer stopLoop;
    private final Deque<Long> failures = new ArrayDeque<>();
    private volatile View view;
    private boolean started;
    private boolean stopping;
    private boolean fatal;

    /**
     * @param stopLoop ends the loop with this exit code (0 after a shutdown, 1 after a fatal failure)
     */
    public NodeCore(EventLoop loop, Ports ports, IntConsumer stopLoop) {
        this.loop = loop;
        this.ports = ports;
        this.stopLoop = stopLoop;
        this.coordinator = new RoleCoordinator(loop);
        this.engine = new VrrpEngine(loop, ports.channels(), p -> loop.execute("advert from " + p.ifname(),
            () -> engine().onPacket(p)), this::roleChanged);
        this.health = new HealthBoard((instance, verdict, why) -> {
            engine.applyHealth(instance, verdict, why);
        });
    }

    private VrrpEngine engine() {
        return engine;
    }

    /** Loads the configuration: sockets and state machines, one pipeline per group. Before {@link #start}. */
    public void load(NodeConfig cfg, Map<String, VrrpEngine.Placement> placements) {
        engine.load(cfg, placements);
        holdDown = new HoldDown(loop, health, cfg.operations().holdDown());
        for (VrrpEngine.GroupInfo g : engine.groups()) {
            registerDefaultComponents(g.name());
        }
        links = new LinkTracker(cfg);
        hotwire = cfg.replication() == null || cfg.replication().hotwire() == null
            || !cfg.replication().hotwire().fastTakeover() ? null : hotwire;
        sources.add(links);
        loop.addTimerSource(engine);
        view = buildView();
    }

    private void registerDefaultComponents(String group) {
        NodeConfig.Group g = engine.config().groups().stream().filter(x -> x.name().equals(group)).findFirst().orElse(null);
        boolean layer2 = g != null && g.takeover() == NodeConfig.Takeover.LAYER2;
        List<RoleBound> ops = new ArrayList<>();
        if (layer2) {
            ops.add(new Layer2Takeover(group, ports.layer2(), () -> addGroupAddresses(group)));
        } else {
            coordinator.register(group, new VipComponent(engine, group, ports.addresses()));
        }
        ops.add(new StandbyInterfaces(group, engine::config, ports.links()));
        ops.add(new StandbyRoutes(group, engine::config, ports.routes()));
        for (java.util.function.Function<String, RoleBound> f : componentFactories) {
            ops.add(f.apply(group));
        }
        ops.forEach(c -> coordinator.register(group, c));
        opsComponents.put(group, ops);
        coordinator.register(group, new AnnounceComponent(engine, group, ports.announcer(), loop));
    }

    /** Layer-2 takeover: a group's cluster addresses are on every node all the time (added at start). */
    private void addGroupAddresses(String group) {
        for (InstanceRuntime rt : engine.members(group)) {
            for (NodeConfig.Cidr c : rt.config().virtualAddresses()) {
                try {
                    if (!rt.owner() && ports.addresses().add(rt.ifindex(), c)) {
                        LOG.info("{}: virtual address {} on {} (layer-2 takeover: on every node)", rt.name(), c,
                            rt.config().interfaceName());
                    }
                } catch (RuntimeException e) {
                    LOG.error("{}: cannot add virtual address {} on {}: {}", rt.name(), c, rt.config().interfaceName(),
                        e.getMessage());
                }
            }
        }
    }

    /**
     * Adds a role-bound component to every group's pipeline (before {@link #load}; groups a reload adds
     * get theirs too), e.g. the services of each group.
     */
    public void addComponentFactory(java.util.function.Function<String, RoleBound> factory) {
        componentFactories.add(factory);
    }

    /** Adds a part of the published view, computed on the loop (e.g. services, ping checks). */
    public void addViewContributor(String key, java.util.function.Supplier<Object> part) {
        viewContributors.put(key, part);
    }

    /** Adds a component to a group's pipeline (e.g. connection state to the state-sync group). */
    public void addRoleBound(String group, RoleBound component) {
        coordinator.register(group, component);
    }

    /**
     * Adds a health source (link tracking is built in). Its reports that demote or fault pass the
     * trigger hold-down ({@link HoldDown}); link tracking's do not.
     */
    public void addHealthSource(HealthSource source) {
        sources.add(source);
        if (started) {
            source.start(sinkOf(source));
        }
    }

    private tandem.node.health.HealthSink sinkOf(HealthSource s) {
        tandem.node.health.HealthSink next = s == links ? health : holdDown;
        return (instance, source, h) -> {
            String key = instance + "\0" + source;
            if (!h.equals(lastHealth.put(key, h))) {
                triggerSince.put(key, loop.clock().wallMillis());
            }
            next.report(instance, source, h);
        };
    }

    /** Starts every group (on the loop thread, or before the loop runs). */
    public void start() {
        started = true;
        for (HealthSource s : sources) {
            s.start(sinkOf(s));
        }
        // every group starts standby: interfaces down, standby routes, layer-2 drops, standby services
        for (List<RoleBound> ops : opsComponents.values()) {
            for (RoleBound c : ops) {
                if (c instanceof InitialStandby i) {
                    i.standbyAtStart();
                }
            }
        }
        engine.start(loop.now());
        publish();
        loop.schedule(loop.now() + VIEW_NANOS, "info view", this::publishPeriodically);
    }

    private void publishPeriodically() {
        publish();
        loop.schedule(loop.now() + VIEW_NANOS, "info view", this::publishPeriodically);
    }

    /** The interfaces whose links the core tracks (the daemon reports their state). */
    public Set<String> trackedInterfaces() {
        Set<String> s = new java.util.LinkedHashSet<>(links.interfaces());
        if (hotwire != null) {
            s.add(hotwire);
        }
        return s;
    }

    /**
     * The hotwire's interface (the direct link to the partner): its carrier combines with VRRP for a
     * takeover after one advert interval when the partner is powered off. Before {@link #load}.
     */
    public void hotwireInterface(String ifname) {
        hotwire = ifname;
    }

    /** The hotwire interface, its carrier (null while unknown) and when that last changed (wall ms), for info. */
    public record HotwireView(String device, Boolean carrier, long sinceWallMillis) {
    }

    private String hotwire;
    private Boolean hotwireCarrier;
    private long hotwireSince;

    /** A link's index, MAC and operational state (on the loop). */
    public void linkChanged(String ifname, int ifindex, byte[] mac, boolean operational) {
        engine.linkUpdated(ifname, ifindex, mac);
        links.linkChanged(ifname, operational);
        if (ifname.equals(hotwire) && !Boolean.valueOf(operational).equals(hotwireCarrier)) {
            boolean known = hotwireCarrier != null;
            hotwireCarrier = operational;
            hotwireSince = loop.clock().wallMillis();
            if (operational) {
                if (known) {
                    LOG.info("hotwire {} has carrier again", ifname);
                }
                engine.peerLink(true);
            } else {
                LOG.warn("hotwire {} lost carrier: a backup that hears no advert within one interval takes over", ifname);
                engine.peerLink(false);
            }
        }
    }

    /** The IPv6 link-local source of an interface changed (on the loop). */
    public void ipv6SourceChanged(int ifindex, java.net.InetAddress source) {
        engine.ipv6SourceChanged(ifindex, source);
    }

    /** A gate holds preemption in a group (on the loop); see {@link VrrpEngine#holdPreemption}. */
    public void holdPreemption(String gate, String group, boolean hold, String reason) {
        engine.holdPreemption(gate, group, hold, reason);
    }

    private void roleChanged(String group, Role role, String reason) {
        coordinator.roleChanged(group, role, reason);
        publish();
    }

    // ---------------------------------------------------------------- stop and failures

    /** Resigns every master, lets the pipelines release (bounded), then ends the loop with 0. */
    public void stop(String reason) {
        if (stopping) {
            return;
        }
        stopping = true;
        LOG.info("stopping ({}): resigning and releasing every group", reason);
        engine.shutdown(loop.now(), reason);
        long deadline = loop.now() + STOP_BUDGET.toNanos();
        awaitReleased(deadline);
    }

    private void awaitReleased(long deadline) {
        if (coordinator.idle() || loop.now() >= deadline) {
            if (!coordinator.idle()) {
                LOG.warn("stopping: the role pipelines did not finish releasing within {} ms", STOP_BUDGET.toMillis());
            }
            removeAllAddresses();
            removeStandbyRoutes();
            stopLoop.accept(fatal ? 1 : 0);
            return;
        }
        loop.schedule(Math.min(deadline, loop.now() + 10_000_000L), "release wait", () -> awaitReleased(deadline));
    }

    /** The loop's failure policy (see the class comment). */
    public void failed(String what, Throwable t) {
        LOG.error("{} failed: {}", what, t.toString(), t);
        long now = loop.now();
        failures.addLast(now);
        while (!failures.isEmpty() && now - failures.peekFirst() > FAILURE_WINDOW_NANOS) {
            failures.removeFirst();
        }
        if (t instanceof Error) {
            fatal(what + " threw " + t);
        } else if (what.startsWith(VrrpEngine.class.getSimpleName())) {
            fatal("the VRRP timers threw " + t);
        } else if (failures.size() > MAX_FAILURES) {
            fatal(failures.size() + " failures within 10 s, the last in " + what);
        }
    }

    /** The loop cannot continue: resign, remove the addresses, end with exit code 1. */
    public void fatal(String why) {
        if (fatal) {
            return;
        }
        fatal = true;
        LOG.error("the VRRP loop cannot continue ({}): resigning, removing the virtual addresses, exiting with 1", why);
        try {
            engine.shutdown(loop.now(), "fatal: " + why);
        } catch (RuntimeException | Error e) {
            LOG.error("resigning failed: {}", e.toString());
        }
        removeAllAddresses();
        stopLoop.accept(1);
    }

    public boolean fatalFailure() {
        return fatal;
    }

    /** Removes the standby routes of every group (the daemon exits: nothing is left behind). */
    public void removeStandbyRoutes() {
        for (List<RoleBound> ops : opsComponents.values()) {
            for (RoleBound c : ops) {
                if (c instanceof StandbyRoutes r) {
                    try {
                        r.removeAll();
                    } catch (RuntimeException e) {
                        LOG.error("removing standby routes: {}", e.getMessage());
                    }
                }
            }
        }
    }

    /**
     * Removes every non-owner virtual address of every instance, directly (not through the
     * pipelines): the last step of every exit.
     */
    public void removeAllAddresses() {
        NodeConfig cfg = engine.config();
        if (cfg == null) {
            return;
        }
        for (NodeConfig.Instance i : cfg.instances()) {
            InstanceRuntime rt = engine.instance(i.name());
            if (rt == null || rt.owner()) {
                continue;
            }
            for (NodeConfig.Cidr c : i.virtualAddresses()) {
                try {
                    if (ports.addresses().remove(rt.ifindex(), c)) {
                        LOG.info("{}: removed virtual address {} from {}", i.name(), c, i.interfaceName());
                    }
                } catch (RuntimeException e) {
                    LOG.error("{}: cannot remove virtual address {} from {}: {}", i.name(), c, i.interfaceName(), e.getMessage());
                }
            }
        }
    }

    // ---------------------------------------------------------------- reload

    /** What the loop must know to plan a reload: the instances that are master and the active groups. */
    public ReloadPlan plan(NodeConfig next) {
        Set<String> masters = new HashSet<>();
        for (VrrpEngine.InstanceView v : engine.instanceViews()) {
            if (v.state().equals(VrrpState.MASTER.label())) {
                masters.add(v.name());
            }
        }
        Set<String> active = new HashSet<>();
        for (VrrpEngine.GroupInfo g : engine.groups()) {
            if (coordinator.role(g.name()) == Role.ACTIVE) {
                active.add(g.name());
            }
        }
        return ReloadPlan.of(engine.config(), next, masters, active);
    }

    /** Channel keys (interface/family) the new configuration needs opened. */
    public Set<String> channelsToOpen(NodeConfig next) {
        return engine.channelsToOpen(next);
    }

    /** What a committed reload did, and the sockets the caller closes off the loop. */
    public record Committed(String summary, List<AdvertChannel> unused) {
    }

    /**
     * Commits a reload on the loop: first the address difference of the plan (undone on a failure,
     * which is rethrown: then nothing changed), then the state machines and pipelines (in memory,
     * cannot fail half-way).
     */
    public Committed commitReload(NodeConfig next, ReloadPlan plan, Map<String, VrrpEngine.Placement> placements,
                                  Map<String, AdvertChannel> opened) {
        NodeConfig before = engine.config();
        applyAddressDifference(plan, placements);
        Set<String> groupsBefore = new HashSet<>();
        engine.groups().forEach(g -> groupsBefore.add(g.name()));
        VrrpEngine.ReloadOutcome o = engine.reconfigure(next, placements, opened, plan.activeAfter());
        for (String g : o.removedGroups()) {
            coordinator.roleChanged(g, Role.STANDBY, "removed by reload");
            coordinator.unregister(g);
            opsComponents.remove(g);
        }
        for (VrrpEngine.GroupInfo g : engine.groups()) {
            if (!groupsBefore.contains(g.name())) {
                registerDefaultComponents(g.name());
            }
        }
        links.reconfigure(next);
        holdDown.hold(next.operations().holdDown());
        for (Map.Entry<String, List<RoleBound>> e : opsComponents.entrySet()) {
            boolean active = coordinator.role(e.getKey()) == Role.ACTIVE;
            for (RoleBound c : e.getValue()) {
                if (!groupsBefore.contains(e.getKey())) {
                    if (c instanceof InitialStandby i && !active) {
                        i.standbyAtStart();
                    }
                } else if (c instanceof StandbyInterfaces i) {
                    i.reconfigured(active);
                } else if (c instanceof StandbyRoutes r) {
                    r.reconfigured(before.operations().standbyRoutes(), active);
                }
            }
        }
        for (NodeConfig.Instance i : next.instances()) {
            engine.applyHealth(i.name(), health.verdict(i.name()), "reload");
        }
        for (String r : o.removed()) {
            health.forget(r);
        }
        announce(plan.toAdd(), placements);
        publish();
        return new Committed("kept " + o.kept() + ", added " + o.added() + ", removed " + o.removed(), o.unused());
    }

    private void applyAddressDifference(ReloadPlan plan, Map<String, VrrpEngine.Placement> placements) {
        record Done(int ifindex, NodeConfig.Cidr address, boolean added) {
        }
        List<Done> done = new ArrayList<>();
        ReloadPlan.Vip at = null;
        try {
            for (ReloadPlan.Vip v : plan.toAdd()) {
                at = v;
                int idx = ifindex(v, placements);
                if (ports.addresses().add(idx, v.address())) {
                    done.add(new Done(idx, v.address(), true));
                }
            }
            for (ReloadPlan.Vip v : plan.toRemove()) {
                at = v;
                int idx = ifindex(v, placements);
                if (ports.addresses().remove(idx, v.address())) {
                    done.add(new Done(idx, v.address(), false));
                }
            }
        } catch (RuntimeException e) {
            List<String> undone = new ArrayList<>();
            for (Done d : done.reversed()) {
                try {
                    if (d.added()) {
                        ports.addresses().remove(d.ifindex(), d.address());
                    } else {
                        ports.addresses().add(d.ifindex(), d.address());
                    }
                    undone.add((d.added() ? "removed " : "re-added ") + d.address());
                } catch (RuntimeException u) {
                    undone.add("could not undo " + d.address() + ": " + u.getMessage());
                }
            }
            throw new IllegalStateException("virtual address " + at.address() + " on " + at.interfaceName()
                + ": " + e.getMessage() + (undone.isEmpty() ? "" : "; rolled back: " + String.join(", ", undone)), e);
        }
    }

    private int ifindex(ReloadPlan.Vip v, Map<String, VrrpEngine.Placement> placements) {
        VrrpEngine.Placement p = placements.get(v.instance());
        if (p != null) {
            return p.ifindex();
        }
        return engine.instance(v.instance()).ifindex();
    }

    private void announce(List<ReloadPlan.Vip> vips, Map<String, VrrpEngine.Placement> placements) {
        for (ReloadPlan.Vip v : vips) {
            InstanceRuntime rt = engine.instance(v.instance());
            if (rt == null) {
                continue;
            }
            try {
                ports.announcer().announce(rt.ifindex(), rt.mac(), v.address().address());
            } catch (RuntimeException e) {
                LOG.warn("{}: cannot announce {}: {}", v.instance(), v.address(), e.getMessage());
            }
        }
    }

    // ---------------------------------------------------------------- observation

    /** The last published view (never waits for the loop). */
    public View view() {
        return view;
    }

    /** Rebuilds the view; loop thread only. */
    public void publish() {
        view = buildView();
    }

    private View buildView() {
        List<VrrpEngine.InstanceView> instances = engine.instanceViews();
        Map<String, RoleCoordinator.GroupView> pipelines = new LinkedHashMap<>();
        coordinator.view().forEach(g -> pipelines.put(g.group(), g));
        List<GroupView> groups = new ArrayList<>();
        for (VrrpEngine.GroupInfo g : engine.groups()) {
            RoleCoordinator.GroupView p = pipelines.get(g.name());
            groups.add(new GroupView(g.name(), g.instances(), g.configured(),
                (p == null ? Role.STANDBY : p.role()).label(), p == null ? 0 : p.epoch(), p == null ? "" : p.reason(),
                p == null ? "" : p.pending(), p == null ? List.of() : p.lastTransition()));
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        viewContributors.forEach((k, v) -> extra.put(k, v.get()));
        return new View(clusterState(instances), instances, groups, engine.channelViews(), health.reports(),
            loop.turns(), loop.failed(), loop.longestTurnNanos() / 1e6,
            hotwire == null ? null : new HotwireView(hotwire, hotwireCarrier, hotwireSince), triggers(), extra);
    }

    /** Every trigger, per source: its worst state over the instances it reports for. */
    private List<TriggerView> triggers() {
        Map<String, HoldDown.Held> held = holdDown == null ? Map.of() : holdDown.held();
        Map<String, List<HealthBoard.Report>> bySource = new LinkedHashMap<>();
        for (HealthBoard.Report r : health.reports()) {
            bySource.computeIfAbsent(r.source(), k -> new ArrayList<>()).add(r);
        }
        for (String src : held.keySet()) {
            bySource.computeIfAbsent(src, k -> new ArrayList<>());
        }
        List<TriggerView> out = new ArrayList<>();
        for (Map.Entry<String, List<HealthBoard.Report>> e : bySource.entrySet()) {
            String state = "ok";
            String action = "";
            String reason = "";
            long since = 0;
            List<String> instances = new ArrayList<>();
            for (HealthBoard.Report r : e.getValue()) {
                instances.add(r.instance());
                since = Math.max(since, triggerSince.getOrDefault(r.instance() + "\0" + r.source(), 0L));
                if (r.health().state() != tandem.node.health.Health.State.OK) {
                    state = "failing";
                    action = r.health().state() == tandem.node.health.Health.State.FAULT ? "fault" : "demote " + r.health().weight();
                    reason = r.health().reason();
                }
            }
            HoldDown.Held h = held.get(e.getKey());
            if (h != null && state.equals("ok")) {
                state = "held";
                action = h.health().state() == tandem.node.health.Health.State.FAULT ? "fault" : "demote " + h.health().weight();
                reason = h.health().reason() + " (for " + (loop.now() - h.sinceNanos()) / 1_000_000 + " ms, hold-down "
                    + engine.config().operations().holdDown().toMillis() + " ms)";
            }
            out.add(new TriggerView(e.getKey(), state, action, instances, reason,
                since == 0 ? "" : java.time.Instant.ofEpochMilli(since).toString()));
        }
        if (hotwire != null) {
            out.add(new TriggerView("hotwire:" + hotwire, hotwireCarrier == null ? "ok" : hotwireCarrier ? "ok" : "failing",
                "fast takeover", List.of(), Boolean.FALSE.equals(hotwireCarrier) ? "no carrier" : "",
                hotwireSince == 0 ? "" : java.time.Instant.ofEpochMilli(hotwireSince).toString()));
        }
        return out;
    }

    /** master when every instance is; fault when any is; init while any starts; none without instances. */
    static String clusterState(List<VrrpEngine.InstanceView> instances) {
        if (instances.isEmpty()) {
            return "none";
        }
        Set<String> states = new HashSet<>();
        instances.forEach(i -> states.add(i.state()));
        if (states.contains(VrrpState.FAULT.label())) {
            return "fault";
        }
        if (states.contains(VrrpState.INITIALIZE.label())) {
            return "init";
        }
        if (states.equals(Set.of(VrrpState.MASTER.label()))) {
            return "master";
        }
        return "backup";
    }

    public VrrpEngine vrrp() {
        return engine;
    }

    public RoleCoordinator coordinator() {
        return coordinator;
    }
}
