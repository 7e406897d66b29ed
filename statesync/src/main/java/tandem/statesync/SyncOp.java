package tandem.statesync;

import tandem.conntrack.CtEntry;
import tandem.conntrack.CtExpect;

/** One operation of the replicated stream, with its sequence number. */
public sealed interface SyncOp {
    long seq();

    /** The flow's complete current state (from a NEW notification or a table dump). */
    record Upsert(long seq, CtEntry entry) implements SyncOp {
    }

    /**
     * The flow changed: what {@code changes} carries replaces the cached state, optional fields it lacks
     * (TCP state, sequence adjustment, helper, master, labels) are unchanged (see CtEntry.updatedBy).
     */
    record Update(long seq, CtEntry changes) implements SyncOp {
    }

    /** The flow ended. */
    record Delete(long seq, CtEntry.Key key) implements SyncOp {
    }

    /** An expectation's current state (e.g. the data channel an FTP control connection announced). */
    record ExpectUpsert(long seq, CtExpect expect) implements SyncOp {
    }

    /** The expectation ended: its connection arrived, it timed out, or its master connection ended. */
    record ExpectDelete(long seq, CtExpect.Key key) implements SyncOp {
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
