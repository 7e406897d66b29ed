package tandem.node.health;

/**
 * A reason to demote or fault virtual routers (like carp's demotion counters): link tracking today;
 * ping checks, service monitors and the hotwire heartbeat plug in the same way. The VRRP engine
 * never learns what a source checks, only what the {@link HealthBoard} makes of all reports.
 */
public interface HealthSource {
    String name();

    /** Starts reporting into {@code sink}; called on the loop thread. */
    void start(HealthSink sink);
}
