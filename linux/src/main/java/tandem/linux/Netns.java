package tandem.linux;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs code inside a named network namespace (as created by {@code ip netns add}): a fresh platform
 * thread enters the namespace with setns(2), so sockets it opens belong there. Network namespaces
 * are per thread on Linux; the calling thread is not moved.
 */
public final class Netns {
    private Netns() {
    }

    public static <T> T call(String name, Callable<T> body) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("netns-" + name).start(() -> {
            int fd = Libc.open("/run/netns/" + name, Libc.O_RDONLY);
            try {
                Libc.setns(fd, Libc.CLONE_NEWNET, "netns " + name);
                result.set(body.call());
            } catch (Exception e) {
                failure.set(e);
            } finally {
                Libc.close(fd);
            }
        });
        t.join();
        if (failure.get() != null) {
            throw failure.get();
        }
        return result.get();
    }
}
