package tandem.replication.apply;

import java.util.List;
import tandem.replication.model.Manifest;
import tandem.replication.model.RelativePath;

/**
 * What a sender pushes (the header; the contents of {@code files} follow through {@link Contents}).
 *
 * @param sender       the sending node's name
 * @param version      the sending node's tandem version
 * @param sharedConfig the sender's shared configuration, as text (also an entry of the manifest)
 * @param manifest     the sender's whole manifest: what the receiver's replicated files must become
 * @param files        the paths whose contents follow, in this order (those that differ on the receiver)
 * @param deletions    the paths the sender expects the receiver to delete (the receiver computes its
 *                     own from the manifest and checks these against it)
 * @param exceptions   the sender's exceptions: paths it never sends, which the receiver therefore
 *                     never deletes for their absence
 */
public record Bundle(String sender, String version, String sharedConfig, Manifest manifest, List<String> files,
                     List<String> deletions, List<String> exceptions) {
    public Bundle {
        if (sender == null || version == null || sharedConfig == null || manifest == null) {
            throw new IllegalArgumentException("bundle: sender, version, shared configuration and manifest are required"
                + " (expected: all four)");
        }
        files = List.copyOf(files == null ? List.of() : files);
        deletions = List.copyOf(deletions == null ? List.of() : deletions);
        exceptions = List.copyOf(exceptions == null ? List.of() : exceptions);
        files.forEach(RelativePath::check);
        deletions.forEach(RelativePath::check);
    }

    /** The sum of the sizes of {@code files} (by their manifest entries; unknown paths count 0). */
    public long contentSize() {
        long n = 0;
        for (String f : files) {
            Manifest.Entry e = manifest.entry(f);
            n += e == null ? 0 : e.size();
        }
        return n;
    }
}
