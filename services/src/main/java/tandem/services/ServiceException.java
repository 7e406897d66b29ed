package tandem.services;

import java.io.Serial;

/**
 * A start or stop that did not succeed: the message names the service and says what happened
 * ("service 'dhcp' (process /usr/sbin/dhcpd): exited with status 1 during its start; last output:
 * ..."). Stages returned by a supervisor complete exceptionally with it; it is never thrown out of
 * the supervisor's API.
 */
public final class ServiceException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    public ServiceException(String message) {
        super(message);
    }

    public ServiceException(String message, Throwable cause) {
        super(message, cause);
    }
}
