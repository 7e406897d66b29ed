package tandem.services;

import java.time.Duration;
import java.time.Instant;

/**
 * What a supervisor reports to its {@link ServiceListener}, in order, each stamped with the wall
 * clock: the state transitions ({@link Transition}) and, for monitored services, changes of the
 * monitor's verdict.
 */
public sealed interface ServiceEvent {
    String service();

    Instant at();

    /** A change of the service's {@link ServiceState}. */
    sealed interface Transition extends ServiceEvent {
        ServiceState state();
    }

    /** Stopped; {@code reason}: "stop requested", "exited with status 0", "start cancelled: stop requested". */
    record Stopped(String service, Instant at, String reason) implements Transition {
        @Override
        public ServiceState state() {
            return ServiceState.STOPPED;
        }
    }

    /** A start attempt begins; {@code attempt} 1 for a requested start, n+1 for the n-th restart. */
    record Starting(String service, Instant at, int attempt) implements Transition {
        @Override
        public ServiceState state() {
            return ServiceState.STARTING;
        }
    }

    /**
     * The service runs. {@code took}: from the start request (a start() call, or the restart timer) to
     * running. {@code detail}: "pid 1234", "unit x.service".
     */
    record Running(String service, Instant at, Duration took, String detail) implements Transition {
        @Override
        public ServiceState state() {
            return ServiceState.RUNNING;
        }
    }

    /** A start, the running service, or a stop failed; {@code reason} says what and how. */
    record Failed(String service, Instant at, String reason) implements Transition {
        @Override
        public ServiceState state() {
            return ServiceState.FAILED;
        }
    }

    /** Restart attempt {@code attempt} (1 for the first after a failure) is due {@code in} from now. */
    record Restarting(String service, Instant at, int attempt, Duration in) implements Transition {
        @Override
        public ServiceState state() {
            return ServiceState.RESTARTING;
        }
    }

    /** A stop began. */
    record Stopping(String service, Instant at) implements Transition {
        @Override
        public ServiceState state() {
            return ServiceState.STOPPING;
        }
    }

    /** The monitor's verdict changed (state or weight); report it as the service's health. */
    record VerdictChanged(String service, Instant at, Verdict verdict) implements ServiceEvent {
    }
}
