package tandem.services;

import java.time.Duration;
import java.util.Objects;

/**
 * The restart policy with its backoff: the n-th consecutive failure waits {@code delay * 2^(n-1)},
 * at most {@code maxDelay}, before the next start. A run that lasted at least {@code maxDelay}
 * resets the count (the service had recovered), so a service that dies once a day restarts after
 * {@code delay}, while one that crashes in a loop is throttled to one attempt per {@code maxDelay}.
 */
public record RestartSpec(RestartPolicy policy, Duration delay, Duration maxDelay) {
    public static final RestartSpec DEFAULT = new RestartSpec(RestartPolicy.ON_FAILURE, Duration.ofSeconds(1), Duration.ofSeconds(30));

    public RestartSpec {
        Objects.requireNonNull(policy, "policy");
        Text.positive("restart-delay", delay);
        Text.positive("restart-max-delay", maxDelay);
        if (maxDelay.compareTo(delay) < 0) {
            throw new IllegalArgumentException("restart-max-delay: got " + Text.duration(maxDelay)
                + ", expected at least restart-delay (" + Text.duration(delay) + ")");
        }
    }

    /** The wait before restart attempt {@code attempt} (1 = the first restart after a failure). */
    public Duration delay(int attempt) {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt: got " + attempt + ", expected 1 or more");
        }
        Duration d = delay;
        for (int i = 1; i < attempt && d.compareTo(maxDelay) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(maxDelay) > 0 ? maxDelay : d;
    }
}
