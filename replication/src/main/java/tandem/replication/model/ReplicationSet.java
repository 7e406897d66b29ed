package tandem.replication.model;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one node replicates: below {@code root} ("/" on a node), the shared configuration file
 * {@code sharedConfig} (relative, e.g. etc/tandem/shared.yaml) and the {@code items} it declares, minus
 * this node's {@code exceptions}.
 */
public record ReplicationSet(Path root, String sharedConfig, List<ReplicatedItem> items, Exceptions exceptions) {
    public ReplicationSet {
        if (root == null || !root.isAbsolute()) {
            throw new IllegalArgumentException("root: " + root + " (expected: an absolute directory, / on a node)");
        }
        RelativePath.check(sharedConfig);
        items = List.copyOf(items);
        exceptions = exceptions == null ? Exceptions.none() : exceptions;
    }

    /** This node's manifest now. */
    public Manifest manifest() throws IOException {
        return Manifest.compute(root, sharedConfig, items, exceptions);
    }

    /** True when {@code rel} is the shared configuration or belongs to an item (exceptions not considered). */
    public boolean declares(String rel) {
        return rel.equals(sharedConfig) || item(rel) != null;
    }

    /** The first declared item that covers {@code rel}, or null. */
    public ReplicatedItem item(String rel) {
        return item(items, rel);
    }

    public static ReplicatedItem item(List<ReplicatedItem> items, String rel) {
        for (ReplicatedItem i : items) {
            if (i.covers(rel)) {
                return i;
            }
        }
        return null;
    }

    public Path resolve(String rel) {
        return RelativePath.resolve(root, rel);
    }

    public ReplicationSet withItems(List<ReplicatedItem> newItems) {
        return new ReplicationSet(root, sharedConfig, newItems, exceptions);
    }

    /** {@code a} followed by the items of {@code b} not in it (same path and kind), in their orders. */
    public static List<ReplicatedItem> union(List<ReplicatedItem> a, List<ReplicatedItem> b) {
        Map<String, ReplicatedItem> m = new LinkedHashMap<>();
        for (ReplicatedItem i : a) {
            m.putIfAbsent(i.relative() + (i.directory() ? "/" : ""), i);
        }
        for (ReplicatedItem i : b) {
            m.putIfAbsent(i.relative() + (i.directory() ? "/" : ""), i);
        }
        return new ArrayList<>(m.values());
    }
}
