package tandem.replication.apply;

import java.util.List;
import tandem.replication.model.ReplicatedItem;

/**
 * The daemon's reading of a shared configuration: the items it declares. It is also the check of the
 * shared configuration itself - a text it refuses (by throwing, with a message saying what is wrong) is
 * never swapped in.
 */
@FunctionalInterface
public interface SharedConfigParser {
    List<ReplicatedItem> items(String sharedConfigText) throws Exception;
}
