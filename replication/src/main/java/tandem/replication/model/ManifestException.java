package tandem.replication.model;

import java.io.IOException;

/** A replicated path that cannot be replicated (a link, a device, a file where a directory is declared): names the path. */
public final class ManifestException extends IOException {
    private static final long serialVersionUID = 1L;

    public ManifestException(String message) {
        super(message);
    }
}
