package io.sluice.pfs;

import io.sluice.SluiceException;
import io.sluice.storage.ObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Small files of a tar upload go into pack objects: what must hold for them on every store (one short
 * subclass per backend): they read back checked, dedup against packs only after a byte compare, gc keeps
 * every pack a commit or a write in progress names and deletes the rest, fsck and reads report a damaged
 * range naming exactly the files it holds.
 */
abstract class PackContract {
    @TempDir
    Path dir;
    ObjectStore store;
    PfsService pfs;

    /** A fresh, empty store of the backend under test. */
    protected abstract ObjectStore newStore() throws Exception;

    /** Every how many files a test reads back all of a tree: 1, every file, where reads are cheap. */
    protected int readStride() {
        return 1;
    }

    @BeforeEach
    void open() throws Exception {
        store = newStore();
        pfs = new PfsService(dir.resolve("data"), store);
    }

    @AfterEach
    void close() throws IOException {
        pfs.close();
        store.close();
    }

    /** {@code n} files of 1-10 KiB of random bytes, by path, in the order they go into the tar. */
    static Map<String, byte[]> files(long seed, int n) {
        Random random = new Random(seed);
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[1024 + random.nextInt(9 * 1024)];
            random.nextBytes(b);
            files.put("/d" + (i % 7) + "/f" + i, b);
        }
        return files;
    }

    static byte[] tar(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Tar.Writer w = new Tar.Writer(out);
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            w.file(f.getKey().substring(1), f.getValue().length, new ByteArrayInputStream(f.getValue()));
        }
        w.finish();
        return out.toByteArray();
    }

    private byte[] read(String repo, String ref, String path) throws IOException {
        try (InputStream in = pfs.getFile(repo, ref, path, 0, -1)) {
            return in.readAllBytes();
        }
    }

    private void assertAllRead(String repo, String ref, Map<String, byte[]> files) throws IOException {
        int i = 0;
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            if (i++ % readStride() == 0) {
                assertThat(read(repo, ref, f.getKey())).as(f.getKey()).isEqualTo(f.getValue());
            }
        }
    }

    private List<String> packs() throws IOException {
        return store.list("packs/");
    }

    /** Replaces the pack holding {@code c} by {@code change} applied to its bytes. */
    private void damage(FileManifest.Chunk c, java.util.function.UnaryOperator<byte[]> change) throws IOException {
        store.put(c.key(), change.apply(store.getBytes(c.key())));
    }

    @Test
    void smallFilesOfATarGoIntoAFewPacksReadBackAndAreStoredOnceEvenAfterARestart() throws Exception {
        pfs.createRepo("r", "");
        Map<String, byte[]> files = files(1, 1200); // ~6.6 MB: more than one pack
        files.put("/same-as-f0", files.get("/d0/f0").clone());
        files.put("/empty", new byte[0]);
        byte[] tar = tar(files);
        CommitInfo c = pfs.putTar("r", "master", "/", new ByteArrayInputStream(tar));

        assertThat(store.list("chunks/")).as("no object per small file").isEmpty();
        assertThat(packs()).hasSizeBetween(2, 4);
        assertAllRead("r", c.id(), files);
        FileManifest.Chunk f0 = pfs.chunks("r", "master", "/d0/f0").get(0);
        assertThat(f0.packed()).isTrue();
        assertThat(pfs.chunks("r", "master", "/same-as-f0")).containsExactly(f0);
        assertThat(pfs.fsck()).isEmpty();
        assertThat(pfs.gc()).isZero();

        // the same content hash as the same bytes stored loose: datum skipping and diffs cannot tell them apart
        pfs.putFile("r", "master", "/loose", new ByteArrayInputStream(files.get("/d0/f0")), false);
        assertThat(pfs.chunks("r", "master", "/loose").get(0).packed()).isFalse();
        assertThat(pfs.inspectFile("r", "master", "/loose").hash())
                .isEqualTo(pfs.inspectFile("r", "master", "/d0/f0").hash());

        // an append onto a packed file re-chunks its packed last chunk into a loose one, checked on the way
        byte[] tail = "and more".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        pfs.putFile("r", "master", "/d1/f1", new ByteArrayInputStream(tail), true);
        byte[] f1 = files.get("/d1/f1");
        byte[] appended = Arrays.copyOf(f1, f1.length + tail.length);
        System.arraycopy(tail, 0, appended, f1.length, tail.length);
        assertThat(read("r", "master", "/d1/f1")).isEqualTo(appended);

        long stored = pfs.storedBytes();
        List<String> before = packs();
        pfs.putTar("r", "master", "/again", new ByteArrayInputStream(tar));
        assertThat(packs()).as("stored files write no pack").isEqualTo(before);
        assertThat(pfs.storedBytes()).isEqualTo(stored);

        pfs.close();
        pfs = new PfsService(dir.resolve("data"), store);
        pfs.packsIndexed.get(60, TimeUnit.SECONDS);
        pfs.putTar("r", "master", "/after-restart", new ByteArrayInputStream(tar));
        assertThat(packs()).as("nor after a restart, once the index is refilled").isEqualTo(before);
        assertAllRead("r", "master", prefixed("/after-restart", files));
        assertThat(pfs.fsck()).isEmpty();
    }

    private static Map<String, byte[]> prefixed(String dir, Map<String, byte[]> files) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        files.forEach((p, b) -> out.put(dir + p, b));
        return out;
    }

    @Test
    void gcKeepsPacksThatAnOpenBatchOrAnyCommitNamesAndDeletesThoseNothingNames() throws Exception {
        pfs.createRepo("src", "");
        pfs.createRepo("dst", "");
        Map<String, byte[]> files = files(2, 1200);
        try (FileBatch b = pfs.openBatch("src", "master")) {
            b.putTar("/", new ByteArrayInputStream(tar(files)));
            assertThat(packs()).as("a full pack is written before the batch lands").isNotEmpty();
            assertThat(pfs.gc()).as("pinned by the batch").isZero();
            // the batch is dropped uncommitted (a cut-off upload): its packs are named by nothing
        }
        assertThat(pfs.gc()).isPositive();
        assertThat(packs()).isEmpty();

        pfs.putTar("src", "master", "/", new ByteArrayInputStream(tar(files)));
        CommitInfo landed;
        try (FileBatch b = pfs.openBatch("dst", "master")) {
            b.copy("src", "master", "/d1", "/d1");
            b.copy("src", "master", "/d2/f2", "/f2");
            pfs.deleteRepo("src");
            pfs.gc(); // nothing but this batch's pins keeps the copied files' packs now
            landed = b.commit();
        }
        assertThat(read("dst", landed.id(), "/f2")).isEqualTo(files.get("/d2/f2"));
        Map<String, byte[]> d1 = new LinkedHashMap<>();
        files.forEach((p, bytes) -> {
            if (p.startsWith("/d1/")) {
                d1.put(p, bytes);
            }
        });
        assertAllRead("dst", "master", d1);
        assertThat(pfs.gc()).as("every pack holds a live file: kept whole").isZero();
        assertThat(pfs.fsck()).isEmpty();
    }

    @Test
    void tarUploadsRacingGcNeverLoseAPackTheyLandOrFoundInPlace() throws Exception {
        pfs.createRepo("r", "");
        // a pack written, or found by the index, between a gc's mark and its sweep is pinned until that gc
        // ends, so a commit never names a pack gc deleted; every other upload puts the previous one's bytes
        // again, which dedup finds in the previous upload's pack
        CompletableFuture<Void> gcs = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 15; i++) {
                pfs.gc();
            }
        });
        int n = 0;
        while (!gcs.isDone() || n < 10) {
            pfs.putTar("r", "master", "/u" + n, new ByteArrayInputStream(tar(files(100 + n / 2, 20))));
            n++;
        }
        gcs.get(120, TimeUnit.SECONDS);
        for (int i = 0; i < n; i++) {
            assertAllRead("r", "master", prefixed("/u" + i, files(100 + i / 2, 20)));
        }
        assertThat(pfs.fsck()).isEmpty();
    }

    @Test
    void aDamagedTruncatedOrMissingPackFailsTheReadsOfExactlyTheFilesItsRangesHold() throws Exception {
        pfs.createRepo("r", "");
        Map<String, byte[]> files = files(3, 200); // one pack
        pfs.putTar("r", "master", "/", new ByteArrayInputStream(tar(files)));
        assertThat(packs()).hasSize(1);
        List<String> paths = List.copyOf(files.keySet());
        String hit = paths.get(100);
        FileManifest.Chunk c = pfs.chunks("r", "master", hit).get(0);
        byte[] good = store.getBytes(c.key());

        damage(c, b -> {
            byte[] d = b.clone();
            d[(int) c.offset() + 7] ^= 0x40;
            return d;
        });
        // a one-chunk file is checked before getFile returns, so the damage comes as UNAVAILABLE with that line
        assertThatThrownBy(() -> read("r", "master", hit)).isInstanceOf(SluiceException.class)
                .hasMessage("r@master:" + hit + ": chunk " + c.id() + " (1 of 1) is corrupt (CRC32C mismatch); fsck "
                        + "lists every damaged file, and putting the same bytes again repairs it");
        assertThat(read("r", "master", paths.get(99))).isEqualTo(files.get(paths.get(99)));
        assertThat(read("r", "master", paths.get(101))).isEqualTo(files.get(paths.get(101)));
        List<String> problems = pfs.fsck();
        assertThat(problems).hasSize(1);
        assertThat(problems.get(0)).contains(":" + hit + ": chunk " + c.id() + " corrupt (bytes " + c.offset() + "-"
                + (c.offset() + c.size()) + " of pack " + c.pack() + ")");

        // putting the same bytes again: the hint is checked, found damaged, and the file goes into a new pack
        pfs.putTar("r", "master", "/", new ByteArrayInputStream(tar(Map.of(hit, files.get(hit)))));
        assertThat(packs()).hasSize(2);
        assertThat(read("r", "master", hit)).isEqualTo(files.get(hit));

        store.put(c.key(), Arrays.copyOf(good, (int) c.offset() + 10));
        CommitInfo first = pfs.listCommit("r", "master", 10).get(1);
        assertThatThrownBy(() -> read("r", first.id(), hit)).hasMessageContaining("truncated (10 of " + c.size());
        assertThatThrownBy(() -> read("r", first.id(), paths.get(150))).hasMessageContaining("truncated (0 of");
        assertThat(read("r", first.id(), paths.get(5))).isEqualTo(files.get(paths.get(5)));
        assertThat(pfs.fsck()).anyMatch(p -> p.contains(paths.get(150) + ": chunk ") && p.contains(" truncated (0 of"));

        store.delete(c.key());
        assertThatThrownBy(() -> pfs.getFile("r", first.id(), paths.get(5), 0, -1))
                .isInstanceOfSatisfying(SluiceException.class,
                        e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.UNAVAILABLE))
                .hasMessageContaining("r@" + first.id() + ":" + paths.get(5) + ": chunk").hasMessageContaining("is missing");
        assertThat(pfs.fsck()).hasSize(files.size()).allMatch(p -> p.contains(" missing (bytes "));
    }

    /** A store that counts the ranged reads of packs made through it. */
    private static final class CountingStore implements ObjectStore {
        final ObjectStore inner;
        final java.util.concurrent.atomic.AtomicInteger packReads = new java.util.concurrent.atomic.AtomicInteger();

        CountingStore(ObjectStore inner) {
            this.inner = inner;
        }

        @Override
        public void put(String key, InputStream data, long length) throws IOException {
            inner.put(key, data, length);
        }

        @Override
        public void putUnsynced(String key, InputStream data, long length) throws IOException {
            inner.putUnsynced(key, data, length);
        }

        @Override
        public void sync() throws IOException {
            inner.sync();
        }

        @Override
        public InputStream get(String key, long offset, long length) throws IOException {
            if (key.startsWith("packs/")) {
                packReads.incrementAndGet();
            }
            return inner.get(key, offset, length);
        }

        @Override
        public boolean exists(String key) throws IOException {
            return inner.exists(key);
        }

        @Override
        public List<String> list(String prefix) throws IOException {
            return inner.list(prefix);
        }

        @Override
        public void delete(String key) throws IOException {
            inner.delete(key);
        }

        @Override
        public String uri() {
            return inner.uri();
        }
    }

    @Test
    void aRecursiveGetReadsEachPackInAFewWindowsAndStopsAtADamagedChunk() throws Exception {
        pfs.createRepo("r", "");
        Map<String, byte[]> files = files(5, 1200); // ~6.6 MB: two packs or so
        pfs.putTar("r", "master", "/", new ByteArrayInputStream(tar(files)));
        pfs.close();
        CountingStore counting = new CountingStore(store);
        pfs = new PfsService(dir.resolve("data"), counting);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        pfs.getTree("r", "master", "/", new Tar.Writer(out));
        Map<String, byte[]> got = new LinkedHashMap<>();
        Tar.Reader in = new Tar.Reader(new ByteArrayInputStream(out.toByteArray()));
        for (Tar.Entry e; (e = in.next()) != null; ) {
            got.put("/" + e.path(), in.data().readAllBytes());
        }
        assertThat(got.keySet()).containsExactlyInAnyOrderElementsOf(files.keySet());
        files.forEach((p, b) -> assertThat(got.get(p)).as(p).isEqualTo(b));
        // 1,200 files in tree order across packs written in tar order: a window re-read per jump between
        // the directories' runs, never one read per file
        assertThat(counting.packReads.get()).isLessThan(files.size() / 4);

        String hit = List.copyOf(files.keySet()).get(600);
        FileManifest.Chunk c = pfs.chunks("r", "master", hit).get(0);
        damage(c, b -> {
            byte[] d = b.clone();
            d[(int) c.offset() + 3] ^= 0x01;
            return d;
        });
        ByteArrayOutputStream cut = new ByteArrayOutputStream();
        assertThatThrownBy(() -> pfs.getTree("r", "master", "/", new Tar.Writer(cut)))
                .hasMessageContaining("r@master:" + hit + ": chunk " + c.id()).hasMessageContaining("corrupt");
    }
}
