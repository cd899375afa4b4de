package io.sluice.pfs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where packed chunks are, by chunk id, for deduplication only: a hint that a put checks byte for byte
 * against the pack before trusting it, so a stale, colliding or missing entry costs a write, never a
 * wrong file, and the index needs no crash safety (it lives in memory and is refilled from the manifests
 * at start). Keyed by the first 8 bytes of the id in an open-addressing table of primitive arrays (about
 * 24 bytes an entry), so a million packed chunks cost tens of MB, not hundreds. Thread-safe.
 */
final class PackIndex {
    private static final int EMPTY = -1;

    /** Pack ids by ordinal; null once the pack was deleted (its entries then miss and go at the next resize). */
    private final List<String> packs = new ArrayList<>();
    private final Map<String, Integer> ordinals = new HashMap<>();
    private long[] keys = new long[1024];
    private int[] packOf = filled(1024);
    private int[] offsets = new int[1024];
    private int[] sizes = new int[1024];
    private int used;

    /** Where pack {@code pack} holds {@code size} bytes of chunk {@code id} at {@code offset}; replaces an older hint. */
    synchronized void add(String pack, String id, long offset, long size) {
        if (offset > Integer.MAX_VALUE || size > Integer.MAX_VALUE) {
            return; // packs are a few MiB; a hint that does not fit is simply not kept
        }
        Integer ord = ordinals.get(pack);
        if (ord == null) {
            ord = packs.size();
            packs.add(pack);
            ordinals.put(pack, ord);
        }
        if (2 * (used + 1) > keys.length) {
            resize();
        }
        put(key(id), ord, (int) offset, (int) size);
    }

    /** The packed chunk of {@code id} and {@code size} bytes a pack may hold, with this crc; null if none is known. */
    synchronized FileManifest.Chunk find(String id, long size, long crc) {
        long k = key(id);
        for (int i = slot(k, keys.length); packOf[i] != EMPTY; i = (i + 1) & (keys.length - 1)) {
            if (keys[i] == k) {
                String pack = packs.get(packOf[i]);
                return pack == null || sizes[i] != size ? null : new FileManifest.Chunk(id, size, crc, pack, offsets[i]);
            }
        }
        return null;
    }

    /** Forgets every chunk of pack {@code pack}, which gc deleted. */
    synchronized void dropPack(String pack) {
        Integer ord = ordinals.remove(pack);
        if (ord != null) {
            packs.set(ord, null);
        }
    }

    /** How many entries the table holds (entries of deleted packs included until the next resize). */
    synchronized int size() {
        return used;
    }

    private void put(long k, int ord, int offset, int size) {
        int i = slot(k, keys.length);
        while (packOf[i] != EMPTY && keys[i] != k) {
            i = (i + 1) & (keys.length - 1);
        }
        if (packOf[i] == EMPTY) {
            used++;
        }
        keys[i] = k;
        packOf[i] = ord;
        offsets[i] = offset;
        sizes[i] = size;
    }

    /** Doubles the table when it is half full, leaving out the entries of deleted packs. */
    private void resize() {
        long[] oldKeys = keys;
        int[] oldPacks = packOf;
        int[] oldOffsets = offsets;
        int[] oldSizes = sizes;
        int live = 0;
        for (int p : oldPacks) {
            if (p != EMPTY && packs.get(p) != null) {
                live++;
            }
        }
        int n = oldKeys.length;
        while (2 * (live + 1) > n / 2) {
            n *= 2;
        }
        keys = new long[n];
        packOf = filled(n);
        offsets = new int[n];
        sizes = new int[n];
        used = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldPacks[i] != EMPTY && packs.get(oldPacks[i]) != null) {
                put(oldKeys[i], oldPacks[i], oldOffsets[i], oldSizes[i]);
            }
        }
    }

    private static long key(String id) {
        return Long.parseUnsignedLong(id.substring(0, 16), 16);
    }

    private static int slot(long k, int length) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 32) & (length - 1);
    }

    private static int[] filled(int n) {
        int[] a = new int[n];
        Arrays.fill(a, EMPTY);
        return a;
    }
}
