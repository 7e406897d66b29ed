package tandem.node.vrrp;

import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import tandem.node.loop.Clock;

/**
 * Warnings about things that can repeat at line rate (drops, send errors): the first of each kind at
 * once, then at most one line per period with the count since the last one. Loop thread only.
 */
public final class RateLimitedLog {
    private final Logger log;
    private final Clock clock;
    private final long periodNanos;
    private final Map<String, long[]> last = new HashMap<>();

    public RateLimitedLog(Logger log, Clock clock, long periodNanos) {
        this.log = log;
        this.clock = clock;
        this.periodNanos = periodNanos;
    }

    public void log(String key, String message) {
        long now = clock.nanos();
        long[] s = last.computeIfAbsent(key, k -> new long[] {0, 0, 0});
        s[1]++;
        if (s[2] == 0 || now - s[0] >= periodNanos) {
            log.warn("{}: {}{}", key, message, s[1] > 1 ? " (" + s[1] + " since the last report)" : "");
            s[0] = now;
            s[1] = 0;
            s[2] = 1;
        }
    }
}
