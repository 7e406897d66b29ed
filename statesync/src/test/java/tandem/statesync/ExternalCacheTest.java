package tandem.statesync;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tandem.conntrack.CtEntry;

/** The compact cache against a plain map, through growth, relocation, compaction and resync generations. */
class ExternalCacheTest {
    /** The same flow with other contents, sometimes of another encoded size (relocated, not overwritten). */
    static CtEntry changed(Random r, CtEntry e) {
        CtEntry other = Entries.random(r);
        return new CtEntry(e.orig(), e.reply(), other.status(), other.timeout(), other.mark(), e.zone(),
            e.orig().protocol() == 6 ? other.tcp() : null, r.nextBoolean() ? other.seqAdjOrig() : null, null,
            r.nextBoolean() ? "ftp" : null, null, null);
    }

    static void assertSame(ExternalCache cache, Map<CtEntry.Key, CtEntry> model) {
        assertThat(cache.size()).isEqualTo(model.size());
        assertThat(new HashSet<>(cache.keys())).isEqualTo(model.keySet());
        for (Map.Entry<CtEntry.Key, CtEntry> e : model.entrySet()) {
            assertThat(cache.get(e.getKey())).isEqualTo(e.getValue());
        }
        assertThat(new HashSet<>(cache.values())).isEqualTo(new HashSet<>(model.values()));
    }

    @Test
    void seededPutsUpdatesAndRemovesMatchAMapThroughGrowthRelocationAndCompaction() {
        Random r = new Random(31);
        ExternalCache cache = new ExternalCache(12); // 4 KiB chunks: compaction after 16 KiB of garbage
        Map<CtEntry.Key, CtEntry> model = new HashMap<>();
        List<CtEntry.Key> keys = new ArrayList<>();
        for (int i = 0; i < 60_000; i++) {
            int op = r.nextInt(10);
            if (keys.isEmpty() || op < 4) {
                CtEntry e = Entries.random(r);
                cache.put(e);
                if (model.put(e.key(), e) == null) {
                    keys.add(e.key());
                }
            } else if (op < 7) {
                CtEntry.Key k = keys.get(r.nextInt(keys.size()));
                CtEntry e = changed(r, model.get(k));
                cache.put(e);
                model.put(k, e);
            } else if (op < 8) {
                CtEntry.Key k = keys.get(r.nextInt(keys.size()));
                CtEntry partial = new CtEntry(k.orig(), model.get(k).reply(), r.nextInt(), 5, 0, k.zone(), null, null, null,
                    null, null, null);
                cache.update(partial);
                model.put(k, model.get(k).updatedBy(partial));
            } else {
                CtEntry.Key k = keys.remove(r.nextInt(keys.size()));
                assertThat(cache.remove(k)).isTrue();
                model.remove(k);
            }
            if (i % 20_000 == 19_999) {
                assertSame(cache, model);
            }
        }
        assertSame(cache, model);
        assertThat(cache.remove(Entries.random(r).key())).isFalse();
        assertThat(cache.liveBytes()).isPositive();
        assertThat(cache.compactions).as(cache.toString()).isPositive();
    }

    @Test
    void aResyncGenerationRemovesWhatItDidNotRefresh() {
        Random r = new Random(32);
        ExternalCache cache = new ExternalCache();
        List<CtEntry> before = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            CtEntry e = Entries.random(r);
            before.add(e);
            cache.put(e);
        }
        cache.newGeneration();
        Map<CtEntry.Key, CtEntry> kept = new HashMap<>();
        for (int i = 0; i < before.size(); i += 2) {
            CtEntry e = i % 4 == 0 ? before.get(i) : changed(r, before.get(i));
            cache.put(e);
            kept.put(e.key(), e);
        }
        CtEntry fresh = Entries.random(r);
        cache.put(fresh);
        kept.put(fresh.key(), fresh);
        assertThat(cache.removeOlderGenerations()).isEqualTo(before.size() / 2);
        assertSame(cache, kept);
    }
}
