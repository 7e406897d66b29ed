package tandem.replication.apply;

import java.io.IOException;
import java.io.OutputStream;
import tandem.replication.model.Manifest;

/** The contents of a bundle's files, read once, in the bundle's order. */
@FunctionalInterface
public interface Contents {
    /** Writes the content of {@code file} (its {@code size} octets) to {@code out}. */
    void copy(Manifest.Entry file, OutputStream out) throws IOException;
}
