package tandem.replication.apply;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import tandem.replication.model.Manifest;
import tandem.replication.model.ReplicatedItem;

/** What the state directory keeps, as JSON (Jackson maps the records). */
final class Records {
    private Records() {
    }

    /** A {@link ReplicatedItem} as JSON. */
    record Item(String path, boolean directory, String check, String apply) {
        static Item of(ReplicatedItem i) {
            return new Item(i.path().toString(), i.directory(), i.check(), i.apply());
        }

        ReplicatedItem item() {
            return new ReplicatedItem(Path.of(path), directory, check, apply);
        }

        static List<Item> of(List<ReplicatedItem> items) {
            return items.stream().map(Item::of).toList();
        }

        static List<ReplicatedItem> items(List<Item> items) {
            return items == null ? List.of() : items.stream().map(Item::item).toList();
        }
    }

    /**
     * A generation: the files after the transaction ({@code manifest}, declared by {@code items}) and
     * before it ({@code before}, over the union of both declarations), every content in the object store.
     */
    record GenerationRecord(long number, String time, String kind, String sender, String senderVersion,
                            List<Item> items, Manifest manifest, String sharedConfigHash,
                            List<Item> beforeItems, Manifest before, List<String> paths) {
        Generation summary() {
            return new Generation(number, Instant.parse(time), kind, sender, senderVersion, manifest.hash(), sharedConfigHash,
                manifest.entries().size());
        }
    }

    /**
     * The intent written before the first rename: the transaction {@code id} turns the live files of
     * {@code paths} from {@code generation.before} into {@code generation.manifest}. Present at start:
     * the transaction did not finish (undone, unless its generation was committed).
     */
    record Journal(String id, String started, GenerationRecord generation, List<String> paths) {
    }

    record LastError(String time, String message) {
    }
}
