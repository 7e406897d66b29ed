package tandem.statesync;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import tandem.conntrack.CtEntry;
import tandem.conntrack.CtTuple;

/**
 * The standby's copy of the active node's conntrack table, compact. Pure, not thread-safe.
 *
 * <p>A table of a million connections as objects (entry, tuples, key, map node: five or more each)
 * made the collector the standby's biggest CPU consumer - every cycle marks them all. Here each entry
 * is one record in a chunk of bytes, found through an open-addressing index of primitive arrays; the
 * collector sees a few dozen arrays. Entries are encoded as on the wire (SyncCodec) and decoded when
 * read (merge of an update, commit, listing).
 *
 * <pre>
 * record:  | i32 generation | u8 key length | key | u16 entry length | entry |
 * key:     | u8 flags (bit 0 IPv6) | tuple | u16 zone |        (as in a DELETE op)
 * address: chunk index &lt;&lt; 22 | offset (4 MiB chunks, up to 1024 of them: 32 bits)
 * slot:    hash &lt;&lt; 32 | address + 1 (one array: a probe is one memory access); 0 empty, -1 deleted
 * </pre>
 *
 * An update of the same encoded length overwrites its record in place; otherwise the record moves to
 * the end and the old one becomes garbage, reclaimed by compaction when garbage outweighs live data.
 * Resync bookkeeping is a generation number per record: {@link #newGeneration()} at RESYNC_BEGIN,
 * {@link #removeOlderGenerations()} at RESYNC_END removes what the resync did not refresh.
 */
public final class ExternalCache {
    private final int chunkBits;
    private final int chunkSize;
    private static final long EMPTY = 0;
    private static final long DELETED = -1;

    private final List<byte[]> chunks = new ArrayList<>();
    private int tail;
    private long garbage;
    private long liveBytes;

    private long[] slots = new long[1 << 12];
    private int size;
    private int used;
    private int generation;
    private final ByteBuffer scratch = ByteBuffer.allocate(1024);
    /** Compactions so far (for tests and the operator). */
    int compactions;

    /** 4 MiB chunks. */
    public ExternalCache() {
        this(22);
    }

    /** Chunks of 2^chunkBits octets (tests use small ones to reach compaction quickly). */
    ExternalCache(int chunkBits) {
        this.chunkBits = chunkBits;
        this.chunkSize = 1 << chunkBits;
        this.tail = chunkSize;
    }

    public int size() {
        return size;
    }

    /** Octets the records take (live data), for the operator. */
    public long liveBytes() {
        return liveBytes;
    }

    // ---------------------------------------------------------------- keys and hashing

    private byte[] keyBytes(CtEntry.Key k) {
        scratch.clear();
        scratch.put((byte) (k.orig().ipv6() ? 1 : 0));
        SyncCodec.tuple(scratch, k.orig());
        scratch.putShort((short) k.zone());
        byte[] out = new byte[scratch.position()];
        scratch.flip().get(out);
        return out;
    }

    private static int hash(byte[] key) {
        int h = 0x811c9dc5;
        for (byte b : key) {
            h = (h ^ (b & 0xff)) * 0x01000193;
        }
        return h ^ (h >>> 16);
    }

    private byte[] chunk(long address) {
        return chunks.get((int) (address >>> chunkBits));
    }

    private int offset(long address) {
        return (int) (address & (chunkSize - 1));
    }

    private static long address(long slot) {
        return (slot & 0xffffffffL) - 1;
    }

    private static long slot(int hash, long address) {
        if (address + 1 >= 0xffffffffL) { // all ones is reserved: with hash -1 the slot would read "deleted"
            throw new IllegalStateException("external cache: more than 4 GiB of records (expected: a larger index)");
        }
        return ((long) hash << 32) | (address + 1);
    }

    private boolean keyEquals(long address, byte[] key) {
        byte[] c = chunk(address);
        int off = offset(address) + 4;
        if ((c[off] & 0xff) != key.length) {
            return false;
        }
        return java.util.Arrays.equals(c, off + 1, off + 1 + key.length, key, 0, key.length);
    }

    /** The slot index holding {@code key}, or -(insertion point) - 1. */
    private int find(byte[] key, int h) {
        int mask = slots.length - 1;
        int free = -1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            long s = slots[i];
            if (s == EMPTY) {
                return -(free >= 0 ? free : i) - 1;
            }
            if (s == DELETED) {
                if (free < 0) {
                    free = i;
                }
            } else if ((int) (s >>> 32) == h && keyEquals(address(s), key)) {
                return i;
            }
        }
    }

    // ---------------------------------------------------------------- records

    private static int recordLength(byte[] c, int off) {
        int klen = c[off + 4] & 0xff;
        int elen = ((c[off + 5 + klen] & 0xff) << 8) | (c[off + 6 + klen] & 0xff);
        return 4 + 1 + klen + 2 + elen;
    }

    private long append(byte[] key, byte[] entry) {
        int len = 4 + 1 + key.length + 2 + entry.length;
        if (tail + len > chunkSize) {
            chunks.add(new byte[chunkSize]);
            tail = 0;
        }
        long address = ((long) (chunks.size() - 1) << chunkBits) | tail;
        ByteBuffer.wrap(chunks.getLast(), tail, len).putInt(generation).put((byte) key.length).put(key)
            .putShort((short) entry.length).put(entry);
        tail += len;
        liveBytes += len;
        return address;
    }

    private byte[] encode(CtEntry e) {
        byte[] out = new byte[SyncCodec.entrySize(e)];
        SyncCodec.entry(ByteBuffer.wrap(out), e);
        return out;
    }

    private CtEntry decode(long address) {
        byte[] c = chunk(address);
        int off = offset(address);
        int klen = c[off + 4] & 0xff;
        int elen = ((c[off + 5 + klen] & 0xff) << 8) | (c[off + 6 + klen] & 0xff);
        try {
            return SyncCodec.entry(ByteBuffer.wrap(c, off + 7 + klen, elen));
        } catch (SyncException e) {
            throw new IllegalStateException("external cache record at " + address + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- operations

    /** Stores the complete state of a flow (marks it refreshed in the current generation). */
    public void put(CtEntry e) {
        byte[] key = keyBytes(e.key());
        byte[] entry = encode(e);
        int h = hash(key);
        int i = find(key, h);
        if (i >= 0) {
            long a = address(slots[i]);
            byte[] c = chunk(a);
            int off = offset(a);
            int elenAt = off + 5 + key.length;
            int elen = ((c[elenAt] & 0xff) << 8) | (c[elenAt + 1] & 0xff);
            if (elen == entry.length) {
                ByteBuffer.wrap(c, off, 4).putInt(generation);
                System.arraycopy(entry, 0, c, elenAt + 2, entry.length);
                return;
            }
            int old = recordLength(c, off);
            garbage += old;
            liveBytes -= old;
            slots[i] = slot(h, append(key, entry));
        } else {
            int at = -i - 1;
            if (slots[at] == EMPTY) {
                used++;
            }
            slots[at] = slot(h, append(key, entry));
            size++;
            if (used > slots.length / 2) {
                rehash(size > slots.length / 4 ? slots.length * 2 : slots.length);
            }
        }
        compactIfWasteful();
    }

    /** Applies a partial change (see CtEntry.updatedBy); an unknown flow is stored as it comes. */
    public void update(CtEntry changes) {
        CtEntry old = get(changes.key());
        put(old == null ? changes : old.updatedBy(changes));
    }

    public CtEntry get(CtEntry.Key k) {
        byte[] key = keyBytes(k);
        int i = find(key, hash(key));
        return i >= 0 ? decode(address(slots[i])) : null;
    }

    public boolean contains(CtEntry.Key k) {
        byte[] key = keyBytes(k);
        return find(key, hash(key)) >= 0;
    }

    /** @return whether the flow was there */
    public boolean remove(CtEntry.Key k) {
        byte[] key = keyBytes(k);
        int i = find(key, hash(key));
        if (i < 0) {
            return false;
        }
        kill(i);
        compactIfWasteful();
        return true;
    }

    private void kill(int i) {
        long a = address(slots[i]);
        int len = recordLength(chunk(a), offset(a));
        garbage += len;
        liveBytes -= len;
        slots[i] = DELETED;
        size--;
    }

    /** Starts a resync: from now on, what is stored belongs to the new generation. */
    public void newGeneration() {
        generation++;
    }

    /** Ends a resync: removes every flow not stored since {@link #newGeneration()}; returns how many. */
    public int removeOlderGenerations() {
        int removed = 0;
        for (int i = 0; i < slots.length; i++) {
            long s = slots[i];
            if (s != EMPTY && s != DELETED) {
                long a = address(s);
                if (ByteBuffer.wrap(chunk(a), offset(a), 4).getInt() != generation) {
                    kill(i);
                    removed++;
                }
            }
        }
        compactIfWasteful();
        return removed;
    }

    public void clear() {
        chunks.clear();
        tail = chunkSize;
        garbage = 0;
        liveBytes = 0;
        slots = new long[1 << 12];
        size = 0;
        used = 0;
    }

    /** Every entry, decoded (a snapshot: later changes do not show). */
    public List<CtEntry> values() {
        List<CtEntry> out = new ArrayList<>(size);
        forEach(out::add);
        return out;
    }

    public void forEach(Consumer<CtEntry> action) {
        for (long s : slots) {
            if (s != EMPTY && s != DELETED) {
                action.accept(decode(address(s)));
            }
        }
    }

    /** Every flow key. */
    public List<CtEntry.Key> keys() {
        List<CtEntry.Key> out = new ArrayList<>(size);
        for (long s : slots) {
            if (s != EMPTY && s != DELETED) {
                byte[] c = chunk(address(s));
                int off = offset(address(s)) + 5;
                ByteBuffer b = ByteBuffer.wrap(c, off, c.length - off);
                boolean v6 = (b.get() & 1) != 0;
                CtTuple t = SyncCodec.tuple(b, v6);
                out.add(new CtEntry.Key(t, b.getShort() & 0xffff));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- upkeep

    private void rehash(int capacity) {
        long[] old = slots;
        slots = new long[capacity];
        used = 0;
        int mask = capacity - 1;
        for (long s : old) {
            if (s != EMPTY && s != DELETED) {
                int i = (int) (s >>> 32) & mask;
                while (slots[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                slots[i] = s;
                used++;
            }
        }
    }

    /** Copies the live records into fresh chunks when garbage outweighs them (and is worth a copy). */
    private void compactIfWasteful() {
        if (garbage < 4L * chunkSize || garbage < liveBytes) {
            return;
        }
        List<byte[]> old = new ArrayList<>(chunks);
        chunks.clear();
        tail = chunkSize;
        liveBytes = 0;
        for (int i = 0; i < slots.length; i++) {
            long s = slots[i];
            if (s != EMPTY && s != DELETED) {
                long a = address(s);
                byte[] c = old.get((int) (a >>> chunkBits));
                int off = offset(a);
                int len = recordLength(c, off);
                if (tail + len > chunkSize) {
                    chunks.add(new byte[chunkSize]);
                    tail = 0;
                }
                System.arraycopy(c, off, chunks.getLast(), tail, len);
                slots[i] = slot((int) (s >>> 32), ((long) (chunks.size() - 1) << chunkBits) | tail);
                tail += len;
                liveBytes += len;
            }
        }
        garbage = 0;
        compactions++;
    }

    @Override
    public String toString() {
        return "ExternalCache{size=" + size + ", live=" + liveBytes + " B, garbage=" + garbage + " B, chunks="
            + chunks.size() + ", slots=" + slots.length + "}";
    }
}
