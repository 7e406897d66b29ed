package tandem.replication.hotwire;

import java.time.Duration;

/**
 * Limits and timeouts of the hotwire.
 *
 * @param maxFrame       largest frame accepted (default 64 MiB); a larger header is refused before the payload
 * @param maxBundle      largest sum of file contents a PUSH or FETCH may carry (default 1 GiB)
 * @param connectTimeout TCP connect (default 3 s): a peer that is down fails within it
 * @param authTimeout    SSH handshake, authentication, channel open (default 5 s)
 * @param requestTimeout a STATUS or FETCH exchange (default 60 s)
 * @param pushTimeout    a PUSH exchange, the peer's checks and apply commands included (default 15 min)
 * @param heartbeat      client keepalive interval; 3 unanswered ones end the session (default 5 s)
 */
public record Limits(int maxFrame, long maxBundle, Duration connectTimeout, Duration authTimeout, Duration requestTimeout,
                     Duration pushTimeout, Duration heartbeat) {
    public static final Limits DEFAULTS = new Limits(64 << 20, 1L << 30, Duration.ofSeconds(3), Duration.ofSeconds(5),
        Duration.ofSeconds(60), Duration.ofMinutes(15), Duration.ofSeconds(5));

    public Limits {
        if (maxFrame < 4096) {
            throw new IllegalArgumentException("max frame: " + maxFrame + " (expected: at least 4096 octets)");
        }
        if (maxBundle < 1) {
            throw new IllegalArgumentException("max bundle: " + maxBundle + " (expected: positive)");
        }
        for (Duration d : new Duration[] {connectTimeout, authTimeout, requestTimeout, pushTimeout, heartbeat}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("timeout: " + d + " (expected: positive)");
            }
        }
    }

    public Limits withMaxFrame(int f) {
        return new Limits(f, maxBundle, connectTimeout, authTimeout, requestTimeout, pushTimeout, heartbeat);
    }

    public Limits withMaxBundle(long b) {
        return new Limits(maxFrame, b, connectTimeout, authTimeout, requestTimeout, pushTimeout, heartbeat);
    }

    public Limits withTimeouts(Duration connect, Duration auth, Duration request, Duration push) {
        return new Limits(maxFrame, maxBundle, connect, auth, request, push, heartbeat);
    }
}
