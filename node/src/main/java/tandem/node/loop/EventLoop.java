package tandem.node.loop;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * One event loop: a thread that owns its state, runs tasks other threads hand it, and fires timers.
 * It never waits on another thread: tasks arrive through a lock-free queue and wake it with
 * {@link LockSupport#unpark}; it parks only until its next deadline.
 *
 * <p>A turn runs at most {@value #MAX_TASKS} queued tasks or {@value #MAX_TASK_NANOS} ns of them,
 * whichever comes first, then every due timer: under a sustained inflow of tasks the timers (the
 * VRRP adverts) still run on time. Every task and timer runs guarded: a throwable is handed to the
 * {@link Failures} policy with what was running, and the loop goes on unless the policy stops it.
 *
 * <p>Time comes from the injected {@link Clock}; with a {@link ManualClock} the loop is driven
 * without a thread by {@link #runUntil} (virtual time, for tests).
 */
public final class EventLoop {
    /** At most this many queued tasks per turn before the timers. */
    public static final int MAX_TASKS = 256;
    /** At most this much time of queued tasks per turn before the timers. */
    public static final long MAX_TASK_NANOS = 2_000_000;

    /** Something whose timers the loop fires: asked for its next deadline after every turn. */
    public interface TimerSource {
        /** The earliest deadline, or {@link Long#MAX_VALUE} when none. */
        long nextDeadline();

        /** Fires whatever is due at {@code now}. */
        void fire(long now);
    }

    /** What to do when a task or timer throws. */
    @FunctionalInterface
    public interface Failures {
        /** {@code what} threw {@code failure}; runs on the loop thread. */
        void failed(String what, Throwable failure);
    }

    /** A scheduled timer; {@link #cancel} before it fires and it never does. */
    public static final class Timer implements Comparable<Timer> {
        private final long deadline;
        private final long order;
        private final String what;
        private final Runnable task;
        private boolean cancelled;

        private Timer(long deadline, long order, String what, Runnable task) {
            this.deadline = deadline;
            this.order = order;
            this.what = what;
            this.task = task;
        }

        public void cancel() {
            cancelled = true;
        }

        public long deadline() {
            return deadline;
        }

        @Override
        public int compareTo(Timer o) {
            return deadline != o.deadline ? Long.compare(deadline, o.deadline) : Long.compare(order, o.order);
        }
    }

    private record Task(String what, Runnable body) {
    }

    private final String name;
    private final Clock clock;
    private final Failures failures;
    private final ConcurrentLinkedQueue<Task> tasks = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final List<TimerSource> sources = new ArrayList<>();
    private long timerOrder;
    private volatile Thread thread;
    private final LongAdder submitted = new LongAdder();
    private long turns;
    private long tasksRun;
    private long failed;
    private long longestTurnNanos;

    public EventLoop(String name, Clock clock, Failures failures) {
        this.name = name;
        this.clock = clock;
        this.failures = failures;
    }

    public Clock clock() {
        return clock;
    }

    public long now() {
        return clock.nanos();
    }

    /** Hands a task to the loop; from any thread. */
    public void execute(String what, Runnable body) {
        tasks.add(new Task(what, body));
        submitted.increment();
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            LockSupport.unpark(t);
        }
    }

    /** A task the loop runs at {@code deadline} (nanos of its clock). Loop thread only. */
    public Timer schedule(long deadline, String what, Runnable body) {
        Timer t = new Timer(deadline, timerOrder++, what, body);
        timers.add(t);
        return t;
    }

    /** Registers a source whose timers this loop fires. Loop thread only (or before it runs). */
    public void addTimerSource(TimerSource s) {
        sources.add(s);
    }

    public void removeTimerSource(TimerSource s) {
        sources.remove(s);
    }

    /** Whether the caller is the loop's thread (always true when driven by {@link #runUntil}). */
    public boolean inLoop() {
        Thread t = thread;
        return t == null || t == Thread.currentThread();
    }

    /** The earliest deadline of every timer and source, or {@link Long#MAX_VALUE}. */
    public long nextDeadline() {
        long d = Long.MAX_VALUE;
        while (!timers.isEmpty() && timers.peek().cancelled) {
            timers.poll();
        }
        if (!timers.isEmpty()) {
            d = timers.peek().deadline;
        }
        for (TimerSource s : sources) {
            d = Math.min(d, s.nextDeadline());
        }
        return d;
    }

    /** Whether tasks are waiting. */
    public boolean hasTasks() {
        return !tasks.isEmpty();
    }

    /** One turn: bounded queued work, then every due timer. */
    public void runTurn() {
        long started = System.nanoTime();
        turns++;
        Task task;
        int n = 0;
        while (n < MAX_TASKS && System.nanoTime() - started < MAX_TASK_NANOS && (task = tasks.poll()) != null) {
            n++;
            guarded(task.what(), task.body());
        }
        tasksRun += n;
        long now = clock.nanos();
        Timer t;
        while ((t = timers.peek()) != null && (t.cancelled || t.deadline <= now)) {
            timers.poll();
            if (!t.cancelled) {
                guarded(t.what, t.task);
            }
        }
        for (TimerSource s : List.copyOf(sources)) {
            if (s.nextDeadline() <= now) {
                guarded(s.getClass().getSimpleName() + " timers", () -> s.fire(now));
            }
        }
        longestTurnNanos = Math.max(longestTurnNanos, System.nanoTime() - started);
    }

    private void guarded(String what, Runnable body) {
        try {
            body.run();
        } catch (Throwable e) {
            failed++;
            failures.failed(what, e);
        }
    }

    /**
     * Runs on the calling thread while {@code running} holds: turns, parking until the next deadline
     * or the next task.
     */
    public void run(BooleanSupplier running) {
        thread = Thread.currentThread();
        try {
            while (running.getAsBoolean()) {
                runTurn();
                if (!running.getAsBoolean()) {
                    break;
                }
                long wait = nextDeadline() - clock.nanos();
                if (tasks.isEmpty() && wait > 0) {
                    // an unpark between the check and the park leaves a permit: the park returns at once
                    LockSupport.parkNanos(this, Math.min(wait, 1_000_000_000L));
                }
            }
        } finally {
            thread = null;
        }
    }

    /**
     * Virtual time: runs every task and every timer due up to {@code t}, moving the manual clock from
     * deadline to deadline, and leaves it at {@code t}.
     */
    public void runUntil(ManualClock manual, long t) {
        if (manual != clock) {
            throw new IllegalArgumentException("runUntil needs the loop's own ManualClock");
        }
        while (true) {
            while (!tasks.isEmpty()) {
                runTurn();
            }
            long d = nextDeadline();
            if (d > t) {
                break;
            }
            manual.set(Math.max(d, manual.nanos()));
            runTurn();
        }
        manual.set(Math.max(t, manual.nanos()));
        while (!tasks.isEmpty()) {
            runTurn();
        }
    }

    public String name() {
        return name;
    }

    public long turns() {
        return turns;
    }

    public long tasksRun() {
        return tasksRun;
    }

    public long failed() {
        return failed;
    }

    /** The longest turn so far (wall time), nanoseconds. */
    public long longestTurnNanos() {
        return longestTurnNanos;
    }
}
