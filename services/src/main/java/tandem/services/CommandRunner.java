package tandem.services;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs a shell command of a service ({@code /bin/sh -c}) as its own process group under the guardian,
 * with its output in the log, and kills the group (KILL) when it overruns its timeout or the caller
 * is interrupted. Blocking: call it off the node's loop.
 */
final class CommandRunner {
    private CommandRunner() {
    }

    /** How a command ended. */
    record Result(int status, boolean timedOut, String lastOutput) {
        boolean ok() {
            return !timedOut && status == 0;
        }

        /** "exited with status 3; last output: ..." or "timed out after 30 s". */
        String describe(CommandSpec cmd) {
            return (timedOut ? "timed out after " + Text.duration(cmd.timeout()) : Procs.exit(status)) + lastOutput;
        }
    }

    static Result run(String service, String source, CommandSpec cmd, OutputSink sink) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(Launch.wrap(List.of("/bin/sh", "-c", cmd.command()), Optional.empty(), Optional.empty()))
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .directory(new File("/"));
        Process p = Spawner.spawn(pb);
        long pgid = p.pid();
        Guardian.INSTANCE.register(pgid);
        try {
            OutputPump pump = OutputPump.start(service, source, sink, p.getInputStream());
            if (Thread.interrupted()) {
                kill(p);
                throw new InterruptedException();
            }
            boolean done;
            try {
                done = p.waitFor(cmd.timeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                kill(p);
                throw e;
            }
            if (!done) {
                kill(p);
                return new Result(-1, true, pump.lastOutput());
            }
            // a daemon started by the command may hold the pipe open for good: wait only briefly for the tail
            pump.awaitEnd(100);
            return new Result(p.exitValue(), false, pump.lastOutput());
        } finally {
            Guardian.INSTANCE.unregister(pgid);
        }
    }

    /** KILLs the command's group and waits (uninterruptibly, bounded) for the command to be reaped. */
    private static void kill(Process p) {
        Procs.signalGroup(p.pid(), Signal.KILL);
        Procs.signal(p.pid(), Signal.KILL);
        boolean interrupted = Thread.interrupted();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (p.isAlive() && System.nanoTime() < end) {
            try {
                p.waitFor(end - System.nanoTime(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
