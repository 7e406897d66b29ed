package tandem.node.health;

/**
 * Where health sources report, on the node's loop thread. {@code source} names the check (e.g.
 * {@code link:wan}); a later report of the same source for the same instance replaces the earlier.
 */
@FunctionalInterface
public interface HealthSink {
    void report(String instance, String source, Health health);
}
