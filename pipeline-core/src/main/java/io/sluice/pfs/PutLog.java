package io.sluice.pfs;

import org.eclipse.jgit.lib.ObjectId;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The plain puts of one batch (a file replaced whatever its basis: no append, no copy), kept as packed
 * records in byte pages rather than an object per file, so that an upload of a million small files holds
 * tens of bytes per file until it lands: path, blob id and size, and a hash slot. A later put of a path
 * replaces its record in place. {@link #sorted()} gives the records in byte order of their paths, which
 * is Git's tree order inside every directory and keeps each directory's files contiguous: what
 * {@link TreeEditor#putAll} merges into a tree one directory at a time. Not thread-safe.
 */
final class PutLog {
    /**
     * 256 KiB pages: under half of G1's smallest region, so they are ordinary objects that a collection can
     * move; 1 MiB pages were humongous, a region and a half each, and pinned where they lay, scattered, so
     * that the one large array a directory's tree is written into at landing found no room.
     */
    private static final int PAGE_BITS = 18;
    private static final int PAGE = 1 << PAGE_BITS;
    private static final int ID = 20;
    /** A record's size when its put was overridden by a later edit of the path that is not a plain put. */
    private static final long REMOVED = -1;

    private final List<byte[]> pages = new ArrayList<>();
    private int used = PAGE;
    /** Record {@code i} starts at page {@code at[i] >>> PAGE_BITS}, offset {@code at[i] & (PAGE - 1)}. */
    private int[] at = new int[1024];
    private int count;
    private int live;
    /** Open addressing: a slot holds a record number plus one, 0 when free. */
    private int[] slots = new int[2048];

    /** Records that {@code path} (normalized, not the root) is the file {@code blob} of {@code size} bytes. */
    void put(String path, ObjectId blob, long size) {
        byte[] key = path.getBytes(StandardCharsets.UTF_8);
        if (key.length > 0xffff) {
            throw new IllegalArgumentException("path longer than 65535 bytes");
        }
        int slot = slot(key);
        int rec = slots[slot] - 1;
        if (rec < 0) {
            rec = append(key);
            slots[slot] = rec + 1;
            if (2 * count > slots.length) {
                rehash();
            }
        } else if (size(rec) == REMOVED) {
            live++;
        }
        byte[] page = page(rec);
        int p = offset(rec) + 2 + key.length;
        blob.copyRawTo(page, p);
        putLong(page, p + ID, size);
    }

    /** Forgets the put of {@code path}, if there is one (a later edit of that path took its place). */
    void remove(String path) {
        int rec = slots[slot(path.getBytes(StandardCharsets.UTF_8))] - 1;
        if (rec >= 0 && size(rec) != REMOVED) {
            putLong(page(rec), offset(rec) + 2 + pathLength(rec) + ID, REMOVED);
            live--;
        }
    }

    /** The blob put at {@code path}, or null if none is recorded. */
    ObjectId get(String path) {
        int rec = slots[slot(path.getBytes(StandardCharsets.UTF_8))] - 1;
        return rec < 0 || size(rec) == REMOVED ? null : id(rec);
    }

    /** Whether a file is put at the path that is the first {@code len} bytes of record {@code rec}'s path. */
    boolean hasPrefix(int rec, int len) {
        byte[] key = new byte[len];
        copyPath(rec, 0, key, 0, len);
        int found = slots[slot(key, len)] - 1;
        return found >= 0 && size(found) != REMOVED;
    }

    /** How many files are put. */
    int size() {
        return live;
    }

    /** The live records, in byte order of their paths. */
    int[] sorted() {
        int[] order = new int[live];
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (size(i) != REMOVED) {
                order[n++] = i;
            }
        }
        mergeSort(order, new int[n], 0, n);
        return order;
    }

    /** The length in bytes of record {@code rec}'s path. */
    int pathLength(int rec) {
        byte[] page = page(rec);
        int p = offset(rec);
        return ((page[p] & 0xff) << 8) | (page[p + 1] & 0xff);
    }

    /** Byte {@code i} of record {@code rec}'s path. */
    byte pathByte(int rec, int i) {
        return page(rec)[offset(rec) + 2 + i];
    }

    /** Copies {@code len} bytes of record {@code rec}'s path from {@code from} into {@code out} at {@code to}. */
    void copyPath(int rec, int from, byte[] out, int to, int len) {
        System.arraycopy(page(rec), offset(rec) + 2 + from, out, to, len);
    }

    /** The first {@code len} bytes of record {@code rec}'s path, as text (for messages). */
    String path(int rec, int len) {
        return new String(page(rec), offset(rec) + 2, len, StandardCharsets.UTF_8);
    }

    /** Copies record {@code rec}'s 20-byte blob id into {@code out} at {@code to}. */
    void copyId(int rec, byte[] out, int to) {
        System.arraycopy(page(rec), offset(rec) + 2 + pathLength(rec), out, to, ID);
    }

    /** Record {@code rec}'s file size in bytes. */
    long size(int rec) {
        byte[] page = page(rec);
        int p = offset(rec) + 2 + pathLength(rec) + ID;
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (page[p + i] & 0xff);
        }
        return v;
    }

    private ObjectId id(int rec) {
        return ObjectId.fromRaw(page(rec), offset(rec) + 2 + pathLength(rec));
    }

    private int append(byte[] key) {
        int need = 2 + key.length + ID + 8;
        if (PAGE - used < need) {
            pages.add(new byte[PAGE]);
            used = 0;
        }
        if (count == at.length) {
            at = Arrays.copyOf(at, count * 2);
        }
        at[count] = ((pages.size() - 1) << PAGE_BITS) | used;
        byte[] page = pages.get(pages.size() - 1);
        page[used] = (byte) (key.length >>> 8);
        page[used + 1] = (byte) key.length;
        System.arraycopy(key, 0, page, used + 2, key.length);
        used += need;
        live++;
        return count++;
    }

    private byte[] page(int rec) {
        return pages.get(at[rec] >>> PAGE_BITS);
    }

    private int offset(int rec) {
        return at[rec] & (PAGE - 1);
    }

    private int slot(byte[] key) {
        return slot(key, key.length);
    }

    /** The slot of the path {@code key[0, len)}: the one holding its record, else the free one it would take. */
    private int slot(byte[] key, int len) {
        int mask = slots.length - 1;
        for (int s = hash(key, len) & mask; ; s = (s + 1) & mask) {
            int rec = slots[s] - 1;
            if (rec < 0 || equalPath(rec, key, len)) {
                return s;
            }
        }
    }

    private boolean equalPath(int rec, byte[] key, int len) {
        int p = offset(rec) + 2;
        return pathLength(rec) == len && Arrays.equals(page(rec), p, p + len, key, 0, len);
    }

    private void rehash() {
        int[] old = slots;
        slots = new int[old.length * 2];
        int mask = slots.length - 1;
        for (int v : old) {
            if (v != 0) {
                int rec = v - 1;
                int s = hash(page(rec), offset(rec) + 2, pathLength(rec)) & mask;
                while (slots[s] != 0) {
                    s = (s + 1) & mask;
                }
                slots[s] = v;
            }
        }
    }

    private static int hash(byte[] key, int len) {
        return hash(key, 0, len);
    }

    private static int hash(byte[] b, int from, int len) {
        int h = 0x811c9dc5;
        for (int i = from; i < from + len; i++) {
            h = (h ^ (b[i] & 0xff)) * 0x01000193;
        }
        return h ^ (h >>> 16);
    }

    private int compare(int a, int b) {
        int pa = offset(a) + 2;
        int pb = offset(b) + 2;
        return Arrays.compareUnsigned(page(a), pa, pa + pathLength(a), page(b), pb, pb + pathLength(b));
    }

    private void mergeSort(int[] a, int[] tmp, int lo, int hi) {
        if (hi - lo < 2) {
            return;
        }
        int mid = (lo + hi) >>> 1;
        mergeSort(a, tmp, lo, mid);
        mergeSort(a, tmp, mid, hi);
        if (compare(a[mid - 1], a[mid]) <= 0) {
            return;
        }
        System.arraycopy(a, lo, tmp, lo, hi - lo);
        for (int i = lo, j = mid, k = lo; k < hi; k++) {
            a[k] = j >= hi || (i < mid && compare(tmp[i], tmp[j]) <= 0) ? tmp[i++] : tmp[j++];
        }
    }

    private static void putLong(byte[] b, int p, long v) {
        for (int i = 7; i >= 0; i--) {
            b[p + i] = (byte) v;
            v >>>= 8;
        }
    }
}
