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
 * Interfaces that are down while their group is standby (Securepoint: the PPPoE uplink, so the
 * standby does not dial too): set up on takeover, after the addresses, and down on release. Their
 * links are not counted by link tracking. rtnetlink, a few microseconds each, on the loop.
 */
public final class StandbyInterfaces implements RoleBound, InitialStandby {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.ops");
    private final String group;
    private final Supplier<NodeConfig> config;
    private final LinkPort links;

    public StandbyInterfaces(String group, Supplier<NodeConfig> config, LinkPort links) {
        this.group = group;
        this.config = config;
        this.links = links;
    }

    @Override
    public String name() {
        return "interfaces";
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

    private List<String> mine() {
        return config.get().operations().standbyDown().stream().filter(d -> d.group().equals(group))
            .map(NodeConfig.StandbyDown::interfaceName).toList();
    }

    @Override
    public CompletionStage<Void> activate(RoleChange change) {
        return set(true);
    }

    @Override
    public CompletionStage<Void> deactivate(RoleChange change) {
        return set(false);
    }

    @Override
    public void standbyAtStart() {
        set(false);
    }

    /** A reload: interfaces no longer listed are left as they are; new ones follow the group's role now. */
    public void reconfigured(boolean active) {
        set(active);
    }

    private CompletionStage<Void> set(boolean up) {
        List<String> failed = new ArrayList<>();
        for (String i : mine()) {
            try {
                links.setUp(i, up);
                LOG.info("group {}: interface {} {}", group, i, up ? "up (active)" : "down (standby)");
            } catch (RuntimeException e) {
                LOG.error("group {}: cannot set interface {} {}: {}", group, i, up ? "up" : "down", e.getMessage());
                failed.add(i + ": " + e.getMessage());
            }
        }
        return failed.isEmpty() ? CompletableFuture.completedFuture(null)
            : CompletableFuture.failedFuture(new IllegalStateException(String.join("; ", failed)));
    }
}
