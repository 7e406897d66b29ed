package tandem.node.ops;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.node.config.NodeConfig;
import tandem.node.health.Health;
import tandem.node.health.HealthSink;
import tandem.node.health.HealthSource;
import tandem.node.loop.EventLoop;
import tandem.node.vrrp.VrrpEngine;

/**
 * Ping checks as a health source (Securepoint "fallback"): each check sends its rounds on a thread of
 * its own (the {@link Prober} blocks), the verdict is kept on the loop by a {@link PingCheckState}
 * (misses before failing, successes before recovering) and reported for every instance of the check's
 * groups as {@code ping:NAME}: demoted by its weight, or faulted. When both nodes fail the same check
 * both are demoted alike and priority decides, as on the appliance.
 */
public final class PingChecks implements HealthSource {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.ops");
    private final EventLoop loop;
    private final Prober prober;
    private final Supplier<NodeConfig> config;
    private final Map<String, Running> running = new LinkedHashMap<>();
    private HealthSink sink;

    /** One check's state on the loop and its thread. */
    private static final class Running {
        final NodeConfig.PingCheck check;
        final PingCheckState state;
        volatile boolean stop;
        Thread thread;
        String problem;
        Instant since = Instant.now();

        Running(NodeConfig.PingCheck check) {
            this.check = check;
            this.state = new PingCheckState(check.misses(), check.successes());
        }
    }

    public PingChecks(EventLoop loop, Prober prober, Supplier<NodeConfig> config) {
        this.loop = loop;
        this.prober = prober;
        this.config = config;
    }

    @Override
    public String name() {
        return "ping";
    }

    @Override
    public void start(HealthSink sink) {
        this.sink = sink;
        for (NodeConfig.PingCheck c : config.get().operations().pingChecks()) {
            launch(new Running(c));
        }
    }

    private void launch(Running r) {
        running.put(r.check.name(), r);
        report(r);
        // a platform thread: the round blocks in recvmsg (a native call), which would pin a virtual thread's carrier
        r.thread = Thread.ofPlatform().daemon().name("ping-" + r.check.name()).start(() -> probe(r));
    }

    private void probe(Running r) {
        long interval = r.check.interval().toNanos();
        long next = System.nanoTime();
        int seq = 0;
        while (!r.stop) {
            boolean ok;
            String problem = null;
            try {
                ok = prober.round(r.check, ++seq & 0xffff);
            } catch (Exception e) {
                ok = false;
                problem = e.getMessage() == null ? e.toString() : e.getMessage();
            } catch (Error e) {
                LOG.error("ping check {}: prober failed", r.check.name(), e);
                return;
            }
            boolean answered = ok;
            String why = problem;
            loop.execute("ping " + r.check.name(), () -> round(r, answered, why));
            next += interval;
            long wait = next - System.nanoTime();
            if (wait < 0) {
                next = System.nanoTime();
                continue;
            }
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void round(Running r, boolean answered, String problem) {
        if (r.stop) {
            return;
        }
        if (!java.util.Objects.equals(problem, r.problem)) {
            if (problem != null) {
                LOG.warn("ping check {}: cannot probe: {}", r.check.name(), problem);
            }
            r.problem = problem;
        }
        if (r.state.round(answered)) {
            r.since = Instant.now();
            LOG.warn("ping check {}: {} ({} {} in a row)", r.check.name(), r.state.failing() ? "failing" : "ok again",
                r.state.failing() ? r.state.badInARow() : r.state.goodInARow(), r.state.failing() ? "misses" : "answers");
            report(r);
        }
    }

    private void report(Running r) {
        if (sink == null) {
            return;
        }
        NodeConfig.PingCheck c = r.check;
        String why = "ping check " + c.name() + ": no answer from " + c.targets().stream()
            .map(tandem.vrrp.AddressText::format).toList() + " in " + c.misses() + " rounds";
        Health h = !r.state.failing() ? Health.OK : c.weight() == 0 ? Health.fault(why) : Health.demote(c.weight(), why);
        Map<String, List<String>> groups = VrrpEngine.groupsOf(config.get());
        for (String g : c.groups()) {
            for (String instance : groups.getOrDefault(g, List.of())) {
                sink.report(instance, "ping:" + c.name(), h);
            }
        }
    }

    /** A reload: unchanged checks go on with their state; removed ones stop (their reports cleared); new ones start. */
    public void reconfigure(NodeConfig before, NodeConfig next) {
        Map<String, NodeConfig.PingCheck> now = new LinkedHashMap<>();
        next.operations().pingChecks().forEach(c -> now.put(c.name(), c));
        for (Running r : List.copyOf(running.values())) {
            if (!r.check.equals(now.get(r.check.name()))) {
                r.stop = true;
                r.thread.interrupt();
                running.remove(r.check.name());
                if (sink != null) {
                    Map<String, List<String>> groups = VrrpEngine.groupsOf(before);
                    for (String g : r.check.groups()) {
                        for (String instance : groups.getOrDefault(g, List.of())) {
                            sink.report(instance, "ping:" + r.check.name(), Health.OK);
                        }
                    }
                }
            }
        }
        for (NodeConfig.PingCheck c : now.values()) {
            if (!running.containsKey(c.name()) && sink != null) {
                launch(new Running(c));
            }
        }
    }

    /** Stops every check's thread. */
    public void close() {
        for (Running r : running.values()) {
            r.stop = true;
            if (r.thread != null) {
                r.thread.interrupt();
            }
        }
    }

    /** One check as {@code tandem info} shows it. */
    public record PingView(String name, List<String> targets, String state, String action, int missesInARow,
                           long rounds, String since, String problem) {
    }

    public List<PingView> views() {
        List<PingView> out = new ArrayList<>();
        for (Running r : running.values()) {
            NodeConfig.PingCheck c = r.check;
            out.add(new PingView(c.name(), c.targets().stream().map(tandem.vrrp.AddressText::format).toList(),
                r.problem != null ? "problem" : r.state.failing() ? "failing" : "ok",
                c.weight() == 0 ? "fault" : "demote " + c.weight(), r.state.badInARow(), r.state.rounds(), r.since.toString(),
                r.problem == null ? "" : r.problem));
        }
        return out;
    }
}
