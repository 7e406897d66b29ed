package tandem.node.vrrp;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.node.config.NodeConfig;
import tandem.node.role.Phase;
import tandem.node.role.RoleBound;
import tandem.node.role.RoleChange;

/**
 * The cluster addresses of one group: added on takeover, removed on release (rtnetlink, a few
 * microseconds each, on the loop). The address owner's addresses are its own and stay.
 */
public final class VipComponent implements RoleBound {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.vrrp");
    private final VrrpEngine engine;
    private final String group;
    private final AddressPort addresses;

    public VipComponent(VrrpEngine engine, String group, AddressPort addresses) {
        this.engine = engine;
        this.group = group;
        this.addresses = addresses;
    }

    @Override
    public String name() {
        return "addresses";
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
        return set(true);
    }

    @Override
    public CompletionStage<Void> deactivate(RoleChange change) {
        return set(false);
    }

    private CompletionStage<Void> set(boolean add) {
        List<String> failed = new ArrayList<>();
        for (InstanceRuntime rt : engine.members(group)) {
            if (rt.owner()) {
                continue;
            }
            for (NodeConfig.Cidr c : rt.config().virtualAddresses()) {
                try {
                    if (add) {
                        addresses.add(rt.ifindex(), c);
                    } else {
                        addresses.remove(rt.ifindex(), c);
                    }
                } catch (RuntimeException e) {
                    LOG.error("{}: cannot {} virtual address {} on {}: {}", rt.name(), add ? "add" : "remove", c,
                        rt.config().interfaceName(), e.getMessage());
                    failed.add(c + " on " + rt.config().interfaceName() + ": " + e.getMessage());
                }
            }
        }
        return failed.isEmpty() ? CompletableFuture.completedFuture(null)
            : CompletableFuture.failedFuture(new IllegalStateException(String.join("; ", failed)));
    }

    /**
     * A reload changed an active instance's addresses: adds the new ones first, then removes the old;
     * a failure undoes what this call did and rethrows, so the running set is unchanged.
     */
    public static void change(AddressPort port, InstanceRuntime rt, List<NodeConfig.Cidr> before, List<NodeConfig.Cidr> after) {
        if (rt.owner()) {
            return;
        }
        List<NodeConfig.Cidr> added = new ArrayList<>();
        List<NodeConfig.Cidr> removed = new ArrayList<>();
        try {
            for (NodeConfig.Cidr c : after) {
                if (!before.contains(c) && port.add(rt.ifindex(), c)) {
                    added.add(c);
                }
            }
            for (NodeConfig.Cidr c : before) {
                if (!after.contains(c) && port.remove(rt.ifindex(), c)) {
                    removed.add(c);
                }
            }
        } catch (RuntimeException e) {
            for (NodeConfig.Cidr c : removed) {
                undo(() -> port.add(rt.ifindex(), c), rt, "re-add", c);
            }
            for (NodeConfig.Cidr c : added) {
                undo(() -> port.remove(rt.ifindex(), c), rt, "remove again", c);
            }
            throw new IllegalStateException(rt.name() + ": changing the virtual addresses on "
                + rt.config().interfaceName() + " failed: " + e.getMessage() + "; undid " + added.size()
                + " added and " + removed.size() + " removed", e);
        }
    }

    private static void undo(Runnable r, InstanceRuntime rt, String what, NodeConfig.Cidr c) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.error("{}: rollback could not {} {}: {}", rt.name(), what, c, e.getMessage());
        }
    }
}
