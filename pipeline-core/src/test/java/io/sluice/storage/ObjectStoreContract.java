package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The behaviour every {@link ObjectStore} backend must show; each backend's test is a subclass naming the store. */
public abstract class ObjectStoreContract {
    private static final byte[] HELLO = "hello, sluice".getBytes(StandardCharsets.UTF_8);

    protected ObjectStore store;

    /** A fresh, empty store for one test. */
    protected abstract ObjectStore newStore() throws Exception;

    @BeforeEach
    void open() throws Exception {
        store = newStore();
    }

    @AfterEach
    void close() throws IOException {
        store.close();
    }

    @Test
    void putThenGetReturnsTheSameBytes() throws IOException {
        store.put("chunks/ab/abcdef", HELLO);
        assertThat(store.getBytes("chunks/ab/abcdef")).isEqualTo(HELLO);
        assertThat(store.exists("chunks/ab/abcdef")).isTrue();
    }

    @Test
    void anUnsyncedPutIsVisibleAtOnceAndSyncKeepsItEvenAfterADelete() throws IOException {
        store.putUnsynced("chunks/cd/cdef", new java.io.ByteArrayInputStream(HELLO), HELLO.length);
        store.putUnsynced("chunks/cd/gone", new java.io.ByteArrayInputStream(HELLO), HELLO.length);
        assertThat(store.getBytes("chunks/cd/cdef")).isEqualTo(HELLO);
        store.delete("chunks/cd/gone"); // gc may delete an object before the sync: that is no failure
        store.sync();
        store.sync();
        assertThat(store.getBytes("chunks/cd/cdef")).isEqualTo(HELLO);
        assertThat(store.exists("chunks/cd/gone")).isFalse();
    }

    @Test
    void emptyObjectIsStored() throws IOException {
        store.put("empty", new byte[0]);
        assertThat(store.exists("empty")).isTrue();
        assertThat(store.getBytes("empty")).isEmpty();
        assertThat(read(store.get("empty", 0, 10))).isEmpty();
    }

    @Test
    void rangedGetReturnsTheRequestedSlice() throws IOException {
        byte[] data = bytes(1000, 7);
        store.put("r/obj", data);
        assertThat(read(store.get("r/obj", 0, 10))).isEqualTo(Arrays.copyOfRange(data, 0, 10));
        assertThat(read(store.get("r/obj", 100, 250))).isEqualTo(Arrays.copyOfRange(data, 100, 350));
        assertThat(read(store.get("r/obj", 990, -1))).isEqualTo(Arrays.copyOfRange(data, 990, 1000));
        assertThat(read(store.get("r/obj", 990, 500))).isEqualTo(Arrays.copyOfRange(data, 990, 1000));
        assertThat(read(store.get("r/obj", 500, 0))).isEmpty();
        assertThat(read(store.get("r/obj", 1000, -1))).isEmpty();
        assertThat(read(store.get("r/obj", 5000, 10))).isEmpty();
        assertThatThrownBy(() -> store.get("r/obj", -1, 10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void missingKeyIsReportedAsNoSuchFile() throws IOException {
        assertThat(store.exists("chunks/00/missing")).isFalse();
        assertThatThrownBy(() -> store.get("chunks/00/missing", 0, -1)).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> store.get("chunks/00/missing", 5, 5)).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void listReturnsKeysWithThePrefixInOrder() throws IOException {
        for (String key : List.of("chunks/b2/b2xx", "chunks/a1/a1zz", "chunks/a1/a1aa", "chunks/a2/a2", "meta/x", "chunksy")) {
            store.put(key, HELLO);
        }
        assertThat(store.list("chunks/")).containsExactly("chunks/a1/a1aa", "chunks/a1/a1zz", "chunks/a2/a2", "chunks/b2/b2xx");
        assertThat(store.list("chunks/a")).containsExactly("chunks/a1/a1aa", "chunks/a1/a1zz", "chunks/a2/a2");
        assertThat(store.list("chunks/a1/a1z")).containsExactly("chunks/a1/a1zz");
        assertThat(store.list("chunks")).hasSize(5).endsWith("chunksy");
        assertThat(store.list("")).hasSize(6).isSorted();
        assertThat(store.list("nothing/")).isEmpty();
    }

    @Test
    void deleteRemovesTheObjectAndIgnoresMissingKeys() throws IOException {
        store.put("d/one", HELLO);
        store.put("d/two", HELLO);
        store.delete("d/one");
        store.delete("d/never-there");
        assertThat(store.exists("d/one")).isFalse();
        assertThat(store.list("d/")).containsExactly("d/two");
        assertThatThrownBy(() -> store.get("d/one", 0, -1)).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void putReplacesAnExistingObject() throws IOException {
        store.put("o/key", bytes(5000, 1));
        store.put("o/key", HELLO);
        assertThat(store.getBytes("o/key")).isEqualTo(HELLO);
        assertThat(store.list("o/")).containsExactly("o/key");
    }

    @Test
    void streamEndingEarlyStoresNothing() {
        assertThatThrownBy(() -> store.put("short/key", new ByteArrayInputStream(HELLO), HELLO.length + 1))
                .isInstanceOf(IOException.class);
        assertThat(existsQuietly("short/key")).isFalse();
    }

    @Test
    void largeObjectStreamsThroughPutAndGet() throws Exception {
        long size = 64L * 1024 * 1024 + 12345;
        MessageDigest written = sha256();
        store.put("big/object", new DigestInputStream(new GeneratedInputStream(size, 42), written), size);
        MessageDigest read = sha256();
        long count;
        try (InputStream in = new DigestInputStream(store.get("big/object", 0, -1), read)) {
            count = in.transferTo(OutputStream.nullOutputStream());
        }
        assertThat(count).isEqualTo(size);
        assertThat(HexFormat.of().formatHex(read.digest())).isEqualTo(HexFormat.of().formatHex(written.digest()));
        // A range across the part boundaries of multipart uploads comes back exact too.
        byte[] expected = new GeneratedInputStream(size, 42).readNBytes((int) (17L * 1024 * 1024));
        long offset = 16L * 1024 * 1024 - 1000;
        assertThat(read(store.get("big/object", offset, 2000)))
                .isEqualTo(Arrays.copyOfRange(expected, (int) offset, (int) offset + 2000));
    }

    @Test
    void concurrentPutsOfOneKeyLeaveOneWholeVersion() throws Exception {
        int writers = 6;
        int size = 256 * 1024;
        List<byte[]> versions = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            byte[] version = new byte[size];
            Arrays.fill(version, (byte) i);
            versions.add(version);
        }
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        AtomicBoolean writing = new AtomicBoolean(true);
        try {
            // A reader racing the writers must only ever see a whole version, never a prefix or a mix.
            Future<Integer> reader = pool.submit(() -> {
                int seen = 0;
                while (writing.get()) {
                    try {
                        assertWholeVersion(store.getBytes("same/key"), size);
                        seen++;
                    } catch (NoSuchFileException e) {
                        // not written yet
                    }
                }
                return seen;
            });
            List<Future<?>> puts = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (byte[] version : versions) {
                    puts.add(pool.submit(() -> {
                        store.put("same/key", version);
                        return null;
                    }));
                }
            }
            for (Future<?> put : puts) {
                put.get();
            }
            writing.set(false);
            reader.get();
        } finally {
            writing.set(false);
            pool.shutdownNow();
        }
        assertWholeVersion(store.getBytes("same/key"), size);
        assertThat(store.list("same/")).containsExactly("same/key");
    }

    @Test
    void badKeysAreRefused() {
        for (String key : List.of("", "../etc/passwd", "a/../b", "a/..", "/abs", "a\0b", "a\\b", "a//b", "dir/")) {
            assertThatThrownBy(() -> store.put(key, HELLO)).as(key).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.get(key, 0, -1)).as(key).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.exists(key)).as(key).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.delete(key)).as(key).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> store.list("../")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.put("neg", new ByteArrayInputStream(HELLO), -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private boolean existsQuietly(String key) {
        try {
            return store.exists(key);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertWholeVersion(byte[] data, int size) {
        assertThat(data).hasSize(size);
        for (byte b : data) {
            if (b != data[0]) {
                throw new AssertionError("read a mix of two versions");
            }
        }
    }

    private static byte[] read(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }

    private static byte[] bytes(int size, long seed) throws IOException {
        return new GeneratedInputStream(size, seed).readAllBytes();
    }

    private static MessageDigest sha256() throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256");
    }
}
