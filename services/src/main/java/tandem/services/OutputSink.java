package tandem.services;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the output of services and their commands goes, one line at a time, after rate limiting.
 * {@code source} is "out" for a process's stdout and stderr (merged), or the command's role for the
 * commands kind and checks ("start", "stop", "status", "ready"). Called on pump threads: must not
 * block for long (a blocked sink stalls the pipe, and so the service).
 */
@FunctionalInterface
public interface OutputSink {
    void line(String service, String source, String line);

    /** The default: logger "tandem.service", INFO, prefixed with the service name. */
    static OutputSink log() {
        Logger log = LoggerFactory.getLogger("tandem.service");
        return (service, source, line) -> {
            if (source.equals("out")) {
                log.info("{}: {}", service, line);
            } else {
                log.info("{} {}: {}", service, source, line);
            }
        };
    }
}
