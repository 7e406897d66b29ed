package tandem.node.vrrp;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.node.config.NodeConfig;
import tandem.node.loop.EventLoop;
import tandem.node.role.Phase;
import tandem.node.role.RoleBound;
import tandem.node.role.RoleChange;

/**
 * Gratuitous ARP / unsolicited NA for a group's addresses: at once on takeover, {@code garp.count - 1}
 * more {@code garp.delay} apart, then every {@code garp.refresh} while active (timers on the loop).
 */
public final class AnnounceComponent implements RoleBound {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.vrrp");
    private final VrrpEngine engine;
    private final String group;
    private final AnnouncePort port;
    private final EventLoop loop;
    private final RateLimitedLog errors;
    private final List<EventLoop.Timer> timers = new ArrayList<>();
    private final java.util.Map<String, EventLoop.Timer> refreshes = new java.util.HashMap<>();

    public AnnounceComponent(VrrpEngine engine, String group, AnnouncePort port, EventLoop loop) {
        this.engine = engine;
        this.group = group;
        this.port = port;
        this.loop = loop;
        this.errors = new RateLimitedLog(LOG, loop.clock(), 10_000_000_000L);
    }

    @Override
    public String name() {
        return "announce";
    }

    @Override
    public Phase phase() {
        return Phase.ANNOUNCE;
    }

    @Override
    public Duration budget() {
        return Duration.ofSeconds(1);
    }

    @Override
    public CompletionStage<Void> activate(RoleChange change) {
        cancel();
        long now = loop.now();
        for (InstanceRuntime rt : engine.members(group)) {
            NodeConfig.Garp g = rt.config().garp();
            if (g.count() == 0) {
                continue;
            }
            announce(rt);
            for (int i = 1; i < g.count(); i++) {
                timers.add(loop.schedule(now + i * g.delay().toNanos(), "gratuitous ARP of " + rt.name(), () -> announce(rt)));
            }
            if (!g.refresh().isZero()) {
                refresh(rt, now + Math.max(g.refresh().toNanos(), (g.count() - 1) * g.delay().toNanos()));
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    private void refresh(InstanceRuntime rt, long at) {
        refreshes.put(rt.name(), loop.schedule(at, "gratuitous ARP refresh of " + rt.name(), () -> {
            announce(rt);
            refresh(rt, at + rt.config().garp().refresh().toNanos());
        }));
    }

    @Override
    public CompletionStage<Void> deactivate(RoleChange change) {
        cancel();
        return CompletableFuture.completedFuture(null);
    }

    private void cancel() {
        timers.forEach(EventLoop.Timer::cancel);
        timers.clear();
        refreshes.values().forEach(EventLoop.Timer::cancel);
        refreshes.clear();
    }

    private void announce(InstanceRuntime rt) {
        for (NodeConfig.Cidr c : rt.config().virtualAddresses()) {
            try {
                port.announce(rt.ifindex(), rt.mac(), c.address());
            } catch (RuntimeException e) {
                errors.log(rt.name() + " announce", "cannot announce " + tandem.vrrp.AddressText.format(c.address()) + ": " + e.getMessage());
            }
        }
    }
}
