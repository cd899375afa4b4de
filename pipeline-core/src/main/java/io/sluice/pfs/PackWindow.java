package io.sluice.pfs;

import io.sluice.storage.ObjectStore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Where a read of many files gets their chunks: a small packed chunk comes out of a window of up to
 * {@link #WINDOW} bytes of its pack, read in one ranged get, so that the next files of the same upload, which
 * lie after it in the same pack, cost no request of their own (one get per file was 100,000 requests for a
 * {@code get file -r} of 100,000 small files, each an open and seek, or an HTTP round trip on S3). Any
 * other chunk is read as {@link ChunkStream} reads it alone. The bytes are checked by the stream as always.
 * Not thread-safe: one per read.
 */
final class PackWindow implements ChunkStream.Source {
    static final int WINDOW = 1 << 20;

    private final ObjectStore store;
    private String key;
    private long start;
    private byte[] bytes = new byte[0];
    private int length;

    PackWindow(ObjectStore store) {
        this.store = store;
    }

    @Override
    public InputStream open(FileManifest.Chunk c) throws IOException {
        if (!c.packed() || c.size() > WINDOW / 4) {
            return ChunkCheck.open(store, c);
        }
        if (!inside(c)) {
            fill(c);
            if (!inside(c)) { // a pack shorter than its manifests say: the plain read reports that
                return ChunkCheck.open(store, c);
            }
        }
        return new ByteArrayInputStream(bytes, (int) (c.offset() - start), (int) c.size());
    }

    private boolean inside(FileManifest.Chunk c) {
        return c.key().equals(key) && c.offset() >= start && c.offset() + c.size() <= start + length;
    }

    private void fill(FileManifest.Chunk c) throws IOException {
        key = null;
        if (bytes.length < WINDOW) {
            bytes = new byte[WINDOW];
        }
        int got = 0;
        try (InputStream in = store.get(c.key(), c.offset(), WINDOW)) {
            for (int n; got < WINDOW && (n = in.read(bytes, got, WINDOW - got)) > 0; ) {
                got += n;
            }
        }
        key = c.key();
        start = c.offset();
        length = got;
    }
}
