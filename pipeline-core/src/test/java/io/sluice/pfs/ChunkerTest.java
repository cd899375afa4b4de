package io.sluice.pfs;

import io.sluice.storage.MemObjectStore;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChunkerTest {

    /** Small sizes keep the test fast while exercising the same code paths as the defaults. */
    private final Chunker chunker = new Chunker(2 * 1024, 8 * 1024, 32 * 1024);

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private List<FileManifest.Chunk> chunk(MemObjectStore store, byte[] data, AtomicLong stored) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            return new ChunkWriter(chunker, store, pool, stored, new ByteBudget(4L * chunker.max(), Duration.ofSeconds(5)))
                    .write(new ByteArrayInputStream(data), new ChunkPins().holder());
        } finally {
            pool.shutdown();
        }
    }

    private static Set<String> ids(List<FileManifest.Chunk> chunks) {
        Set<String> ids = new HashSet<>();
        chunks.forEach(c -> ids.add(c.id()));
        return ids;
    }

    @Test
    void buffersGrowAsBytesArriveAndGiveTheirMemoryBack() throws IOException {
        Chunker big = new Chunker();
        ByteBudget budget = new ByteBudget(4L * big.max(), Duration.ofMillis(200));
        byte[] data = random(3, 3 * big.max() + 12345);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            // a stream that hands out a few KiB per read, as a slow network body does
            InputStream dribble = new java.io.FilterInputStream(new ByteArrayInputStream(data)) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return super.read(b, off, Math.min(len, 4096));
                }
            };
            List<FileManifest.Chunk> chunks = new ChunkWriter(big, new MemObjectStore(), pool, new AtomicLong(), budget)
                    .write(dribble, new ChunkPins().holder());
            assertThat(chunks.stream().mapToLong(FileManifest.Chunk::size).sum()).isEqualTo(data.length);
            assertThat(chunks).isEqualTo(new ChunkWriter(big, new MemObjectStore(), pool, new AtomicLong(), budget)
                    .write(new ByteArrayInputStream(data), new ChunkPins().holder()));
            budget.acquire(4L * big.max()); // all of it is back
            budget.release(4L * big.max());
            budget.acquire(4L * big.max() - 1000);
            assertThatThrownBy(() -> new ChunkWriter(big, new MemObjectStore(), pool, new AtomicLong(), budget)
                    .write(new ByteArrayInputStream(data), new ChunkPins().holder())).hasMessageContaining("upload buffer memory");
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void sizesStayInBoundsAndAverageNearTheTarget() throws IOException {
        byte[] data = random(1, 4 * 1024 * 1024);
        List<FileManifest.Chunk> chunks = chunk(new MemObjectStore(), data, new AtomicLong());
        for (int i = 0; i < chunks.size() - 1; i++) {
            assertThat(chunks.get(i).size()).isBetween(2L * 1024, 32L * 1024);
        }
        assertThat(chunks.stream().mapToLong(FileManifest.Chunk::size).sum()).isEqualTo(data.length);
        double avg = (double) data.length / chunks.size();
        assertThat(avg).isBetween(8 * 1024 * 0.6, 8 * 1024 * 1.6);
    }

    @Test
    void defaultSizesAverageAboutOneMebibyte() {
        Chunker big = new Chunker();
        byte[] data = random(7, 24 * 1024 * 1024);
        List<Integer> sizes = new ArrayList<>();
        for (int off = 0; off < data.length; ) {
            int n = big.cut(data, off, data.length - off);
            sizes.add(n);
            off += n;
        }
        for (int i = 0; i < sizes.size() - 1; i++) {
            assertThat(sizes.get(i)).isBetween(Chunker.DEFAULT_MIN, Chunker.DEFAULT_MAX);
        }
        assertThat((double) data.length / sizes.size()).isBetween(0.7 * (1 << 20), 1.6 * (1 << 20));
    }

    @Test
    void boundariesSurviveAPrefixInsertionAndAnAppend() throws IOException {
        byte[] data = random(2, 1024 * 1024);
        List<FileManifest.Chunk> base = chunk(new MemObjectStore(), data, new AtomicLong());

        byte[] inserted = new byte[data.length + 100];
        System.arraycopy(random(3, 100), 0, inserted, 0, 100);
        System.arraycopy(data, 0, inserted, 100, data.length);
        Set<String> shifted = ids(chunk(new MemObjectStore(), inserted, new AtomicLong()));
        Set<String> common = ids(base);
        common.retainAll(shifted);
        // only the chunk(s) around the insertion differ
        assertThat(common.size()).isGreaterThanOrEqualTo(base.size() - 2);

        byte[] appended = new byte[data.length + 5000];
        System.arraycopy(data, 0, appended, 0, data.length);
        System.arraycopy(random(4, 5000), 0, appended, data.length, 5000);
        List<FileManifest.Chunk> grown = chunk(new MemObjectStore(), appended, new AtomicLong());
        assertThat(grown.subList(0, base.size() - 1)).isEqualTo(base.subList(0, base.size() - 1));
    }

    @Test
    void identicalBytesAreStoredOnce() throws IOException {
        MemObjectStore store = new MemObjectStore();
        AtomicLong stored = new AtomicLong();
        byte[] data = random(5, 300 * 1024);
        List<FileManifest.Chunk> first = chunk(store, data, stored);
        long afterFirst = stored.get();
        assertThat(afterFirst).isEqualTo(data.length);
        long total = 0;
        for (String key : store.list("chunks/")) {
            total += store.getBytes(key).length;
        }
        assertThat(total).isEqualTo(data.length);
        List<FileManifest.Chunk> second = chunk(store, data, stored);
        assertThat(second).isEqualTo(first);
        assertThat(stored.get()).isEqualTo(afterFirst);
        assertThat(FileManifest.of(second).hash()).isEqualTo(FileManifest.of(first).hash());
        for (FileManifest.Chunk c : first) {
            assertThat(store.exists(c.key())).isTrue();
        }
    }

    @Test
    void emptyAndTinyStreams() throws IOException {
        assertThat(chunk(new MemObjectStore(), new byte[0], new AtomicLong())).isEmpty();
        List<FileManifest.Chunk> one = chunk(new MemObjectStore(), new byte[] {42}, new AtomicLong());
        assertThat(one).hasSize(1);
        assertThat(one.get(0).size()).isEqualTo(1);
    }

    @Test
    void manifestJsonRoundTrips() throws IOException {
        FileManifest m = FileManifest.of(List.of(new FileManifest.Chunk("ab".repeat(32), 10),
                new FileManifest.Chunk("cd".repeat(32), 20)));
        FileManifest back = FileManifest.parse(new com.fasterxml.jackson.core.JsonFactory(), m.toJson());
        assertThat(back).isEqualTo(m);
        assertThat(back.size()).isEqualTo(30);
        assertThat(m.chunks().get(0).key()).isEqualTo("chunks/ab/" + "ab".repeat(32));
    }
}
