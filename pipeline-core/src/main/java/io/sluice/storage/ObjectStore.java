package io.sluice.storage;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * A flat namespace of immutable objects addressed by key; every backend (local directory, S3, memory)
 * implements exactly this contract, which {@code ObjectStoreContract} in the tests pins down.
 *
 * <p>Keys are slash-separated relative names such as {@code chunks/ab/abcdef...}. A {@code put} is
 * atomic: readers see either no object or all of its bytes, never a prefix. Writing a key that exists
 * replaces it (callers that address content by hash simply write the same bytes again).
 */
public interface ObjectStore extends Closeable {

    /** Stores exactly {@code length} bytes read from {@code data} under {@code key}, atomically. */
    void put(String key, InputStream data, long length) throws IOException;

    /**
     * Streams {@code length} bytes of the object starting at {@code offset}; {@code length < 0} reads to
     * the end. Throws {@link java.nio.file.NoSuchFileException} when the key does not exist.
     */
    InputStream get(String key, long offset, long length) throws IOException;

    /** Whether an object is stored under {@code key}. */
    boolean exists(String key) throws IOException;

    /** Every key that starts with {@code prefix}, in lexicographic order. */
    List<String> list(String prefix) throws IOException;

    /** Deletes the object if it exists; deleting a missing key is not an error. */
    void delete(String key) throws IOException;

    /** A URI naming this store, such as {@code file:/data/repos} or {@code s3://bucket/prefix}. */
    String uri();

    /**
     * Stores like {@link #put(String, InputStream, long)}, visible at once, but durable only once a later
     * {@link #sync()} returns: many small objects that land together then cost one flush, not one each.
     */
    default void putUnsynced(String key, InputStream data, long length) throws IOException {
        put(key, data, length);
    }

    /** Makes every object stored so far durable, including those of {@link #putUnsynced} (a no-op where puts always are). */
    default void sync() throws IOException {
    }

    /** Stores a byte array; see {@link #put(String, InputStream, long)}. */
    default void put(String key, byte[] data) throws IOException {
        put(key, new ByteArrayInputStream(data), data.length);
    }

    /** Reads a whole object into memory; meant for small objects such as chunks. */
    default byte[] getBytes(String key) throws IOException {
        try (InputStream in = get(key, 0, -1)) {
            return in.readAllBytes();
        }
    }

    @Override
    default void close() throws IOException {
    }
}
