package tandem.node.sync;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import tandem.node.role.Phase;
import tandem.node.role.RoleBound;
import tandem.node.role.RoleChange;

/**
 * Connection state as the first phase of a takeover: the replicated cache is committed into the
 * kernel (on the state-sync thread; the loop keeps advertising) before the addresses move. On
 * release the node becomes a standby of the new master's stream.
 */
public final class StateSyncComponent implements RoleBound {
    private final StateSync sync;
    private final Duration budget;

    /** @param budget how long a takeover waits for the commit before it moves the addresses anyway */
    public StateSyncComponent(StateSync sync, Duration budget) {
        this.sync = sync;
        this.budget = budget;
    }

    @Override
    public String name() {
        return "statesync";
    }

    @Override
    public Phase phase() {
        return Phase.STATE;
    }

    @Override
    public Duration budget() {
        return budget;
    }

    @Override
    public CompletionStage<Void> activate(RoleChange change) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        sync.becomeActive(() -> f.complete(null));
        return f;
    }

    @Override
    public CompletionStage<Void> deactivate(RoleChange change) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        sync.becomeStandby(() -> f.complete(null));
        return f;
    }
}
