package tandem.node.role;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * A component that follows a group's role: the {@link RoleCoordinator} activates the components of
 * a group in {@link Phase} order when it becomes active, each after the previous one completed (or
 * overran its budget), and deactivates them in reverse order when it stops being active.
 *
 * <p>Contract: both methods are called on the node's loop thread and must return at once - heavy or
 * blocking work goes to another thread, and the returned stage completes when it is done. Calls for
 * one component come in order and a component handles them in that order (a deactivate may follow
 * an activate that has not completed yet). Both are idempotent.
 */
public interface RoleBound {
    /** A short name for logs and {@code tandem info} (e.g. "statesync", "addresses"). */
    String name();

    Phase phase();

    /** How long the coordinator waits for this component before it goes on without it. */
    default Duration budget() {
        return Duration.ofSeconds(5);
    }

    /**
     * Whether the component has anything to do in its group now (e.g. standby interfaces are configured
     * for it): one that has not is still called (a reload may give it work) but not listed among the
     * steps of a transition.
     */
    default boolean configured() {
        return true;
    }

    CompletionStage<Void> activate(RoleChange change);

    CompletionStage<Void> deactivate(RoleChange change);
}
