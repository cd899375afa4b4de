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
 * Splits a stream into content-defined chunks and stores each one not already in the store, in constant
 * memory (two reusable buffers of twice the maximum chunk size). The calling thread reads and finds
 * boundaries while {@code hasher} hashes and stores the chunks already found, so the two overlap.
 * One instance serves one stream at a time; reuse it to keep its buffers.
 */
final class ChunkWriter {

    private final Chunker chunker;
    private final ObjectStore store;
    private final Executor hasher;
    private final AtomicLong storedBytes;
    private final byte[][] buffers = new byte[2][];

    /**
     * @param storedBytes incremented by the size of every chunk actually written (not deduplicated)
     */
    ChunkWriter(Chunker chunker, ObjectStore store, Executor hasher, AtomicLong storedBytes) {
        this.chunker = chunker;
        this.store = store;
        this.hasher = hasher;
        this.storedBytes = storedBytes;
    }

    /** Chunks and stores everything {@code in} yields; returns the chunks in order. */
    List<FileManifest.Chunk> write(InputStream in) throws IOException {
        List<CompletableFuture<FileManifest.Chunk>> results = new ArrayList<>();
        List<List<CompletableFuture<?>>> pending = List.of(new ArrayList<>(), new ArrayList<>());
        Set<String> seen = ConcurrentHashMap.newKeySet();
        int b = 0;
        byte[] cur = buffer(0);
        try {
            int filled = readFully(in, cur, 0);
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
                    byte[] next = buffer(nb);
                    awaitAll(pending.get(nb));
                    System.arraycopy(cur, pos, next, 0, avail);
                    cur = next;
                    b = nb;
                    pos = 0;
                    filled = readFully(in, cur, avail);
                    eof = filled < cur.length;
                    continue;
                }
                int n = chunker.cut(cur, pos, avail);
                byte[] buf = cur;
                int off = pos;
                CompletableFuture<FileManifest.Chunk> f =
                        CompletableFuture.supplyAsync(() -> store(buf, off, n, seen), hasher);
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
            // never hand the buffers to the next stream while a hasher may still read them
            for (List<CompletableFuture<?>> p : pending) {
                try {
                    awaitAll(p);
                } catch (IOException | RuntimeException ignored) {
                    // the failure was or will be reported through the results
                }
            }
        }
    }

    private FileManifest.Chunk store(byte[] buf, int off, int len, Set<String> seen) {
        MessageDigest md = FileManifest.sha256();
        md.update(buf, off, len);
        String id = HexFormat.of().formatHex(md.digest());
        String key = FileManifest.chunkKey(id);
        try {
            if (seen.add(id) && !store.exists(key)) {
                store.put(key, new ByteArrayInputStream(buf, off, len), len);
                storedBytes.addAndGet(len);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new FileManifest.Chunk(id, len);
    }

    private byte[] buffer(int i) {
        if (buffers[i] == null) {
            buffers[i] = new byte[2 * chunker.max()];
        }
        return buffers[i];
    }

    /** Fills {@code buf} from {@code from} on; returns how many bytes it holds (less than full = end of stream). */
    private static int readFully(InputStream in, byte[] buf, int from) throws IOException {
        int filled = from;
        while (filled < buf.length) {
            int n = in.read(buf, filled, buf.length - filled);
            if (n < 0) {
                break;
            }
            filled += n;
        }
        return filled;
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
