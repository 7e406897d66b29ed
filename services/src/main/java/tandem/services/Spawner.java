package tandem.services;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Starts every child process of this module on one platform thread that lives as long as the JVM.
 * Why: the children run under {@code setpriv --pdeathsig KILL}, and the kernel sends the parent-death
 * signal when the <em>thread</em> that forked the child ends, not the process. A child forked by a
 * virtual thread's carrier or a pool thread would be killed when that thread is retired; the spawn
 * thread is never retired, so the signal comes exactly when the JVM dies.
 */
final class Spawner {
    private static final ExecutorService THREAD = Executors.newSingleThreadExecutor(
        r -> Thread.ofPlatform().daemon().name("tandem-services-spawn").unstarted(r));

    private Spawner() {
    }

    /**
     * Starts {@code pb} on the spawn thread. Waits for it without being interruptible (a child that is
     * being forked cannot be abandoned: the caller must own it to stop it); an interrupt is kept for
     * the caller to see afterwards.
     */
    static Process spawn(ProcessBuilder pb) throws IOException {
        CompletableFuture<Process> f = CompletableFuture.supplyAsync(() -> {
            try {
                return pb.start();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, THREAD);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof java.io.UncheckedIOException u) {
                        throw u.getCause();
                    }
                    throw new IOException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
