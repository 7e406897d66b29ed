package tandem.node.vrrp;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.vrrp.AddressText;
import tandem.node.config.NodeConfig;
import tandem.node.health.HealthBoard;
import tandem.node.loop.EventLoop;
import tandem.node.role.Role;
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
 * Every virtual router of the node, their sync groups and VRRP sockets, on the node's loop: adverts
 * out, adverts in (cheap checks first, one counter per drop reason), timers, health verdicts and
 * preemption gates in. It knows nothing of addresses, services or connection state: when a group's
 * role changes it tells the {@link RoleListener}, whose role pipeline does the rest.
 */
public final class VrrpEngine implements EventLoop.TimerSource {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.vrrp");

    /** Told when a group becomes active (every member master) or stops being active. */
    @FunctionalInterface
    public interface RoleListener {
        void roleChanged(String group, Role role, String reason);
    }

    /** A group's members and its role. */
    public record GroupInfo(String name, List<String> instances, Role role, boolean configured) {
    }

    private final EventLoop loop;
    private final ChannelFactory channelFactory;
    private final Consumer<Received> sink;
    private final RoleListener roles;
    private final Map<String, ChannelRuntime> channels = new LinkedHashMap<>();
    private final Map<String, InstanceRuntime> instances = new LinkedHashMap<>();
    private final Map<VrrpRouter, InstanceRuntime> runtimeOf = new HashMap<>();
    private final Map<VrrpRouter, SyncGroup> groupOf = new HashMap<>();
    private final Map<String, SyncGroup> groups = new LinkedHashMap<>();
    private final Set<String> configuredGroups = new HashSet<>();
    private final Map<String, Role> groupRoles = new HashMap<>();
    /** Gates that hold preemption per group: gate name -> reason. */
    private final Map<String, Map<String, String>> preemptGates = new HashMap<>();
    private final RateLimitedLog dropLog;
    private NodeConfig config;

    /** The VRRP socket of one interface and family, the instances on it by VRID, its own drops. */
    static final class ChannelRuntime {
        final String key;
        final String ifname;
        final boolean ipv6;
        final AdvertChannel channel;
        final Map<Integer, InstanceRuntime> byVrid = new TreeMap<>();
        final Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
        long sendErrors;

        ChannelRuntime(String ifname, boolean ipv6, AdvertChannel channel) {
            this.key = InstanceRuntime.channelKey(ifname, ipv6);
            this.ifname = ifname;
            this.ipv6 = ipv6;
            this.channel = channel;
        }
    }

    /**
     * @param sink where the channels deliver received packets (the daemon hands them to the loop and
     *             back to {@link #onPacket})
     */
    public VrrpEngine(EventLoop loop, ChannelFactory channelFactory, Consumer<Received> sink, RoleListener roles) {
        this.loop = loop;
        this.channelFactory = channelFactory;
        this.sink = sink;
        this.roles = roles;
        this.dropLog = new RateLimitedLog(LOG, loop.clock(), 10_000_000_000L);
    }

    // ---------------------------------------------------------------- configuration

    /** Where an instance lives on this node: its interface's index and MAC, its advert source. */
    public record Placement(int ifindex, byte[] mac, InetAddress source) {
    }

    /**
     * Loads a configuration: opens the sockets and builds the state machines (nothing starts until
     * {@link #start}). On a failure the sockets opened so far are closed and it rethrows.
     */
    public void load(NodeConfig cfg, Map<String, Placement> placements) {
        config = cfg;
        try {
            for (NodeConfig.Instance i : cfg.instances()) {
                addInstance(i, placements.get(i.name()));
            }
        } catch (RuntimeException e) {
            channels.values().forEach(c -> c.channel.close());
            channels.clear();
            instances.clear();
            throw e;
        }
        rebuildGroups(cfg);
    }

    private void addInstance(NodeConfig.Instance i, Placement where) {
        String key = InstanceRuntime.channelKey(i.interfaceName(), i.ipv6());
        ChannelRuntime ch = channels.get(key);
        if (ch == null) {
            AdvertChannel c = channelFactory.open(i.interfaceName(), where.ifindex(), i.ipv6(), where.source(), sink);
            ch = new ChannelRuntime(i.interfaceName(), i.ipv6(), c);
            channels.put(key, ch);
        }
        VrrpRouter router = new VrrpRouter(routerConfig(i), where.source());
        InstanceRuntime rt = new InstanceRuntime(i, router);
        rt.channelKey = key;
        rt.ifindex = where.ifindex();
        rt.mac = where.mac();
        rt.source = where.source();
        ch.byVrid.put(i.vrid(), rt);
        instances.put(i.name(), rt);
        runtimeOf.put(router, rt);
    }

    public static RouterConfig routerConfig(NodeConfig.Instance i) {
        List<InetAddress> vips = i.virtualAddresses().stream().map(NodeConfig.Cidr::address).toList();
        byte[] pass = java.util.Arrays.copyOf(i.password().getBytes(StandardCharsets.UTF_8), 8);
        return new RouterConfig(i.name(), i.version(), i.vrid(), i.priority(),
            (int) (i.advertInterval().toMillis() / 10), i.preempt(), i.preemptDelay().toNanos(), i.accept(), vips,
            i.authType(), i.password().isEmpty() ? null : pass, i.checksumMode());
    }

    /** The groups: the configured ones, and every other instance alone in a group of its own name. */
    public static Map<String, List<String>> groupsOf(NodeConfig cfg) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        Set<String> grouped = new HashSet<>();
        for (NodeConfig.Group g : cfg.groups()) {
            out.put(g.name(), g.instances());
            grouped.addAll(g.instances());
        }
        for (NodeConfig.Instance i : cfg.instances()) {
            if (!grouped.contains(i.name())) {
                out.put(i.name(), List.of(i.name()));
            }
        }
        return out;
    }

    private void rebuildGroups(NodeConfig cfg) {
        groups.clear();
        groupOf.clear();
        configuredGroups.clear();
        cfg.groups().forEach(g -> configuredGroups.add(g.name()));
        for (Map.Entry<String, List<String>> e : groupsOf(cfg).entrySet()) {
            List<VrrpRouter> members = e.getValue().stream().map(n -> instances.get(n).router).toList();
            SyncGroup sg = new SyncGroup(e.getKey(), members);
            groups.put(e.getKey(), sg);
            for (String n : e.getValue()) {
                groupOf.put(instances.get(n).router, sg);
                instances.get(n).group = e.getKey();
            }
            Map<String, String> gates = preemptGates.get(e.getKey());
            if (gates != null && !gates.isEmpty()) {
                members.forEach(m -> m.setPreemptHeld(true));
            }
        }
    }

    // ---------------------------------------------------------------- lifecycle

    /** Startup event of every group (RFC 5798 6.4.1): to backup, master (owner) or fault. */
    public void start(long now) {
        List<Effect> out = new ArrayList<>();
        for (SyncGroup g : groups.values()) {
            g.startup(now, out);
        }
        execute(now, out);
    }

    /** Shutdown event: every master resigns with priority 0; every group releases. */
    public void shutdown(long now, String reason) {
        List<Effect> out = new ArrayList<>();
        for (InstanceRuntime rt : instances.values()) {
            rt.router.shutdown(now, reason, out);
        }
        execute(now, out);
    }

    /** Closes every socket (without blocking: the channels join their threads elsewhere). */
    public void closeChannels() {
        channels.values().forEach(c -> c.channel.close());
        channels.clear();
    }

    // ---------------------------------------------------------------- timers

    @Override
    public long nextDeadline() {
        long d = Long.MAX_VALUE;
        for (InstanceRuntime rt : instances.values()) {
            d = Math.min(d, rt.router.nextDeadline());
        }
        return d;
    }

    @Override
    public void fire(long now) {
        List<Effect> out = new ArrayList<>();
        for (SyncGroup g : groups.values()) {
            g.expire(now, out);
        }
        execute(now, out);
    }

    // ---------------------------------------------------------------- health and gates

    /** What the health sources say about an instance now. */
    public void applyHealth(String instance, HealthBoard.Verdict v, String why) {
        InstanceRuntime rt = instances.get(instance);
        if (rt == null) {
            return;
        }
        long now = loop.now();
        int configured = rt.config.priority();
        int effective = v.demotion() == 0 ? configured : Math.max(1, Math.min(254, configured - v.demotion()));
        if (effective != rt.router.priority()) {
            String because;
            if (why.equals("reload")) {
                because = "reload: configured " + configured + (v.demotion() == 0 ? "" : ", demoted by " + v.demotion()
                    + " (" + String.join(", ", v.demotedBy()) + ")");
            } else if (v.demotion() == 0) {
                because = why.replaceFirst(": ok$", "") + " ok again: no demotion";
            } else {
                because = String.join(", ", v.demotedBy()) + ": demoted by " + v.demotion();
            }
            LOG.info("{}: priority {} -> {} ({})", rt.name(), rt.router.priority(), effective, because);
            rt.router.setPriority(effective);
        }
        SyncGroup g = groupOf.get(rt.router);
        boolean failed = v.fault() != null;
        if (failed != g.hasFault(rt.router) || failed) {
            List<Effect> out = new ArrayList<>();
            g.setFault(now, rt.router, failed, failed ? v.fault() : why.replaceFirst("^[^:]*: ", ""), out);
            execute(now, out);
        }
    }

    /**
     * A gate holds preemption in a group while {@code hold}: a lower-priority master is kept as if
     * Preempt_Mode were false (e.g. until the connection-state cache is synchronized). Taking over a
     * master that stopped advertising is not held.
     */
    public void holdPreemption(String gate, String group, boolean hold, String reason) {
        Map<String, String> gates = preemptGates.computeIfAbsent(group, k -> new LinkedHashMap<>());
        boolean changed = hold ? gates.put(gate, reason) == null : gates.remove(gate) != null;
        SyncGroup g = groups.get(group);
        if (!changed || g == null) {
            return;
        }
        boolean held = !gates.isEmpty();
        for (VrrpRouter r : g.members()) {
            if (r.preemptHeld() != held) {
                r.setPreemptHeld(held);
                LOG.info("{}: preemption {} ({})", r.name(), held ? "held" : "released", reason);
            }
        }
    }

    /**
     * The hotwire (the direct link to the partner) lost or regained carrier: backups that hear no
     * advertisement within one interval after the loss take over ({@link VrrpRouter#peerLinkLost}).
     */
    public void peerLink(boolean carrier) {
        long now = loop.now();
        for (InstanceRuntime rt : instances.values()) {
            if (carrier) {
                rt.router.peerLinkRestored();
            } else {
                rt.router.peerLinkLost(now);
            }
        }
    }

    /** An interface's index or MAC changed (or its IPv6 link-local address: {@code source} of IPv6 instances). */
    public void linkUpdated(String ifname, int ifindex, byte[] mac) {
        for (InstanceRuntime rt : instances.values()) {
            if (rt.config.interfaceName().equals(ifname)) {
                if (mac != null && mac.length > 0) {
                    rt.mac = mac;
                }
                if (ifindex > 0) {
                    rt.ifindex = ifindex;
                }
            }
        }
    }

    /** The IPv6 link-local source of the IPv6 instances on {@code ifindex} changed. */
    public void ipv6SourceChanged(int ifindex, InetAddress source) {
        for (InstanceRuntime rt : instances.values()) {
            if (rt.ifindex == ifindex && rt.config.ipv6() && !java.util.Objects.equals(source, rt.source)) {
                LOG.info("{}: link-local source {} -> {}", rt.name(), rt.source == null ? "none" : tandem.vrrp.AddressText.format(rt.source),
                    source == null ? "none" : tandem.vrrp.AddressText.format(source));
                rt.source = source;
                rt.router.setPrimaryAddress(source);
            }
        }
    }

    // ---------------------------------------------------------------- effects

    private void execute(long now, List<Effect> effects) {
        Map<String, String> touched = new LinkedHashMap<>();
        for (Effect e : effects) {
            InstanceRuntime rt = runtimeOf.get(e.router());
            if (rt == null) {
                continue;
            }
            switch (e) {
                case Effect.SendAdvertisement s -> send(rt, s.priority());
                case Effect.Transition t -> {
                    rt.lastTransitionWallMillis = loop.clock().wallMillis();
                    LOG.info("{}: {} -> {} ({})", rt.name(), t.from().label(), t.to().label(), t.reason());
                    touched.putIfAbsent(rt.group, rt.name() + " " + t.to().label() + ": " + t.reason());
                }
                // addresses and announcements belong to the role pipeline (the group's role below)
                case Effect.AddAddresses a -> {
                }
                case Effect.RemoveAddresses r -> {
                }
                case Effect.Announce a -> {
                }
            }
        }
        if (!reconfiguring) {
            for (Map.Entry<String, String> t : touched.entrySet()) {
                publishRole(t.getKey(), t.getValue());
            }
        }
    }

    /** While a reload rebuilds the groups, their roles are published once at the end. */
    private boolean reconfiguring;

    private void publishRole(String group, String reason) {
        SyncGroup g = groups.get(group);
        if (g == null) {
            return;
        }
        Role r = g.members().stream().allMatch(m -> m.state() == VrrpState.MASTER) ? Role.ACTIVE : Role.STANDBY;
        if (groupRoles.put(group, r) != r) {
            roles.roleChanged(group, r, reason);
        }
    }

    private void send(InstanceRuntime rt, int priority) {
        RouterConfig rc = rt.router.config();
        ChannelRuntime ch = channels.get(rt.channelKey);
        VrrpAdvertisement adv = new VrrpAdvertisement(rc.version(), rc.vrid(), priority, rc.advertIntervalCentis(),
            rc.virtualAddresses(), rc.authType(), rc.password());
        InetAddress src = rt.source != null ? rt.source : ch.channel.group();
        try {
            ch.channel.send(VrrpCodec.encode(adv, src, ch.channel.group(), rc.checksumMode()));
        } catch (RuntimeException e) {
            ch.sendErrors++;
            dropLog.log(rt.name() + " send", "cannot send advert: " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- receive

    /** A packet from one of the channels (on the loop). */
    public void onPacket(Received p) {
        ChannelRuntime ch = channels.get(InstanceRuntime.channelKey(p.ifname(), p.ipv6()));
        if (ch == null) {
            return; // the channel was closed by a reload after the packet was read
        }
        long now = loop.now();
        int vrid = p.length() >= 2 ? p.data()[1] & 0xff : -1;
        InstanceRuntime target = ch.byVrid.get(vrid);
        if (p.length() < 0) {
            drop(ch, null, DropReason.LENGTH, "IP packet from " + tandem.vrrp.AddressText.format(p.source())
                + " too short for its header (expected: a full IP header)");
            return;
        }
        if (p.ttl() != VrrpConstants.TTL) {
            drop(ch, target, DropReason.TTL, (p.ipv6() ? "hop limit: " : "ttl: ") + p.ttl()
                + " from " + tandem.vrrp.AddressText.format(p.source()) + " (expected: 255)");
            return;
        }
        VrrpAdvertisement adv;
        try {
            adv = VrrpCodec.decode(p.data(), 0, p.length(), p.source(), p.destination(),
                target != null ? target.router.config().checksumMode() : tandem.vrrp.ChecksumMode.RFC9568);
        } catch (VrrpDecodeException e) {
            drop(ch, target, e.reason(), e.getMessage() + " from " + tandem.vrrp.AddressText.format(p.source()));
            return;
        }
        if (target == null) {
            drop(ch, null, DropReason.VRID, "vrid: " + vrid + " from " + tandem.vrrp.AddressText.format(p.source())
                + " (expected: one of " + ch.byVrid.keySet() + ")");
            return;
        }
        mismatches.seen(target, adv, p.source(), now);
        List<Effect> own = new ArrayList<>();
        DropReason reason = target.router.receive(now, adv, p.source(), own);
        if (reason != null) {
            dropLog.log(target.name() + " " + reason.label(), "dropped advert from " + tandem.vrrp.AddressText.format(p.source())
                + ": " + mismatch(target, adv, reason));
            return;
        }
        List<Effect> out = new ArrayList<>();
        groupOf.get(target.router).propagate(now, own, out);
        execute(now, out);
    }

    /**
     * Peers whose adverts for one of our virtual routers say something else than our configuration
     * (addresses, interval, version, authentication): two nodes configured with different VIPs for one
     * VRID both become master, each dropping the other's adverts. A persistent problem - logged when it
     * starts and when it ends, shown in info while it lasts (until the peer's adverts match again or
     * none came for 10 s).
     */
    final class Mismatches {
        private static final long STALE_NANOS = 10_000_000_000L;
        /** instance -> peer -> (what differs, last seen). */
        private final Map<String, Map<String, Object[]>> byInstance = new LinkedHashMap<>();

        /** On every advert received (the loop's hot path): while the advert matches and no mismatch is known, no sets, strings or map entries are made. */
        void seen(InstanceRuntime rt, VrrpAdvertisement adv, InetAddress from, long now) {
            RouterConfig c = rt.router.config();
            boolean sameAddresses = adv.addresses().equals(c.virtualAddresses())
                || new java.util.HashSet<>(adv.addresses()).equals(new java.util.HashSet<>(c.virtualAddresses()));
            boolean sameAuth = c.version() != tandem.vrrp.VrrpVersion.V2 || adv.version() != c.version()
                || adv.authType() == c.authType();
            if (adv.version() == c.version() && sameAddresses && adv.intervalCentis() == c.advertIntervalCentis() && sameAuth) {
                Map<String, Object[]> peers = byInstance.get(rt.name());
                if (peers != null && !peers.isEmpty()) {
                    String peer = tandem.vrrp.AddressText.format(from);
                    if (peers.remove(peer) != null) {
                        LOG.info("{}: peer {} advertises our configuration again", rt.name(), peer);
                    }
                }
                return;
            }
            List<String> diff = new ArrayList<>();
            if (adv.version() != c.version()) {
                diff.add("version " + adv.version().wire() + " (ours " + c.version().wire() + ")");
            }
            if (!sameAddresses) {
                diff.add("addresses " + adv.addresses().stream().map(tandem.vrrp.AddressText::format).toList()
                    + " (ours " + c.virtualAddresses().stream().map(tandem.vrrp.AddressText::format).toList() + ")");
            }
            if (adv.intervalCentis() != c.advertIntervalCentis()) {
                diff.add("advert interval " + adv.intervalCentis() * 10 + " ms (ours " + c.advertIntervalCentis() * 10 + " ms)");
            }
            if (!sameAuth) {
                diff.add("authentication type " + adv.authType() + " (ours " + c.authType() + ")");
            }
            String peer = tandem.vrrp.AddressText.format(from);
            Map<String, Object[]> peers = byInstance.computeIfAbsent(rt.name(), k -> new LinkedHashMap<>());
            Object[] known = peers.get(peer);
            String what = String.join(", ", diff);
            if (known == null || !known[0].equals(what)) {
                LOG.warn("{}: peer {} is configured differently for VRID {}: {} - both nodes may become master;"
                    + " make the configurations equal", rt.name(), peer, c.vrid(), what);
            }
            peers.put(peer, new Object[] {what, now});
        }

        List<String> of(String instance, long now) {
            Map<String, Object[]> peers = byInstance.getOrDefault(instance, Map.of());
            peers.values().removeIf(v -> now - (long) v[1] > STALE_NANOS);
            return peers.entrySet().stream().map(e -> "peer " + e.getKey() + ": " + e.getValue()[0]).toList();
        }
    }

    private final Mismatches mismatches = new Mismatches();

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

    private void drop(ChannelRuntime ch, InstanceRuntime target, DropReason reason, String message) {
        if (target != null && reason != DropReason.VRID) {
            target.router.countDrop(reason);
            dropLog.log(target.name() + " " + reason.label(), "dropped advert: " + message);
        } else {
            ch.drops.merge(reason, 1L, Long::sum);
            dropLog.log(ch.key + " " + reason.label(), "dropped advert: " + message);
        }
    }

    // ---------------------------------------------------------------- reload

    /**
     * Applies a validated configuration whose new sockets the caller opened already ({@code opened},
     * by channel key). Instances whose identity (interface, VRID, version, family) is unchanged keep
     * their state; removed ones resign; new ones start in backup. Only in-memory changes: it cannot
     * fail half-way. Returns the channels no instance uses any more (the caller closes them off the
     * loop) and what was kept, added and removed.
     */
    public ReloadOutcome reconfigure(NodeConfig next, Map<String, Placement> placements, Map<String, AdvertChannel> opened,
                                     Set<String> activeAfter) {
        reconfiguring = true;
        try {
            return rebuild(next, placements, opened, activeAfter);
        } finally {
            reconfiguring = false;
        }
    }

    private ReloadOutcome rebuild(NodeConfig next, Map<String, Placement> placements, Map<String, AdvertChannel> opened,
                                  Set<String> activeAfter) {
        long now = loop.now();
        List<Effect> out = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> added = new ArrayList<>();
        for (Map.Entry<String, AdvertChannel> e : opened.entrySet()) {
            String[] k = e.getKey().split("/");
            channels.put(e.getKey(), new ChannelRuntime(k[0], k[1].equals("ipv6"), e.getValue()));
        }
        for (InstanceRuntime rt : List.copyOf(instances.values())) {
            NodeConfig.Instance ni = next.instance(rt.name()).orElse(null);
            if (ni != null && sameIdentity(rt.config, ni)) {
                int before = rt.router.priority();
                boolean demoted = before != rt.config.priority();
                rt.config = ni;
                rt.router.reconfigure(routerConfig(ni));
                if (!demoted && before != ni.priority()) {
                    rt.router.setPriority(ni.priority());
                    LOG.info("{}: priority {} -> {} (reload)", rt.name(), before, ni.priority());
                }
                kept.add(rt.name());
            } else {
                rt.router.shutdown(now, "removed by reload", out);
                channels.get(rt.channelKey).byVrid.remove(rt.config.vrid());
                instances.remove(rt.name());
                runtimeOf.remove(rt.router);
                removed.add(rt.name());
            }
        }
        execute(now, out);
        out.clear();
        config = next;
        List<InstanceRuntime> fresh = new ArrayList<>();
        for (NodeConfig.Instance ni : next.instances()) {
            if (!instances.containsKey(ni.name())) {
                addInstance(ni, placements.get(ni.name()));
                fresh.add(instances.get(ni.name()));
                added.add(ni.name());
            }
        }
        List<AdvertChannel> unused = new ArrayList<>();
        channels.entrySet().removeIf(e -> {
            if (e.getValue().byVrid.isEmpty()) {
                unused.add(e.getValue().channel);
                return true;
            }
            return false;
        });
        Map<String, SyncGroup> before = new HashMap<>(groups);
        rebuildGroups(next);
        // a group that changed members starts over from its members' own faults (health re-reports)
        for (InstanceRuntime rt : instances.values()) {
            if (rt.router.fault() && !groupOf.get(rt.router).faulted()) {
                rt.router.setFault(now, false, "sync group changed by reload", out);
            }
        }
        for (InstanceRuntime rt : fresh) {
            groupOf.get(rt.router).startup(now, out);
        }
        // a group that stays active takes its new members along (their addresses were added already)
        for (String g : activeAfter) {
            for (VrrpRouter r : groups.get(g).members()) {
                r.forceMaster(now, "sync group " + g + " is master (reload)", out);
            }
        }
        groupRoles.keySet().retainAll(groups.keySet());
        for (String g : activeAfter) {
            groupRoles.put(g, Role.ACTIVE);
        }
        execute(now, out);
        reconfiguring = false;
        for (String g : groups.keySet()) {
            publishRole(g, "reload");
        }
        List<String> goneGroups = before.keySet().stream().filter(g -> !groups.containsKey(g)).toList();
        return new ReloadOutcome(kept, added, removed, unused, goneGroups);
    }

    /** What a reload did. */
    public record ReloadOutcome(List<String> kept, List<String> added, List<String> removed, List<AdvertChannel> unused,
                                List<String> removedGroups) {
    }

    static boolean sameIdentity(NodeConfig.Instance a, NodeConfig.Instance b) {
        return a.interfaceName().equals(b.interfaceName()) && routerConfig(a).sameIdentity(routerConfig(b));
    }

    /** Channel keys (interface/family) a configuration needs that are not open now. */
    public Set<String> channelsToOpen(NodeConfig next) {
        Set<String> keep = new LinkedHashSet<>();
        for (NodeConfig.Instance ni : next.instances()) {
            keep.add(InstanceRuntime.channelKey(ni.interfaceName(), ni.ipv6()));
        }
        keep.removeAll(channels.keySet());
        return keep;
    }

    // ---------------------------------------------------------------- observation

    public NodeConfig config() {
        return config;
    }

    public InstanceRuntime instance(String name) {
        return instances.get(name);
    }

    /** The instances of a group (configured or an instance's own). */
    public List<InstanceRuntime> members(String group) {
        SyncGroup g = groups.get(group);
        return g == null ? List.of() : g.members().stream().map(runtimeOf::get).toList();
    }

    public List<GroupInfo> groups() {
        List<GroupInfo> out = new ArrayList<>();
        for (SyncGroup g : groups.values()) {
            out.add(new GroupInfo(g.name(), g.members().stream().map(VrrpRouter::name).toList(),
                groupRoles.getOrDefault(g.name(), Role.STANDBY), configuredGroups.contains(g.name())));
        }
        return out;
    }

    /** Immutable views of every instance, for {@code tandem info}. */
    public List<InstanceView> instanceViews() {
        List<InstanceView> list = new ArrayList<>();
        for (InstanceRuntime rt : instances.values()) {
            VrrpRouter r = rt.router;
            Map<String, Long> drops = new LinkedHashMap<>();
            for (DropReason d : DropReason.values()) {
                if (d != DropReason.VRID) {
                    drops.put(d.label(), r.drops(d));
                }
            }
            SyncGroup g = groupOf.get(r);
            list.add(new InstanceView(rt.name(), r.state().label(), rt.config.vrid(), rt.config.version().wire(),
                rt.config.ipv6() ? "ipv6" : "ipv4", rt.config.interfaceName(), g.name(), r.priority(), rt.config.priority(),
                r.masterAddress() == null ? null : AddressText.format(r.masterAddress()),
                r.masterAddress() == null ? 0 : r.masterPriority(),
                rt.config.advertInterval().toMillis(), r.masterAdverIntervalCentis() * 10L,
                r.masterDownIntervalNanos() / 1_000_000.0, rt.config.preempt(), r.preemptHeld(),
                rt.config.virtualAddresses().stream().map(NodeConfig.Cidr::toString).toList(),
                rt.source == null ? null : AddressText.format(rt.source), r.advertsSent(), r.advertsReceived(),
                drops, rt.lastTransitionWallMillis < 0 ? null : Instant.ofEpochMilli(rt.lastTransitionWallMillis).toString(),
                r.lastTransitionReason(), r.masterDownHeld(), r.masterDownHeldReason(),
                mismatches.of(rt.name(), loop.now())));
        }
        return list;
    }

    /** Immutable views of every socket's own drops and send errors. */
    public List<ChannelView> channelViews() {
        List<ChannelView> out = new ArrayList<>();
        for (ChannelRuntime c : channels.values()) {
            Map<String, Long> drops = new LinkedHashMap<>();
            for (DropReason d : DropReason.values()) {
                drops.put(d.label(), c.drops.getOrDefault(d, 0L));
            }
            out.add(new ChannelView(c.ifname, c.ipv6 ? "ipv6" : "ipv4", drops, c.sendErrors));
        }
        return out;
    }

    /** One instance as {@code tandem info} shows it. */
    public record InstanceView(String name, String state, int vrid, int version, String family,
                               @JsonProperty("interface") String interfaceName,
                               String group, int priority, int configuredPriority, String master, int masterPriority,
                               long advertIntervalMs, long masterAdvertIntervalMs, double masterDownIntervalMs,
                               boolean preempt, boolean preemptHeld, List<String> virtualAddresses,
                               String source, long advertsSent, long advertsReceived, Map<String, Long> drops,
                               String lastTransition, String lastTransitionReason, long masterDownHeld,
                               String masterDownHeldReason, List<String> configMismatch) {
        public InstanceView {
            virtualAddresses = List.copyOf(virtualAddresses);
            drops = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(drops));
            configMismatch = List.copyOf(configMismatch);
        }
    }

    /** One socket as {@code tandem info --detail} shows it. */
    public record ChannelView(@JsonProperty("interface") String interfaceName, String family, Map<String, Long> drops,
                              long sendErrors) {
    }
}
