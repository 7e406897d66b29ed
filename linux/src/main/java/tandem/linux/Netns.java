package tandem.linux;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs code inside a named network namespace (as created by {@code ip netns add}): a fresh platform
 * thread enters the namespace with setns(2), so sockets it opens belong there. Network namespaces
 * are per thread on Linux; the calling thread is not moved. Whatever the body throws - an exception,
 * an assertion error, any error - is thrown again to the caller.
 */
public final class Netns {
    private Netns() {
    }

    public static <T> T call(String name, Callable<T> body) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("netns-" + name).start(() -> {
            try {
                int fd = Libc.open("/run/netns/" + name, Libc.O_RDONLY);
                try {
                    Libc.setns(fd, Libc.CLONE_NEWNET, "netns " + name);
                    result.set(body.call());
                } finally {
                    Libc.close(fd);
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.join();
        Throwable f = failure.get();
        if (f instanceof Exception e) {
            throw e;
        }
        if (f instanceof Error e) {
            throw e;
        }
        if (f != null) {
            throw new IllegalStateException(f);
        }
        return result.get();
    }
}
