package tandem.node.ops;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.node.config.NodeConfig;
import tandem.node.role.Phase;
import tandem.node.role.RoleBound;
import tandem.node.role.RoleChange;

/**
 * Routes a node has only while its group is standby (DEFENDO "cluster with shared Internet access":
 * the standby has no public address of its own, so its own traffic - updates, DNS, mail - goes through
 * the active node, e.g. a default route via the LAN cluster address). Removed on takeover, added on
 * release and at start; removed when the daemon exits.
 */
public final class StandbyRoutes implements RoleBound, InitialStandby {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.ops");
    private final String group;
    private final Supplier<NodeConfig> config;
    private final RoutePort routes;

    public StandbyRoutes(String group, Supplier<NodeConfig> config, RoutePort routes) {
        this.group = group;
        this.config = config;
        this.routes = routes;
    }

    @Override
    public String name() {
        return "standby-routes";
    }

    @Override
    public boolean configured() {
        return !mine().isEmpty();
    }

    @Override
    public Phase phase() {
        return Phase.INTERFACES;
    }

    @Override
    public Duration budget() {
        return Duration.ofSeconds(1);
    }

    List<NodeConfig.StandbyRoute> mine() {
        return config.get().operations().standbyRoutes().stream().filter(r -> r.group().equals(group)).toList();
    }

    @Override
    public CompletionStage<Void> activate(RoleChange change) {
        return set(mine(), false);
    }

    @Override
    public CompletionStage<Void> deactivate(RoleChange change) {
        return set(mine(), true);
    }

    @Override
    public void standbyAtStart() {
        set(mine(), true);
    }

    /** Removes this group's routes (the daemon exits: nothing is left behind). */
    public void removeAll() {
        set(mine(), false);
    }

    /** A reload changed the routes: removed ones go, new ones follow the group's role now. */
    public void reconfigured(List<NodeConfig.StandbyRoute> before, boolean active) {
        List<NodeConfig.StandbyRoute> now = mine();
        set(before.stream().filter(r -> r.group().equals(group) && !now.contains(r)).toList(), false);
        set(now, !active);
    }

    private CompletionStage<Void> set(List<NodeConfig.StandbyRoute> list, boolean add) {
        List<String> failed = new ArrayList<>();
        for (NodeConfig.StandbyRoute r : list) {
            String what = r.destination() + " via " + tandem.vrrp.AddressText.format(r.via()) + " metric " + r.metric();
            try {
                if (add ? routes.add(r) : routes.remove(r)) {
                    LOG.info("group {}: {} route {}", group, add ? "added standby" : "removed standby", what);
                }
            } catch (RuntimeException e) {
                LOG.error("group {}: cannot {} route {}: {}", group, add ? "add" : "remove", what, e.getMessage());
                failed.add(what + ": " + e.getMessage());
            }
        }
        return failed.isEmpty() ? CompletableFuture.completedFuture(null)
            : CompletableFuture.failedFuture(new IllegalStateException(String.join("; ", failed)));
    }
}
