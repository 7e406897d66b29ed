package tandem.node.reload;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tandem.node.config.NodeConfig;
import tandem.node.vrrp.VrrpEngine;

/**
 * What a reload changes, computed before anything is changed (pure). Instances keep their state when
 * their identity (interface, VRID, version, family) is unchanged; others are removed or added. A
 * group stays active when one of its kept members is master now; its other members (new ones, or ones
 * moved into it) follow it to master. The virtual addresses the node must hold afterwards are those
 * of the non-owner members of the groups active afterwards; the difference to what it holds now is
 * applied first, undone on failure, so a reload that fails leaves the running set.
 */
public record ReloadPlan(List<String> kept, List<String> added, List<String> removed, Set<String> activeAfter,
                         Set<Vip> vipsBefore, Set<Vip> vipsAfter) {

    /** One virtual address on one interface. */
    public record Vip(String instance, String interfaceName, NodeConfig.Cidr address) {
        /** Equal when interface and address are: which instance holds it does not matter to the kernel. */
        String key() {
            return interfaceName + " " + address;
        }
    }

    /**
     * @param masters      instances that are master now
     * @param activeGroups groups whose role is active now (their addresses are on the interfaces)
     */
    public static ReloadPlan of(NodeConfig current, NodeConfig next, Set<String> masters, Set<String> activeGroups) {
        List<String> kept = new ArrayList<>();
        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        for (NodeConfig.Instance i : current.instances()) {
            NodeConfig.Instance n = next.instance(i.name()).orElse(null);
            if (n != null && sameIdentity(i, n)) {
                kept.add(i.name());
            } else {
                removed.add(i.name());
            }
        }
        for (NodeConfig.Instance n : next.instances()) {
            if (!kept.contains(n.name())) {
                added.add(n.name());
            }
        }
        Set<String> activeAfter = new LinkedHashSet<>();
        for (Map.Entry<String, List<String>> g : VrrpEngine.groupsOf(next).entrySet()) {
            if (g.getValue().stream().anyMatch(m -> kept.contains(m) && masters.contains(m))) {
                activeAfter.add(g.getKey());
            }
        }
        Set<Vip> before = new LinkedHashSet<>();
        for (Map.Entry<String, List<String>> g : VrrpEngine.groupsOf(current).entrySet()) {
            if (activeGroups.contains(g.getKey())) {
                for (String m : g.getValue()) {
                    vips(current.instance(m).orElseThrow(), before);
                }
            }
        }
        Set<Vip> after = new LinkedHashSet<>();
        for (String g : activeAfter) {
            for (String m : VrrpEngine.groupsOf(next).get(g)) {
                vips(next.instance(m).orElseThrow(), after);
            }
        }
        return new ReloadPlan(List.copyOf(kept), List.copyOf(added), List.copyOf(removed), Set.copyOf(activeAfter),
            before, after);
    }

    private static boolean sameIdentity(NodeConfig.Instance a, NodeConfig.Instance b) {
        return a.interfaceName().equals(b.interfaceName())
            && VrrpEngine.routerConfig(a).sameIdentity(VrrpEngine.routerConfig(b));
    }

    private static void vips(NodeConfig.Instance i, Set<Vip> into) {
        if (i.priority() == tandem.vrrp.VrrpConstants.PRIORITY_OWNER) {
            return; // the owner's addresses are its own
        }
        for (NodeConfig.Cidr c : i.virtualAddresses()) {
            into.add(new Vip(i.name(), i.interfaceName(), c));
        }
    }

    /** Addresses to add: held afterwards, not now (by interface and address). */
    public List<Vip> toAdd() {
        return difference(vipsAfter, vipsBefore);
    }

    /** Addresses to remove: held now, not afterwards. */
    public List<Vip> toRemove() {
        return difference(vipsBefore, vipsAfter);
    }

    private static List<Vip> difference(Set<Vip> a, Set<Vip> b) {
        Map<String, Vip> m = new LinkedHashMap<>();
        a.forEach(v -> m.put(v.key(), v));
        b.forEach(v -> m.remove(v.key()));
        return List.copyOf(m.values());
    }
}
