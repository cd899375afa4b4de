package io.sluice.pfs;

import io.sluice.storage.ObjectStore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Splits one stream into content-defined chunks and stores each one not already in the store, in bounded
 * memory: two buffers that start small and grow, as bytes arrive, to at most twice the maximum chunk size,
 * their bytes drawn from a {@link ByteBudget} shared by every stream. A slow client so holds only memory
 * for the bytes it actually sent and no shared writer, and a small file costs a small buffer. The calling
 * thread reads and finds boundaries while {@code hasher} hashes and stores the chunks already found.
 * One instance serves one stream.
 */
final class ChunkWriter {
    private static final int INITIAL = 64 << 10;

    private final Chunker chunker;
    private final ObjectStore store;
    private final Executor hasher;
    private final AtomicLong storedBytes;
    private final ByteBudget budget;
    private final byte[][] buffers = new byte[2][];
    private long held;

    /**
     * @param storedBytes incremented by the size of every chunk actually written (not deduplicated)
     */
    ChunkWriter(Chunker chunker, ObjectStore store, Executor hasher, AtomicLong storedBytes, ByteBudget budget) {
        this.chunker = chunker;
        this.store = store;
        this.hasher = hasher;
        this.storedBytes = storedBytes;
        this.budget = budget;
    }

    /** Chunks and stores everything {@code in} yields, pinning each chunk first; returns the chunks in order. */
    List<FileManifest.Chunk> write(InputStream in, ChunkPins.Holder pins) throws IOException {
        List<CompletableFuture<FileManifest.Chunk>> results = new ArrayList<>();
        List<List<CompletableFuture<?>>> pending = List.of(new ArrayList<>(), new ArrayList<>());
        Set<String> seen = ConcurrentHashMap.newKeySet();
        int b = 0;
        byte[] cur;
        try {
            buffer(0);
            int filled = readFully(in, 0, 0);
            cur = buffers[0];
            boolean eof = filled < cur.length;
            int pos = 0;
            while (true) {
                int avail = filled - pos;
                if (avail == 0 && eof) {
                    break;
                }
                if (avail < chunker.max() && !eof) {
                    // move the unfinished tail to the other buffer once the hasher is done with it
                    int nb = 1 - b;
                    buffer(nb);
                    awaitAll(pending.get(nb));
                    if (buffers[nb].length < avail) {
                        grow(nb, cur.length);
                    }
                    byte[] next = buffers[nb];
                    System.arraycopy(cur, pos, next, 0, avail);
                    cur = next;
                    b = nb;
                    pos = 0;
                    filled = readFully(in, nb, avail);
                    cur = buffers[nb];
                    eof = filled < cur.length;
                    continue;
                }
                int n = chunker.cut(cur, pos, avail);
                byte[] buf = cur;
                int off = pos;
                CompletableFuture<FileManifest.Chunk> f =
                        CompletableFuture.supplyAsync(() -> store(buf, off, n, seen, pins), hasher);
                results.add(f);
                pending.get(b).add(f);
                pos += n;
            }
            List<FileManifest.Chunk> chunks = new ArrayList<>(results.size());
            for (CompletableFuture<FileManifest.Chunk> f : results) {
                chunks.add(join(f));
            }
            return chunks;
        } finally {
            // never give the memory back while a hasher may still read the buffers
            for (List<CompletableFuture<?>> p : pending) {
                try {
                    awaitAll(p);
                } catch (IOException | RuntimeException ignored) {
                    // the failure was or will be reported through the results
                }
            }
            buffers[0] = null;
            buffers[1] = null;
            budget.release(held);
            held = 0;
        }
    }

    private FileManifest.Chunk store(byte[] buf, int off, int len, Set<String> seen, ChunkPins.Holder pins) {
        MessageDigest md = FileManifest.sha256();
        md.update(buf, off, len);
        String id = HexFormat.of().formatHex(md.digest());
        long crc = ChunkCheck.crc32c(buf, off, len);
        FileManifest.Chunk chunk = new FileManifest.Chunk(id, len, crc);
        try {
            if (seen.add(id)) {
                pins.pin(id); // before the check: from here on gc leaves the chunk alone
                // a stored chunk is trusted only once its bytes are checked: putting the same bytes repairs damage
                if (!ChunkCheck.storedIntact(store, chunk, buf, off, len)) {
                    store.put(chunk.key(), new ByteArrayInputStream(buf, off, len), len);
                    storedBytes.addAndGet(len);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return chunk;
    }

    private byte[] buffer(int i) throws IOException {
        if (buffers[i] == null) {
            grow(i, Math.min(INITIAL, 2 * chunker.max()));
        }
        return buffers[i];
    }

    /** Replaces buffer {@code i} (which no hasher reads) by one of {@code size} bytes keeping its contents. */
    private void grow(int i, int size) throws IOException {
        int old = buffers[i] == null ? 0 : buffers[i].length;
        budget.acquire(size - old);
        held += size - old;
        buffers[i] = buffers[i] == null ? new byte[size] : java.util.Arrays.copyOf(buffers[i], size);
    }

    /**
     * Fills buffer {@code b} from {@code from} on, growing it as bytes keep coming up to twice the maximum
     * chunk size; returns how many bytes it holds (less than its length = end of stream).
     */
    private int readFully(InputStream in, int b, int from) throws IOException {
        int filled = from;
        while (true) {
            byte[] buf = buffers[b];
            if (filled == buf.length) {
                if (buf.length >= 2 * chunker.max()) {
                    return filled;
                }
                grow(b, Math.min(2 * chunker.max(), 2 * buf.length));
                buf = buffers[b];
            }
            int n = in.read(buf, filled, buf.length - filled);
            if (n < 0) {
                return filled;
            }
            filled += n;
        }
    }

    private static void awaitAll(List<CompletableFuture<?>> futures) throws IOException {
        try {
            for (CompletableFuture<?> f : futures) {
                join(f);
            }
        } finally {
            futures.clear();
        }
    }

    private static <T> T join(CompletableFuture<T> f) throws IOException {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }
}
