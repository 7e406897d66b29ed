package tandem.node.ops;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.node.role.Phase;
import tandem.node.role.RoleBound;
import tandem.node.role.RoleChange;

/**
 * The addresses phase of a group with {@code takeover: layer2} (the book's ct_sync l2drop, NCP's
 * arptables dve_up/dve_down): the cluster addresses are on every node all the time; the standby drops
 * ARP and Neighbor Discovery for them at layer 2, the active node lifts the drop (then announces them).
 * Services may stay bound to the cluster addresses on both nodes.
 */
public final class Layer2Takeover implements RoleBound, InitialStandby {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.ops");
    private final String group;
    private final Layer2Port port;
    private final Runnable addAddresses;

    /**
     * @param addAddresses adds the group's cluster addresses (at start, after the drop is in place)
     */
    public Layer2Takeover(String group, Layer2Port port, Runnable addAddresses) {
        this.group = group;
        this.port = port;
        this.addAddresses = addAddresses;
    }

    @Override
    public String name() {
        return "layer2";
    }

    @Override
    public Phase phase() {
        return Phase.ADDRESSES;
    }

    @Override
    public Duration budget() {
        return Duration.ofSeconds(1);
    }

    @Override
    public CompletionStage<Void> activate(RoleChange change) {
        return set(false);
    }

    @Override
    public CompletionStage<Void> deactivate(RoleChange change) {
        return set(true);
    }

    @Override
    public void standbyAtStart() {
        try {
            port.drop(group, true);
        } catch (RuntimeException e) {
            // without the drop, the addresses would answer ARP on both nodes: they are not added
            LOG.error("group {}: cannot install the layer-2 drop, so its cluster addresses are not added: {}", group,
                e.getMessage());
            return;
        }
        LOG.info("group {}: layer-2 drop installed (standby)", group);
        addAddresses.run();
    }

    private CompletionStage<Void> set(boolean drop) {
        try {
            port.drop(group, drop);
            LOG.info("group {}: layer-2 drop {}", group, drop ? "installed (standby)" : "lifted (active)");
            return CompletableFuture.completedFuture(null);
        } catch (RuntimeException e) {
            LOG.error("group {}: cannot {} the layer-2 drop: {}", group, drop ? "install" : "lift", e.getMessage());
            return CompletableFuture.failedFuture(e);
        }
    }
}
