package io.sluice.pfs;

import io.sluice.storage.ObjectStore;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gathers the new small chunks of one write batch into pack objects of about {@link #TARGET} bytes, so a
 * small file costs a share of one object write instead of an object of its own. A pack's id is chosen and
 * pinned when it is opened, so manifests can name it at once; it is written (unsynced) when sealed, at
 * {@code TARGET} or by {@link #seal()} before the batch lands, which syncs the store before any commit names
 * it. The bytes of the open pack hold their share of the upload memory budget until sealed. Not thread-safe.
 */
final class PackWriter implements Closeable {
    /** A pack is sealed once it holds this many bytes: large enough that its object cost is amortised. */
    static final int TARGET = 4 << 20;
    /**
     * Or once it holds this many chunks: each costs the open pack ~200 bytes of heap (its entry, id and
     * array) until sealed, and 4 MiB of one-byte files would be millions of them.
     */
    static final int MAX_CHUNKS = 32_768;

    private final ObjectStore store;
    private final ByteBudget budget;
    private final ChunkPins.Holder pins;
    private final PackIndex index;
    private final AtomicLong storedBytes;
    private final SecureRandom random;
    private String pack;
    private final List<byte[]> parts = new ArrayList<>();
    /** The chunks of the open pack by id: the same bytes twice in one pack are stored once. */
    private final Map<String, FileManifest.Chunk> chunks = new HashMap<>();
    private long size;

    PackWriter(ObjectStore store, ByteBudget budget, ChunkPins.Holder pins, PackIndex index, AtomicLong storedBytes,
               SecureRandom random) {
        this.store = store;
        this.budget = budget;
        this.pins = pins;
        this.index = index;
        this.storedBytes = storedBytes;
        this.random = random;
    }

    /**
     * Adds {@code bytes}, the whole of {@code chunk}, to the open pack and returns the chunk located there.
     * The {@code bytes.length} of upload memory the caller reserved for them passes to this writer.
     */
    FileManifest.Chunk append(FileManifest.Chunk chunk, byte[] bytes) throws IOException {
        if (bytes.length != chunk.size()) {
            budget.release(bytes.length);
            throw new IllegalArgumentException(bytes.length + " bytes given for a chunk of " + chunk.size());
        }
        FileManifest.Chunk same = chunks.get(chunk.id());
        if (same != null) {
            budget.release(bytes.length);
            return same;
        }
        if (pack == null) {
            byte[] id = new byte[16];
            random.nextBytes(id);
            pack = HexFormat.of().formatHex(id);
            pins.pin(FileManifest.PACK_PIN + pack); // before any manifest names it: from here on gc leaves it alone
        }
        FileManifest.Chunk placed = chunk.inPack(pack, size);
        parts.add(bytes);
        size += bytes.length;
        chunks.put(chunk.id(), placed);
        if (size >= TARGET || chunks.size() >= MAX_CHUNKS) {
            seal();
        }
        return placed;
    }

    /** Writes the open pack, if it holds anything, and gives its memory back; the next append opens a new one. */
    void seal() throws IOException {
        if (pack == null) {
            return;
        }
        List<InputStream> streams = new ArrayList<>(parts.size());
        parts.forEach(p -> streams.add(new ByteArrayInputStream(p)));
        store.putUnsynced(FileManifest.packKey(pack), new SequenceInputStream(Collections.enumeration(streams)), size);
        storedBytes.addAndGet(size);
        for (FileManifest.Chunk c : chunks.values()) {
            index.add(pack, c.id(), c.offset(), c.size());
        }
        drop();
    }

    private void drop() {
        budget.release(size);
        parts.clear();
        chunks.clear();
        size = 0;
        pack = null;
    }

    /** Drops the open pack unwritten (the batch it belongs to is not landing) and gives its memory back. */
    @Override
    public void close() {
        drop();
    }
}
