package tandem.node.health;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tandem.node.config.NodeConfig;

/**
 * Link tracking as a health source: an instance's own interface without link faults it; a tracked
 * interface without link faults it (weight 0) or demotes it by its weight. In a group with split-link
 * arbitration a member's own link down does not fault: it demotes every member of the group by the
 * group's link weight, so the adverts on the links the nodes still share carry the number of links up
 * and the node with more links up wins (priority breaks ties). Interfaces that are down while standby
 * on purpose are never counted. Link states come from the node's link monitor ({@link #linkChanged});
 * loop thread only.
 */
public final class LinkTracker implements HealthSource {
    private final Map<String, Boolean> links = new HashMap<>();
    private List<NodeConfig.Instance> instances;
    private List<NodeConfig.Group> groups = List.of();
    private Set<String> ignored = Set.of();
    private HealthSink sink;
    /** The sources reported per instance, so a reload can clear the ones that are gone. */
    private final Map<String, Set<String>> reported = new LinkedHashMap<>();

    public LinkTracker(List<NodeConfig.Instance> instances) {
        this.instances = List.copyOf(instances);
    }

    public LinkTracker(NodeConfig cfg) {
        this(cfg.instances());
        configure(cfg);
    }

    private void configure(NodeConfig cfg) {
        instances = List.copyOf(cfg.instances());
        groups = cfg.groups();
        Set<String> s = new HashSet<>();
        cfg.operations().standbyDown().forEach(d -> s.add(d.interfaceName()));
        ignored = s;
    }

    @Override
    public String name() {
        return "link";
    }

    @Override
    public void start(HealthSink sink) {
        this.sink = sink;
        reportAll();
    }

    /** The interfaces whose link this tracker needs. */
    public Set<String> interfaces() {
        Set<String> s = new LinkedHashSet<>();
        for (NodeConfig.Instance i : instances) {
            s.add(i.interfaceName());
            i.tracks().forEach(t -> s.add(t.interfaceName()));
        }
        return s;
    }

    /** A link's operational state (up with carrier) is known or changed. */
    public void linkChanged(String ifname, boolean operational) {
        Boolean before = links.put(ifname, operational);
        if (sink != null && (before == null || before != operational)) {
            reportAll();
        }
    }

    /** A reload changed the instances. */
    public void reconfigure(List<NodeConfig.Instance> next) {
        instances = List.copyOf(next);
        if (sink != null) {
            reportAll();
        }
    }

    /** A reload changed the configuration. */
    public void reconfigure(NodeConfig next) {
        configure(next);
        if (sink != null) {
            reportAll();
        }
    }

    /** The arbitrating group of an instance, or null. */
    private NodeConfig.Group arbitrating(String instance) {
        for (NodeConfig.Group g : groups) {
            if (g.splitLink() == NodeConfig.SplitLink.ARBITRATE && g.instances().contains(instance)) {
                return g;
            }
        }
        return null;
    }

    public boolean operational(String ifname) {
        return links.getOrDefault(ifname, false);
    }

    private void reportAll() {
        Map<String, Set<String>> now = new LinkedHashMap<>();
        for (NodeConfig.Instance i : instances) {
            Set<String> sources = now.computeIfAbsent(i.name(), k -> new LinkedHashSet<>());
            NodeConfig.Group arb = arbitrating(i.name());
            if (arb == null) {
                String own = "link:" + i.interfaceName();
                sources.add(own);
                sink.report(i.name(), own, operational(i.interfaceName()) ? Health.OK
                    : Health.fault("interface " + i.interfaceName() + " link down"));
            } else {
                for (String member : arb.instances()) {
                    NodeConfig.Instance mi = instances.stream().filter(x -> x.name().equals(member)).findFirst().orElse(null);
                    if (mi == null || !sources.add("link:" + mi.interfaceName())) {
                        continue;
                    }
                    sink.report(i.name(), "link:" + mi.interfaceName(), operational(mi.interfaceName()) ? Health.OK
                        : Health.demote(arb.linkWeight(), "HA link " + mi.interfaceName() + " down (split-link arbitration)"));
                }
            }
            for (NodeConfig.Track t : i.tracks()) {
                String src = "link:" + t.interfaceName();
                if (ignored.contains(t.interfaceName()) || !sources.add(src)) {
                    continue;
                }
                boolean up = operational(t.interfaceName());
                String why = "tracked interface " + t.interfaceName() + " link down";
                sink.report(i.name(), src, up ? Health.OK : t.weight() == 0 ? Health.fault(why) : Health.demote(t.weight(), why));
            }
        }
        for (Map.Entry<String, Set<String>> e : reported.entrySet()) {
            for (String src : e.getValue()) {
                if (!now.getOrDefault(e.getKey(), Set.of()).contains(src)) {
                    sink.report(e.getKey(), src, Health.OK);
                }
            }
        }
        reported.clear();
        reported.putAll(now);
    }
}
