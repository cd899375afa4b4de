package io.sluice.pfs;

import io.sluice.SluiceException;
import io.sluice.storage.FileObjectStore;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a store must never do: destroy a readable commit, confuse an id with a branch, serve damaged bytes. */
class StoreIntegrityTest {
    private static final Chunker SMALL = new Chunker(2 * 1024, 8 * 1024, 32 * 1024);

    @TempDir
    Path dir;
    FileObjectStore store;
    PfsService pfs;

    @BeforeEach
    void open() {
        store = new FileObjectStore(dir.resolve("chunks"));
        pfs = new PfsService(dir.resolve("data"), store, SMALL);
    }

    @AfterEach
    void close() {
        pfs.close();
    }

    private void reopen() {
        pfs.close();
        pfs = new PfsService(dir.resolve("data"), store, SMALL);
    }

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private byte[] read(String repo, String ref, String path) throws IOException {
        try (InputStream in = pfs.getFile(repo, ref, path, 0, -1)) {
            return in.readAllBytes();
        }
    }

    private Path chunkFile(FileManifest.Chunk c) {
        return dir.resolve("chunks").resolve(c.key());
    }

    // ---- item 2: moving a branch keeps what it leaves behind

    @Test
    void aBranchMovedBackKeepsItsOldHeadReadableByIdThroughGcAndARestart() throws IOException {
        pfs.createRepo("r", "");
        byte[] one = random(1, 20_000);
        byte[] two = random(2, 20_000);
        CommitInfo v1 = pfs.putFile("r", "master", "/f", new ByteArrayInputStream(one), false);
        CommitInfo v2 = pfs.putFile("r", "master", "/f", new ByteArrayInputStream(two), false);
        pfs.createBranch("r", "master", v1.id());
        pfs.gc();
        reopen();
        assertThat(pfs.inspectCommit("r", "master").id()).isEqualTo(v1.id());
        assertThat(read("r", v2.id(), "/f")).isEqualTo(two);
        assertThat(read("r", "master", "/f")).isEqualTo(one);
        assertThat(pfs.listCommit("r", null, 0)).extracting(CommitInfo::id).contains(v1.id(), v2.id());
        assertThat(pfs.fsck()).isEmpty();
        // moving forward again leaves nothing behind to keep, and nothing is lost either
        pfs.createBranch("r", "master", v2.id());
        assertThat(pfs.gc()).isZero();
        assertThat(read("r", "master^1", "/f")).isEqualTo(one);
    }

    // ---- item 3: ids and branch names are never confused

    @Test
    void aBranchNamedLikeACommitIdIsRefusedEverywhereABranchIsMade() {
        pfs.createRepo("r", "");
        CommitInfo c = pfs.putFile("r", "master", "/f", new ByteArrayInputStream(random(3, 100)), false);
        String id = c.id();
        for (Runnable make : List.<Runnable>of(
                () -> pfs.createBranch("r", id, "master"),
                () -> pfs.createBranch("r", id, null),
                () -> pfs.startCommit("r", id, "", List.of()),
                () -> pfs.putFile("r", id, "/g", new ByteArrayInputStream(new byte[1]), false))) {
            assertThatThrownBy(make::run).isInstanceOfSatisfying(SluiceException.class,
                    e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.INVALID)).hasMessageContaining("commit id");
        }
        assertThat(pfs.listBranch("r")).extracting(BranchInfo::name).containsExactly("master");
        assertThat(Ref.checkBranchName("a".repeat(31))).isEqualTo("a".repeat(31));
    }

    @Test
    void aCommitIdWinsOverABranchOfTheSameSpellingLeftByAnOlderDataDir() throws IOException {
        pfs.createRepo("r", "");
        byte[] one = "one".getBytes(StandardCharsets.UTF_8);
        byte[] two = "two".getBytes(StandardCharsets.UTF_8);
        CommitInfo first = pfs.putFile("r", "master", "/f", new ByteArrayInputStream(one), false);
        CommitInfo second = pfs.putFile("r", "master", "/f", new ByteArrayInputStream(two), false);
        pfs.close();
        // what an older Sluice let a user make: a branch spelled like the second commit, pointing at the first
        try (FileRepository git = (FileRepository) new FileRepositoryBuilder()
                .setGitDir(dir.resolve("data/pfs/r.git").toFile()).setBare().build()) {
            ObjectId firstCommit = git.exactRef("refs/heads/master").getObjectId();
            firstCommit = git.parseCommit(firstCommit).getParent(0).getId();
            RefUpdate u = git.updateRef("refs/heads/" + second.id());
            u.setNewObjectId(firstCommit);
            assertThat(u.update()).isEqualTo(RefUpdate.Result.NEW);
        }
        pfs = new PfsService(dir.resolve("data"), store, SMALL);
        assertThat(read("r", second.id(), "/f")).isEqualTo(two);
        assertThat(pfs.inspectCommit("r", second.id()).id()).isEqualTo(second.id());
        assertThat(read("r", first.id(), "/f")).isEqualTo(one);
        pfs.deleteBranch("r", second.id()); // and the user can get rid of it
        assertThat(pfs.listBranch("r")).extracting(BranchInfo::name).containsExactly("master");
    }

    // ---- item 4: damaged chunks are never served

    @Test
    void aFlippedByteATruncatedOrAMissingChunkFailsTheReadNamingFileAndChunk() throws IOException {
        pfs.createRepo("r", "");
        byte[] bytes = random(4, 100_000);
        pfs.putFile("r", "master", "/big", new ByteArrayInputStream(bytes), false);
        List<FileManifest.Chunk> chunks = pfs.chunks("r", "master", "/big");
        assertThat(chunks.size()).isGreaterThan(3);
        assertThat(chunks).allMatch(c -> c.crc() != FileManifest.NO_CRC);
        FileManifest.Chunk first = chunks.get(0);
        FileManifest.Chunk third = chunks.get(2);

        byte[] good = Files.readAllBytes(chunkFile(third));
        byte[] flipped = good.clone();
        flipped[flipped.length / 2] ^= 0x10;
        Files.write(chunkFile(third), flipped);
        // the first chunk is fine, so the read starts; it stops before a single byte of the third is handed out
        try (InputStream in = pfs.getFile("r", "master", "/big", 0, -1)) {
            byte[] buf = new byte[(int) (first.size() + chunks.get(1).size())];
            assertThat(in.readNBytes(buf, 0, buf.length)).isEqualTo(buf.length);
            assertThatThrownBy(in::read).isInstanceOf(ChunkStream.DamagedChunkException.class)
                    .hasMessageContaining("r@master:/big: chunk " + third.id() + " (3 of " + chunks.size() + ") is corrupt");
        }
        Files.write(chunkFile(third), java.util.Arrays.copyOf(good, good.length - 1));
        assertThatThrownBy(() -> read("r", "master", "/big")).hasMessageContaining(third.id() + " (3 of")
                .hasMessageContaining("truncated");
        Files.write(chunkFile(third), good);
        assertThat(read("r", "master", "/big")).isEqualTo(bytes);

        // damage in the first chunk is found before getFile returns (before an HTTP answer commits to 200)
        Files.delete(chunkFile(first));
        assertThatThrownBy(() -> pfs.getFile("r", "master", "/big", 0, -1))
                .isInstanceOfSatisfying(SluiceException.class,
                        e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.UNAVAILABLE))
                .hasMessageContaining("r@master:/big: chunk " + first.id() + " (1 of").hasMessageContaining("missing");
        // a range read checks the chunk it starts in
        assertThatThrownBy(() -> pfs.getFile("r", "master", "/big", first.size() - 1, 2))
                .hasMessageContaining(first.id());
        try (InputStream in = pfs.getFile("r", "master", "/big", first.size(), 10)) {
            assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(bytes, (int) first.size(),
                    (int) first.size() + 10));
        }
        assertThat(pfs.fsck()).anyMatch(p -> p.contains(first.id() + " missing"));
    }

    @Test
    void puttingTheSameBytesAgainRepairsADamagedChunk() throws IOException {
        pfs.createRepo("r", "");
        byte[] bytes = random(5, 50_000);
        CommitInfo c = pfs.putFile("r", "master", "/f", new ByteArrayInputStream(bytes), false);
        List<FileManifest.Chunk> chunks = pfs.chunks("r", "master", "/f");
        FileManifest.Chunk second = chunks.get(1);
        byte[] damaged = Files.readAllBytes(chunkFile(second));
        damaged[0] ^= 1;
        Files.write(chunkFile(second), damaged);
        Files.delete(chunkFile(chunks.get(2)));
        assertThat(pfs.fsck()).hasSize(2);

        pfs.putFile("r", "master", "/again", new ByteArrayInputStream(bytes), false);
        assertThat(read("r", c.id(), "/f")).isEqualTo(bytes);
        assertThat(pfs.fsck()).isEmpty();
    }

    @Test
    void anAppendDoesNotCarryTheDamageOfTheChunkItExtends() throws IOException {
        pfs.createRepo("r", "");
        pfs.putFile("r", "master", "/log", new ByteArrayInputStream(random(6, 1000)), false);
        FileManifest.Chunk only = pfs.chunks("r", "master", "/log").get(0);
        byte[] damaged = Files.readAllBytes(chunkFile(only));
        damaged[10] ^= 1;
        Files.write(chunkFile(only), damaged);
        assertThatThrownBy(() -> pfs.putFile("r", "master", "/log", new ByteArrayInputStream(new byte[10]), true))
                .hasMessageContaining(only.id()).hasMessageContaining("corrupt");
        assertThat(pfs.listCommit("r", "master", 0)).hasSize(1);
    }

    @Test
    void manifestsWithoutChecksumsStillReadAndAreCheckedAgainstTheChunkId() throws IOException {
        byte[] bytes = random(7, 5000);
        java.security.MessageDigest md = FileManifest.sha256();
        String id = java.util.HexFormat.of().formatHex(md.digest(bytes));
        String old = "{\"size\":5000,\"hash\":\"x\",\"chunks\":[[\"" + id + "\",5000]]}";
        FileManifest m = FileManifest.parse(new com.fasterxml.jackson.core.JsonFactory(),
                old.getBytes(StandardCharsets.US_ASCII));
        assertThat(m.chunks()).containsExactly(new FileManifest.Chunk(id, 5000, FileManifest.NO_CRC));
        assertThat(new String(m.toJson(), StandardCharsets.US_ASCII)).isEqualTo(old);
        store.put(FileManifest.chunkKey(id), bytes);
        try (InputStream in = new ChunkStream(store, m.chunks(), 0, -1, "old:/f")) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
        bytes[1] ^= 1;
        store.put(FileManifest.chunkKey(id), bytes);
        assertThatThrownBy(() -> new ChunkStream(store, m.chunks(), 0, -1, "old:/f").readAllBytes())
                .isInstanceOf(ChunkStream.DamagedChunkException.class).hasMessageContaining("old:/f: chunk " + id);
    }

    // ---- item 7: gc neither waits for a slow upload nor deletes what it will reference

    /** A body that sends {@code head} bytes, then waits until released, then sends {@code tail}. */
    private static final class SlowBody extends io.sluice.BlockInputStream {
        private final byte[] bytes;
        private final int pause;
        private final CountDownLatch paused = new CountDownLatch(1);
        private final CountDownLatch resume = new CountDownLatch(1);
        private int at;

        SlowBody(byte[] bytes, int pause) {
            this.bytes = bytes;
            this.pause = pause;
        }


        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (at == pause) {
                paused.countDown();
                try {
                    resume.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            }
            if (at >= bytes.length) {
                return -1;
            }
            int n = Math.min(len, (at < pause ? pause : bytes.length) - at);
            System.arraycopy(bytes, at, b, off, n);
            at += n;
            return n;
        }
    }

    @Test
    void gcAndFsckRunWhileAnUploadStallsAndLeaveItsChunksAlone() throws Exception {
        pfs.createRepo("r", "");
        byte[] slow = random(8, 300_000);
        // the stalled upload's first chunks are already stored: an unreferenced chunk that gc must keep
        pfs.putFile("r", "master", "/old", new ByteArrayInputStream(random(9, 1000)), false);
        SlowBody body = new SlowBody(slow, 200_000);
        CompletableFuture<CommitInfo> upload = CompletableFuture.supplyAsync(
                () -> pfs.putFile("r", "master", "/slow", body, false));
        try {
            assertThat(body.paused.await(30, TimeUnit.SECONDS)).isTrue();
            long stored = Files.walk(dir.resolve("chunks")).filter(Files::isRegularFile).count();
            CompletableFuture<Long> gc = CompletableFuture.supplyAsync(pfs::gc);
            assertThat(gc.get(60, TimeUnit.SECONDS)).as("gc does not wait for the upload").isZero();
            CompletableFuture<List<String>> fsck = CompletableFuture.supplyAsync(pfs::fsck);
            assertThat(fsck.get(60, TimeUnit.SECONDS)).isEmpty();
            CompletableFuture<CommitInfo> put = CompletableFuture.supplyAsync(
                    () -> pfs.putFile("r", "master", "/quick", new ByteArrayInputStream(random(10, 1000)), false));
            assertThat(put.get(60, TimeUnit.SECONDS).finished()).isNotNull();
            assertThat(Files.walk(dir.resolve("chunks")).filter(Files::isRegularFile).count())
                    .isGreaterThanOrEqualTo(stored);
        } finally {
            body.resume.countDown();
        }
        upload.get(60, TimeUnit.SECONDS);
        assertThat(read("r", "master", "/slow")).isEqualTo(slow);
        assertThat(pfs.gc()).isZero();
        assertThat(pfs.fsck()).isEmpty();
    }

    @Test
    void aWriteThatCommitsWhileGcRunsKeepsItsChunks() throws Exception {
        pfs.createRepo("r", "");
        // many rounds of gc racing puts of fresh bytes: a chunk that lands between gc's mark and its sweep
        // is pinned until that gc ends, so none is ever lost
        CompletableFuture<Void> gcs = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 40; i++) {
                pfs.gc();
            }
        });
        int n = 0;
        while (!gcs.isDone() || n < 20) {
            pfs.putFile("r", "master", "/f" + n, new ByteArrayInputStream(random(100 + n, 20_000)), false);
            n++;
        }
        gcs.get(120, TimeUnit.SECONDS);
        for (int i = 0; i < n; i++) {
            assertThat(read("r", "master", "/f" + i)).isEqualTo(random(100 + i, 20_000));
        }
        assertThat(pfs.fsck()).isEmpty();
    }

    // ---- a copy pins what it references

    @Test
    void aCopyWhoseSourceIsDeletedAndCollectedBeforeItLandsStillHasEveryChunk() throws IOException {
        pfs.createRepo("src", "");
        pfs.createRepo("dst", "");
        byte[] big = random(11, 100_000);
        byte[] small = random(12, 5_000);
        pfs.putFile("src", "master", "/f", new ByteArrayInputStream(big), false);
        pfs.putFile("src", "master", "/dir/a", new ByteArrayInputStream(small), false);
        CommitInfo landed;
        try (FileBatch b = pfs.openBatch("dst", "master")) {
            b.copy("src", "master", "/f", "/f");
            b.copy("src", "master", "/dir", "/dir");
            pfs.deleteRepo("src");
            pfs.gc(); // nothing but this batch references the source's chunks now
            landed = b.commit();
        }
        assertThat(read("dst", landed.id(), "/f")).isEqualTo(big);
        assertThat(read("dst", "master", "/dir/a")).isEqualTo(small);
        assertThat(pfs.gc()).as("the copy's chunks are now reached from dst").isZero();
        assertThat(pfs.fsck()).isEmpty();
    }

    @Test
    void copiesRacingASourceDeleteAndGcAreEitherRefusedOrComplete() throws Exception {
        pfs.createRepo("dst", "");
        CountDownLatch stop = new CountDownLatch(1);
        CompletableFuture<Void> collector = CompletableFuture.runAsync(() -> {
            while (stop.getCount() > 0) {
                pfs.gc();
            }
        });
        try {
            for (int i = 0; i < 15; i++) { // today's main lost a copy within the first few
                byte[] bytes = random(100 + i, 40_000);
                pfs.createRepo("src" + i, "");
                pfs.putFile("src" + i, "master", "/f", new ByteArrayInputStream(bytes), false);
                String name = "src" + i;
                CompletableFuture<Void> delete = CompletableFuture.runAsync(() -> pfs.deleteRepo(name));
                CommitInfo c = null;
                try {
                    c = pfs.copyFile(name, "master", "/f", "dst", "master", "/c" + i);
                } catch (SluiceException refused) {
                    assertThat(refused.getMessage()).as("copy %d", i).contains(name);
                }
                if (c != null) {
                    // acknowledged: its bytes are all there, whatever gc did meanwhile
                    assertThat(read("dst", c.id(), "/c" + i)).as("copy %d", i).isEqualTo(bytes);
                }
                delete.get(60, TimeUnit.SECONDS);
            }
        } finally {
            stop.countDown();
            collector.get(60, TimeUnit.SECONDS);
        }
        assertThat(pfs.fsck()).isEmpty();
    }
}
