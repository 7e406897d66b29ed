package tandem.replication.apply;

/** How a transaction (a push, a rollback, a restore) ended on the receiver. */
public enum Outcome {
    /** Swapped in, applied, recorded as a new generation. */
    APPLIED(true),
    /** The files already were what the bundle describes: nothing done. */
    UNCHANGED(true),
    /** The sender runs a newer tandem than this node. */
    VERSION_REFUSED(false),
    /** A path outside the declared items, or a local exception of this node. */
    PATH_REFUSED(false),
    /** A malformed bundle: content not matching its manifest entry, an invalid shared configuration. */
    INVALID(false),
    /** The bundle is larger than this node accepts. */
    TOO_LARGE(false),
    /** A file the sender did not send differs here from what the sender saw: push again. */
    BASE_CHANGED(false),
    /** A check command failed on the staged copy: nothing changed. */
    CHECK_FAILED(false),
    /** An apply command failed: the previous files were restored and applied again. */
    ROLLED_BACK(false),
    /** Nothing to roll back to, or an unknown generation. */
    NO_GENERATION(false),
    /** An I/O failure (disk full, permissions), or a failed restore: see the message. */
    FAILED(false);

    private final boolean ok;

    Outcome(boolean ok) {
        this.ok = ok;
    }

    public boolean ok() {
        return ok;
    }
}
