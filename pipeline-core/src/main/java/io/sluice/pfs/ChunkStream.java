package io.sluice.pfs;

import io.sluice.storage.ObjectStore;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * The bytes of a file, read lazily chunk by chunk from the object store, from {@code offset} for
 * {@code length} bytes ({@code length < 0}: to the end); holds at most one chunk stream open.
 */
public final class ChunkStream extends InputStream {

    private final ObjectStore store;
    private final List<FileManifest.Chunk> chunks;
    private int next;
    private long skipInNext;
    private long remaining;
    private InputStream current;

    public ChunkStream(ObjectStore store, List<FileManifest.Chunk> chunks, long offset, long length) {
        this.store = store;
        this.chunks = chunks;
        long total = chunks.stream().mapToLong(FileManifest.Chunk::size).sum();
        long start = Math.min(Math.max(0, offset), total);
        this.remaining = length < 0 ? total - start : Math.min(length, total - start);
        long skip = start;
        while (next < chunks.size() && skip >= chunks.get(next).size()) {
            skip -= chunks.get(next).size();
            next++;
        }
        this.skipInNext = skip;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (remaining > 0) {
            if (current == null) {
                if (next >= chunks.size()) {
                    throw new IOException("file is shorter than its manifest says");
                }
                FileManifest.Chunk c = chunks.get(next++);
                current = store.get(c.key(), skipInNext, c.size() - skipInNext);
                skipInNext = 0;
            }
            int n = current.read(b, off, (int) Math.min(len, remaining));
            if (n > 0) {
                remaining -= n;
                return n;
            }
            current.close();
            current = null;
        }
        return -1;
    }

    @Override
    public void close() throws IOException {
        if (current != null) {
            current.close();
            current = null;
        }
        remaining = 0;
    }
}
