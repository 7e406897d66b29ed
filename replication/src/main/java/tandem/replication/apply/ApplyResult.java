package tandem.replication.apply;

import tandem.replication.model.Manifest;

/**
 * What a transaction did.
 *
 * @param outcome          how it ended
 * @param message          for people: what was done, or what failed and what was undone
 * @param generation       this node's generation afterwards (0: none yet)
 * @param manifestHash     this node's manifest hash afterwards
 * @param sharedConfigHash SHA-256 of this node's shared configuration afterwards ("" when absent)
 * @param failedCommand    the check or apply command that failed, else null
 * @param changes          what the transaction changed (or would have), from the old files to the new
 */
public record ApplyResult(Outcome outcome, String message, long generation, String manifestHash,
                          String sharedConfigHash, CommandResult failedCommand, Manifest.Diff changes) {
    public ApplyResult {
        if (outcome == null || message == null) {
            throw new IllegalArgumentException("result: outcome and message are required (expected: both)");
        }
        if (generation < 0) {
            throw new IllegalArgumentException("result: generation " + generation + " (expected: >= 0)");
        }
        manifestHash = manifestHash == null ? "" : manifestHash;
        sharedConfigHash = sharedConfigHash == null ? "" : sharedConfigHash;
        changes = changes == null ? new Manifest.Diff(java.util.List.of(), java.util.List.of(), java.util.List.of()) : changes;
    }

    public boolean ok() {
        return outcome.ok();
    }
}
