package tandem.replication.apply;

import java.time.Instant;

/**
 * A kept generation: the replicated files as one transaction left them.
 *
 * @param number           1, 2, ... on this node
 * @param time             when it was committed
 * @param kind             push, rollback, restore
 * @param sender           the node that pushed it (this node's name for a rollback or restore)
 * @param senderVersion    the tandem version of that node
 * @param manifestHash     of the files after it
 * @param sharedConfigHash of the shared configuration after it ("" when absent)
 * @param files            how many files it has
 */
public record Generation(long number, Instant time, String kind, String sender, String senderVersion,
                        String manifestHash, String sharedConfigHash, int files) {
}
