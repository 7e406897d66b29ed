package tandem.replication.apply;

import java.util.List;
import tandem.replication.model.Manifest;
import tandem.replication.model.Sha256;

/**
 * A node's replication state, as STATUS reports it.
 *
 * @param node             its name
 * @param version          its tandem version
 * @param manifestHash     {@link Manifest#hash()} of its replicated files now
 * @param sharedConfigHash SHA-256 of its shared configuration file ("" when absent)
 * @param generation       its newest generation (0: none yet)
 * @param lastError        the last failed transaction's message, or null (cleared by a success)
 * @param manifest         the entries (so the sender can send only what differs)
 * @param exceptions       its exceptions (left out of any comparison)
 */
public record NodeStatus(String node, String version, String manifestHash, String sharedConfigHash, long generation,
                         String lastError, Manifest manifest, List<String> exceptions) {
    public NodeStatus {
        if (node == null || version == null || manifest == null) {
            throw new IllegalArgumentException("status: node, version and manifest are required (expected: all three)");
        }
        if (!Sha256.valid(manifestHash) || !(sharedConfigHash == null || sharedConfigHash.isEmpty() || Sha256.valid(sharedConfigHash))) {
            throw new IllegalArgumentException("status of " + node + ": hashes " + manifestHash + ", " + sharedConfigHash
                + " (expected: SHA-256 in hex)");
        }
        if (generation < 0) {
            throw new IllegalArgumentException("status of " + node + ": generation " + generation + " (expected: >= 0)");
        }
        sharedConfigHash = sharedConfigHash == null ? "" : sharedConfigHash;
        exceptions = exceptions == null ? List.of() : List.copyOf(exceptions);
    }
}
