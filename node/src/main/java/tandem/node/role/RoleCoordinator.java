package tandem.node.role;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.node.loop.EventLoop;

/**
 * Drives the role-bound components of every group through their phases. On takeover the components
 * are activated in {@link Phase} order, each after the previous one completed or overran its budget;
 * on release they are deactivated in reverse order. Every call is tagged: a completion that arrives
 * after the group changed role again (or after the coordinator gave up waiting) is stale and
 * ignored, so a master -> backup -> master flap during a long commit cannot let the first commit's
 * completion act for the second takeover. Runs on the loop thread only.
 *
 * <p>A component that failed or overran is logged and the pipeline goes on: a takeover is never
 * stopped by one component (a service that fails to start retries on its own).
 */
public final class RoleCoordinator {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.role");

    /** One step of a transition as {@code tandem info} shows it. */
    public record Step(String component, Phase phase, String action, long startedMs, long tookMs, String outcome) {
    }

    /** A group's pipeline as {@code tandem info} shows it. */
    public record GroupView(String group, Role role, long epoch, String reason, String pending,
                            List<Step> lastTransition) {
    }

    private final EventLoop loop;
    private final Map<String, Pipeline> pipelines = new LinkedHashMap<>();

    public RoleCoordinator(EventLoop loop) {
        this.loop = loop;
    }

    /** Adds a component to a group's pipeline (kept in phase order, then in registration order). */
    public void register(String group, RoleBound component) {
        Pipeline p = pipelines.computeIfAbsent(group, Pipeline::new);
        if (p.cursor >= 0) {
            throw new IllegalStateException("group " + group + ": a transition is running (expected: register between transitions)");
        }
        p.add(component);
    }

    /** Removes a group's pipeline (e.g. the group was removed by a reload; release it first). */
    public void unregister(String group) {
        Pipeline p = pipelines.remove(group);
        if (p != null && p.budget != null) {
            p.budget.cancel();
        }
    }

    /** The components of a group, in phase order. */
    public List<RoleBound> components(String group) {
        Pipeline p = pipelines.get(group);
        return p == null ? List.of() : List.copyOf(p.components);
    }

    /** Whether a component of a group is active (activated more recently than deactivated). */
    public boolean isActive(String group, RoleBound component) {
        Pipeline p = pipelines.get(group);
        if (p == null) {
            return false;
        }
        int i = p.components.indexOf(component);
        return i >= 0 && p.active.get(i);
    }

    /** The group's role changed: run its components toward {@code to}. */
    public void roleChanged(String group, Role to, String reason) {
        Pipeline p = pipelines.computeIfAbsent(group, Pipeline::new);
        if (p.target == to) {
            return;
        }
        p.epoch++;
        p.target = to;
        p.reason = reason;
        p.transitionStart = loop.now();
        p.steps = new ArrayList<>();
        if (p.cursor >= 0) {
            // the pending call belongs to the former direction: its completion becomes stale
            LOG.info("group {}: {} while {} of {} was still running; it goes on, its completion is ignored",
                group, to.label(), p.pendingAction, p.components.get(p.cursor).name());
            p.abandon();
        }
        LOG.info("group {}: {} (epoch {}, {})", group, to == Role.ACTIVE ? "taking over" : "releasing", p.epoch, reason);
        p.advance();
    }

    /** No transition is running in any group. */
    public boolean idle() {
        return pipelines.values().stream().allMatch(p -> p.cursor < 0);
    }

    public Role role(String group) {
        Pipeline p = pipelines.get(group);
        return p == null ? Role.STANDBY : p.target;
    }

    public List<GroupView> view() {
        List<GroupView> out = new ArrayList<>();
        for (Pipeline p : pipelines.values()) {
            out.add(new GroupView(p.group, p.target, p.epoch, p.reason,
                p.cursor < 0 ? "" : p.pendingAction + " " + p.components.get(p.cursor).name(), List.copyOf(p.steps)));
        }
        return out;
    }

    private final class Pipeline {
        final String group;
        final List<RoleBound> components = new ArrayList<>();
        final List<Boolean> active = new ArrayList<>();
        Role target = Role.STANDBY;
        long epoch;
        String reason = "not started";
        /** The component whose call is pending, or -1. */
        int cursor = -1;
        String pendingAction = "";
        /** Identifies the pending call; a completion carrying another number is stale. */
        long call;
        long callStart;
        EventLoop.Timer budget;
        long transitionStart;
        List<Step> steps = new ArrayList<>();

        Pipeline(String group) {
            this.group = group;
        }

        void add(RoleBound c) {
            components.add(c);
            active.add(false);
            // stable sort by phase, keeping the active flags with their components
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < components.size(); i++) {
                order.add(i);
            }
            order.sort(Comparator.comparing(i -> components.get(i).phase()));
            List<RoleBound> c2 = new ArrayList<>();
            List<Boolean> a2 = new ArrayList<>();
            for (int i : order) {
                c2.add(components.get(i));
                a2.add(active.get(i));
            }
            components.clear();
            components.addAll(c2);
            active.clear();
            active.addAll(a2);
        }

        void abandon() {
            if (budget != null) {
                budget.cancel();
                budget = null;
            }
            call++;
            cursor = -1;
        }

        /** Starts the next call toward the target, or ends the transition. */
        void advance() {
            while (true) {
                int next = -1;
                if (target == Role.ACTIVE) {
                    for (int i = 0; i < components.size() && next < 0; i++) {
                        if (!active.get(i)) {
                            next = i;
                        }
                    }
                } else {
                    for (int i = components.size() - 1; i >= 0 && next < 0; i--) {
                        if (active.get(i)) {
                            next = i;
                        }
                    }
                }
                if (next < 0) {
                    long took = (loop.now() - transitionStart) / 1_000_000;
                    if (!steps.isEmpty()) {
                        LOG.info("group {}: {} done in {} ms ({})", group, target == Role.ACTIVE ? "takeover" : "release",
                            took, String.join(", ", steps.stream().map(s -> s.component() + " " + s.tookMs() + " ms"
                                + (s.outcome().equals("ok") ? "" : " " + s.outcome())).toList()));
                    }
                    return;
                }
                if (!start(next)) {
                    return; // waiting for a completion
                }
            }
        }

        /** Calls component {@code i}; true when it completed at once (the caller goes on). */
        boolean start(int i) {
            RoleBound c = components.get(i);
            boolean activate = target == Role.ACTIVE;
            active.set(i, activate);
            cursor = i;
            pendingAction = activate ? "activating" : "deactivating";
            long id = ++call;
            callStart = loop.now();
            RoleChange change = new RoleChange(group, epoch, target, reason);
            CompletionStage<Void> stage;
            try {
                stage = activate ? c.activate(change) : c.deactivate(change);
            } catch (RuntimeException e) {
                stage = CompletableFuture.failedFuture(e);
            }
            CompletableFuture<Void> f = stage.toCompletableFuture();
            if (f.isDone()) {
                finish(id, failure(f));
                return true;
            }
            budget = loop.schedule(callStart + c.budget().toNanos(), "budget of " + c.name(), () -> overran(id));
            f.whenComplete((v, err) -> loop.execute("completion of " + c.name(), () -> {
                if (id != call) {
                    LOG.debug("group {}: stale completion of {} ignored (the group changed role since)", group, c.name());
                    return;
                }
                finish(id, err);
                advance();
            }));
            return false;
        }

        private static Throwable failure(CompletableFuture<Void> f) {
            try {
                f.join();
                return null;
            } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
                return e.getCause() != null ? e.getCause() : e;
            }
        }

        void finish(long id, Throwable err) {
            RoleBound c = components.get(cursor);
            long now = loop.now();
            String outcome = "ok";
            if (err != null) {
                outcome = "failed: " + (err.getMessage() != null ? err.getMessage() : err.toString());
                LOG.error("group {}: {} {} failed: {}", group, pendingAction.replace("ing", "ion"), c.name(), outcome.substring(8));
            }
            if (c.configured() || err != null) {
                steps.add(new Step(c.name(), c.phase(), target == Role.ACTIVE ? "activate" : "deactivate",
                    (callStart - transitionStart) / 1_000_000, (now - callStart) / 1_000_000, outcome));
            }
            if (budget != null) {
                budget.cancel();
                budget = null;
            }
            cursor = -1;
        }

        void overran(long id) {
            if (id != call || cursor < 0) {
                return;
            }
            RoleBound c = components.get(cursor);
            LOG.warn("group {}: {} {} did not complete within its budget of {} ms; going on without it", group,
                pendingAction, c.name(), c.budget().toMillis());
            budget = null;
            steps.add(new Step(c.name(), c.phase(), target == Role.ACTIVE ? "activate" : "deactivate",
                (callStart - transitionStart) / 1_000_000, (loop.now() - callStart) / 1_000_000, "over budget"));
            call++; // its completion is stale from now on
            cursor = -1;
            advance();
        }
    }
}
