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
 * at start). Keyed by the first 8 bytes of the id in an open-addressing table of primitive arrays (20
 * bytes a slot, a quarter to a half of them used), so a million packed chunks cost tens of MB, not hundreds;
 * and the table stops growing at {@code maxSlots}: past that many chunks a hint is not kept, which costs
 * storing those bytes again if they come again, never a wrong file. Thread-safe.
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
    private final int maxSlots;
    /** The table is at {@link #maxSlots} and half full of live entries: no hint is added until a pack goes. */
    private boolean full;

    /** An index of at most {@code maxSlots} slots (a power of two, 1024 or more): about half as many chunks. */
    PackIndex(int maxSlots) {
        if (maxSlots < 1024 || Integer.bitCount(maxSlots) != 1) {
            throw new IllegalArgumentException("maxSlots must be a power of two of 1024 or more: " + maxSlots);
        }
        this.maxSlots = maxSlots;
    }

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
        if (2 * (used + 1) > keys.length && (full || !resize())) {
            return;
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
            full = false; // its entries are dead now: the next resize may make room
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

    /**
     * Rebuilds the half-full table without the entries of deleted packs, twice as large if they were few;
     * false (and {@link #full}) if it is at its bound and would still be half full.
     */
    private boolean resize() {
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
        while (10L * (live + 1) > 3L * n && n < maxSlots) { // to at most 30% full: room before the next
            n *= 2;
        }
        if (2 * (live + 1) > n) {
            full = true;
            return false;
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
        return true;
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
