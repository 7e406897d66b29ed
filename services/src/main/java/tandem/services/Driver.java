package tandem.services;

import java.util.concurrent.CompletableFuture;

/**
 * One kind's way to start, watch and stop a service. Blocking; the supervisor calls it on its
 * operation threads (virtual), one operation at a time, and interrupts a start when a stop is
 * requested during it.
 */
interface Driver {
    /** How a running service ended by itself: {@code clean} for exit status 0 or a unit gone "inactive". */
    record Exit(boolean clean, String reason) {
    }

    /** A running service. */
    interface Running {
        /** Completes when the service ends by itself (not when stopped through {@link #stop}). */
        CompletableFuture<Exit> ended();

        /** "pid 1234", "unit x.service". */
        String detail();
    }

    /**
     * Starts the service and returns when it runs. On failure throws {@link ServiceException} with
     * a message that says what happened; on interruption (a stop was requested) throws
     * InterruptedException. Either way it leaves nothing running that it started.
     */
    Running start() throws ServiceException, InterruptedException;

    /**
     * Stops the service. {@code running} is null when the supervisor does not know whether it runs
     * (the first stop after tandem started: a commands service or a unit may have been left running
     * by an earlier tandem). Throws {@link ServiceException} when the stop did not succeed.
     */
    void stop(Running running) throws ServiceException, InterruptedException;

    /** After {@code running} ended by itself: removes what it left behind (its group's remaining processes). */
    void cleanup(Running running) throws ServiceException, InterruptedException;
}
