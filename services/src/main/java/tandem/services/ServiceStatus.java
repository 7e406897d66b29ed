package tandem.services;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A snapshot of one service for {@code tandem info}, published by the supervisor after every change
 * (any thread may read it).
 *
 * @param wanted        whether the last call was start() (the service should run)
 * @param since         when the service entered {@code state}
 * @param restarts      restarts scheduled by the restart policy since the supervisor was created
 * @param lastError     the last failure (start, run or stop) and when, if any
 * @param lastStartTook from the last start request to running, if it ever ran
 * @param detail        "pid 1234", "unit x.service" while running, else ""
 * @param verdict       the monitor's verdict (OK without a monitor)
 */
public record ServiceStatus(String name, ServiceState state, Instant since, boolean wanted, int restarts,
                            Optional<String> lastError, Optional<Instant> lastErrorAt, Optional<Duration> lastStartTook,
                            String detail, Verdict verdict) {
}
