package tandem.statesync;

import tandem.linux.ct.CtEntry;

/** One operation of the replicated stream, with its sequence number. */
public sealed interface SyncOp {
    long seq();

    /** The flow's current state. */
    record Upsert(long seq, CtEntry entry) implements SyncOp {
    }

    /** The flow ended. */
    record Delete(long seq, CtEntry.Key key) implements SyncOp {
    }

    /** The op with this sequence number was superseded by a newer one for the same flow: nothing to apply. */
    record Skip(long seq) implements SyncOp {
    }

    /** A full resync starts: entries not refreshed before the matching end are gone on the sender. */
    record ResyncBegin(long seq) implements SyncOp {
    }

    /** A full resync ends. */
    record ResyncEnd(long seq) implements SyncOp {
    }
}
