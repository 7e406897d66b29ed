package tandem.node.ops;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.node.config.NodeConfig;
import tandem.node.health.Health;
import tandem.node.health.HealthSink;
import tandem.node.health.HealthSource;
import tandem.node.loop.EventLoop;
import tandem.node.role.Phase;
import tandem.node.role.Role;
import tandem.node.role.RoleBound;
import tandem.node.role.RoleChange;
import tandem.node.vrrp.VrrpEngine;
import tandem.services.ServiceEvent;
import tandem.services.ServiceHost;
import tandem.services.ServiceStatus;
import tandem.services.ServiceSupervisor;
import tandem.services.Verdict;

/**
 * The node's role-bound services (module services): one supervisor per configured service, started and
 * stopped by the SERVICES phase of its group's pipeline - {@code run-on: active} on takeover (before the
 * announcements) and stopped on release, {@code standby} the other way round, {@code all} always - and
 * the service monitors as a health source ({@code service:NAME}): a service that stays failed demotes
 * or faults its group. Supervisors work on their own threads; their events come back through the loop.
 * A service that fails to start is reported and retried by its supervisor: it does not hold the takeover.
 */
public final class Services implements HealthSource {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.services");
    private final EventLoop loop;
    private final ServiceHost host;
    private final Supplier<NodeConfig> config;
    private final Function<String, Role> roleOf;
    private final Map<String, ServiceSupervisor> supervisors = new LinkedHashMap<>();
    private final Map<String, NodeConfig.Service> specs = new LinkedHashMap<>();
    private final Map<String, Verdict> verdicts = new LinkedHashMap<>();
    private HealthSink sink;

    /**
     * @param roleOf a group's role now (the pipeline's)
     */
    public Services(EventLoop loop, ServiceHost host, NodeConfig initial, Supplier<NodeConfig> config,
                    Function<String, Role> roleOf) {
        this.loop = loop;
        this.host = host;
        this.config = config;
        this.roleOf = roleOf;
        for (NodeConfig.Service s : initial.operations().services()) {
            add(s);
        }
    }

    private void add(NodeConfig.Service s) {
        specs.put(s.name(), s);
        supervisors.put(s.name(), host.supervise(s.spec(), e -> loop.execute("service " + s.name(), () -> event(s.name(), e))));
    }

    @Override
    public String name() {
        return "service";
    }

    @Override
    public void start(HealthSink sink) {
        this.sink = sink;
    }

    /** The SERVICES-phase component of a group. */
    public RoleBound component(String group) {
        return new GroupServices(group);
    }

    private void event(String name, ServiceEvent e) {
        NodeConfig.Service s = specs.get(name);
        if (s == null) {
            return;
        }
        if (e instanceof ServiceEvent.VerdictChanged v) {
            verdicts.put(name, v.verdict());
            report(s, v.verdict());
        }
    }

    private void report(NodeConfig.Service s, Verdict v) {
        if (sink == null) {
            return;
        }
        Health h = switch (v.state()) {
            case OK -> Health.OK;
            case DEMOTE -> Health.demote(v.weight(), "service " + s.name() + ": " + v.reason());
            case FAULT -> Health.fault("service " + s.name() + ": " + v.reason());
        };
        for (String instance : VrrpEngine.groupsOf(config.get()).getOrDefault(s.group(), List.of())) {
            sink.report(instance, "service:" + s.name(), h);
        }
    }

    /** Starts or stops every service of {@code group} for its role; the stage completes when all are done. */
    private CompletionStage<Void> apply(String group, boolean active, String why) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (NodeConfig.Service s : specs.values()) {
            if (!s.group().equals(group)) {
                continue;
            }
            ServiceSupervisor sup = supervisors.get(s.name());
            boolean run = s.spec().runOn().runsWhen(active);
            CompletionStage<Void> st = run ? sup.start() : sup.stop();
            all.add(st.toCompletableFuture().exceptionally(t -> {
                // reported and retried by the supervisor; the pipeline goes on
                LOG.error("group {} {}: service {} did not {}: {}", group, why, s.name(), run ? "start" : "stop",
                    t.getMessage());
                return null;
            }));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    /** A reload: removed services stop, new or changed ones start over for their group's role now. */
    public void reconfigure(NodeConfig next) {
        Map<String, NodeConfig.Service> now = new LinkedHashMap<>();
        next.operations().services().forEach(s -> now.put(s.name(), s));
        for (String name : List.copyOf(specs.keySet())) {
            NodeConfig.Service old = specs.get(name);
            if (!old.equals(now.get(name))) {
                LOG.info("service {}: {} by reload", name, now.containsKey(name) ? "changed" : "removed");
                supervisors.remove(name).close();
                specs.remove(name);
                if (verdicts.remove(name) != null) {
                    report(old, Verdict.OK);
                }
            }
        }
        for (NodeConfig.Service s : now.values()) {
            if (!specs.containsKey(s.name())) {
                add(s);
                boolean active = roleOf.apply(s.group()) == Role.ACTIVE;
                ServiceSupervisor sup = supervisors.get(s.name());
                if (s.spec().runOn().runsWhen(active)) {
                    sup.start();
                } else {
                    sup.stop();
                }
            }
        }
    }

    /** One service as {@code tandem info} shows it. */
    public record ServiceView(String name, String group, String runOn, String kind, String state, String since,
                              boolean wanted, int restarts, String lastError, String lastErrorAt, Long startTookMs,
                              String detail, String verdict) {
    }

    public List<ServiceView> views() {
        List<ServiceView> out = new ArrayList<>();
        for (NodeConfig.Service s : specs.values()) {
            ServiceStatus st = supervisors.get(s.name()).status();
            out.add(new ServiceView(s.name(), s.group(), s.spec().runOn().name().toLowerCase(java.util.Locale.ROOT),
                s.spec().kind().getClass().getSimpleName().replace("Spec", "").toLowerCase(java.util.Locale.ROOT),
                st.state().label(), st.since().toString(), st.wanted(), st.restarts(), st.lastError().orElse(""),
                st.lastErrorAt().map(Object::toString).orElse(""), st.lastStartTook().map(Duration::toMillis).orElse(null),
                st.detail(), st.verdict().state() == Verdict.State.OK ? "ok"
                : st.verdict().state().name().toLowerCase(java.util.Locale.ROOT)
                + (st.verdict().weight() > 0 ? " " + st.verdict().weight() : "") + ": " + st.verdict().reason()));
        }
        return out;
    }

    /** Stops every service (the daemon exits); returns those that did not stop in time. */
    public List<String> close(Duration timeout) {
        return host.close(timeout);
    }

    private final class GroupServices implements RoleBound, InitialStandby {
        private final String group;

        GroupServices(String group) {
            this.group = group;
        }

        @Override
        public String name() {
            return "services";
        }

        @Override
        public Phase phase() {
            return Phase.SERVICES;
        }

        @Override
        public boolean configured() {
            return specs.values().stream().anyMatch(s -> s.group().equals(group));
        }

        @Override
        public Duration budget() {
            return specs.values().stream().filter(s -> s.group().equals(group)).map(s -> s.spec().startTimeout())
                .max(Duration::compareTo).orElse(Duration.ofSeconds(5)).plusSeconds(1);
        }

        @Override
        public CompletionStage<Void> activate(RoleChange change) {
            return apply(group, true, "takeover");
        }

        @Override
        public CompletionStage<Void> deactivate(RoleChange change) {
            return apply(group, false, "release");
        }

        @Override
        public void standbyAtStart() {
            apply(group, false, "start");
        }
    }
}
