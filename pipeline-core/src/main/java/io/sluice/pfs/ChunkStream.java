package io.sluice.pfs;

import io.sluice.storage.ObjectStore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * The bytes of a file, read lazily chunk by chunk from the object store, from {@code offset} for
 * {@code length} bytes ({@code length < 0}: to the end). Each chunk is read whole and checked (its CRC32C)
 * before any of its bytes is handed out, so a damaged, truncated or missing chunk fails the read with a
 * {@link DamagedChunkException} naming the file and the chunk, never with wrong bytes; one chunk is held
 * in memory at a time.
 */
public final class ChunkStream extends InputStream {

    /** A chunk that is missing, truncated or not what its manifest says; the message is one line for a user. */
    public static final class DamagedChunkException extends IOException {
        DamagedChunkException(String message) {
            super(message);
        }
    }

    /** Where a stream's chunks are read from. */
    interface Source {
        /** The bytes of chunk {@code c} as stored (checked by the stream, not here). */
        InputStream open(FileManifest.Chunk c) throws IOException;
    }

    private final Source source;
    private final List<FileManifest.Chunk> chunks;
    private final String file;
    private int next;
    private long skipInNext;
    private long remaining;
    private byte[] buf;
    private int pos;
    private int end;

    /** A stream over {@code chunks}; damage is reported as being in "a file". */
    public ChunkStream(ObjectStore store, List<FileManifest.Chunk> chunks, long offset, long length) {
        this(store, chunks, offset, length, "a file");
    }

    /** As {@link #ChunkStream(ObjectStore, List, long, long)}; {@code file} names the file in damage reports. */
    public ChunkStream(ObjectStore store, List<FileManifest.Chunk> chunks, long offset, long length, String file) {
        this(c -> ChunkCheck.open(store, c), chunks, offset, length, file);
    }

    /** As {@link #ChunkStream(ObjectStore, List, long, long, String)}, reading the chunks from {@code source}. */
    ChunkStream(Source source, List<FileManifest.Chunk> chunks, long offset, long length, String file) {
        this.source = source;
        this.chunks = chunks;
        this.file = file;
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

    /** How many bytes this stream has left to yield. */
    public long remaining() {
        return remaining;
    }

    /** Whether every byte handed out so far ends a chunk: the next read loads and checks a new one. */
    public boolean atChunkEnd() {
        return pos == end;
    }

    /**
     * Reads and checks the first chunk now, so that damage there is reported before a caller commits to
     * answering (an HTTP server that has sent its headers can only break the connection off).
     */
    public void prefetch() throws IOException {
        if (remaining > 0 && pos == end) {
            load();
        }
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
        if (remaining <= 0) {
            return -1;
        }
        if (pos == end) {
            load();
        }
        int n = (int) Math.min(Math.min(len, end - pos), remaining);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        remaining -= n;
        return n;
    }

    /** Reads the next chunk whole into the buffer and checks it; positions past the bytes to skip. */
    private void load() throws IOException {
        if (next >= chunks.size()) {
            throw new IOException(file + " is shorter than its manifest says");
        }
        int index = next++;
        FileManifest.Chunk c = chunks.get(index);
        int size = (int) c.size();
        if (buf == null || buf.length < size + 1) {
            buf = new byte[Math.max(size + 1, buf == null ? 0 : Math.min(2 * buf.length, Integer.MAX_VALUE - 8))];
        }
        int got = 0;
        boolean longer = false;
        try (InputStream in = source.open(c)) {
            // one byte more than the chunk should hold tells a chunk that grew from one that is whole
            for (int n; got <= size && (n = in.read(buf, got, size + 1 - got)) > 0; ) {
                got += n;
            }
            longer = got > size;
        } catch (NoSuchFileException e) {
            throw damaged(index, c, "missing");
        }
        String damage = ChunkCheck.damage(c, buf, Math.min(got, size), longer);
        if (damage != null) {
            throw damaged(index, c, damage);
        }
        pos = (int) skipInNext;
        end = size;
        skipInNext = 0;
    }

    private DamagedChunkException damaged(int index, FileManifest.Chunk c, String what) {
        return new DamagedChunkException(file + ": chunk " + c.id() + " (" + (index + 1) + " of " + chunks.size()
                + ") is " + what + "; fsck lists every damaged file, and putting the same bytes again repairs it");
    }

    @Override
    public void close() {
        remaining = 0;
        buf = null;
        pos = 0;
        end = 0;
    }
}
