package tandem.services;

/**
 * Receives a supervisor's events, in order, on the supervisor's own thread: it must return quickly
 * and never block (the node posts each event onto its loop). An exception is logged and ignored.
 */
@FunctionalInterface
public interface ServiceListener {
    void event(ServiceEvent event);

    ServiceListener NONE = e -> { };
}
