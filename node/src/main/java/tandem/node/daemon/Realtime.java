package tandem.node.daemon;

import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.linux.Libc;
import tandem.linux.LinuxException;

/**
 * The VRRP threads (the loop that sends adverts and runs the timers, the receivers) run under SCHED_RR:
 * a forwarding load, the collector's and the compiler's threads and state sync must not make an advert
 * late, or a standby takes over from a live master. Without CAP_SYS_NICE they stay normal threads and
 * the node says so once.
 */
final class Realtime {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.vrrp");
    /** Low among real-time priorities: above every normal thread, below the kernel's own (e.g. 50). */
    static final int PRIORITY = 10;
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private Realtime() {
    }

    /** Makes the calling thread real-time if the process may; warns once if not. */
    static void enterCurrentThread() {
        try {
            Libc.realtimeCurrentThread(PRIORITY, Thread.currentThread().getName());
        } catch (LinuxException e) {
            if (WARNED.compareAndSet(false, true)) {
                LOG.warn("VRRP threads run at normal priority ({}): adverts may be late on a busy node"
                    + " (expected: CAP_SYS_NICE, as in the systemd unit)", e.getMessage());
            }
        }
    }

    /** {@code body} on a real-time thread. */
    static Runnable wrap(Runnable body) {
        return () -> {
            enterCurrentThread();
            body.run();
        };
    }
}
