package io.sluice.pfs;

import io.sluice.SluiceException;
import io.sluice.storage.MemObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PfsServiceTest {

    @TempDir
    Path dir;
    MemObjectStore store;
    PfsService pfs;

    @BeforeEach
    void open() {
        store = new MemObjectStore();
        pfs = reopen();
    }

    @AfterEach
    void close() {
        pfs.close();
    }

    private PfsService reopen() {
        return new PfsService(dir, store, new Chunker(2 * 1024, 8 * 1024, 32 * 1024));
    }

    private static InputStream text(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private String read(String repo, String ref, String path) throws IOException {
        try (InputStream in = pfs.getFile(repo, ref, path, 0, -1)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> newestFirst(List<String> ids) {
        List<String> copy = new ArrayList<>(ids);
        java.util.Collections.reverse(copy);
        return copy;
    }

    private static void assertKind(Runnable call, SluiceException.Kind kind, String message) {
        assertThatThrownBy(call::run)
                .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.kind()).isEqualTo(kind))
                .hasMessageContaining(message);
    }

    @Test
    void reposAreCreatedListedInspectedAndDeleted() {
        RepoInfo created = pfs.createRepo("training", "ratings");
        assertThat(created.name()).isEqualTo("training");
        assertThat(created.description()).isEqualTo("ratings");
        assertThat(created.branches()).isEmpty();
        pfs.createRepo("streaming", "");
        assertThat(pfs.listRepos()).extracting(RepoInfo::name).containsExactly("streaming", "training");
        assertKind(() -> pfs.createRepo("training", ""), SluiceException.Kind.CONFLICT, "already exists");
        assertKind(() -> pfs.createRepo("bad name", ""), SluiceException.Kind.INVALID, "invalid repo name");
        assertKind(() -> pfs.inspectRepo("nope"), SluiceException.Kind.NOT_FOUND, "no repo 'nope'");
        pfs.putFile("training", "master", "/a.txt", text("hello"), false);
        assertThat(pfs.inspectRepo("training").sizeBytes()).isEqualTo(5);
        assertThat(pfs.inspectRepo("training").branches()).containsExactly("master");
        pfs.deleteRepo("training");
        assertThat(pfs.listRepos()).extracting(RepoInfo::name).containsExactly("streaming");
        assertThat(dir.resolve("pfs/training.git")).doesNotExist();
    }

    @Test
    void projectsHoldReposOfTheirOwnAndOutliveARestart() throws IOException {
        assertThat(pfs.listProjects()).extracting(ProjectInfo::name).containsExactly("default");
        pfs.createProject("ml", "models");
        assertKind(() -> pfs.createProject("ml", ""), SluiceException.Kind.CONFLICT, "already exists");
        assertKind(() -> pfs.createProject("default", ""), SluiceException.Kind.CONFLICT, "already exists");
        assertKind(() -> pfs.createProject("a.b", ""), SluiceException.Kind.INVALID, "invalid project name");
        assertKind(() -> pfs.createRepo("nope/x", ""), SluiceException.Kind.NOT_FOUND, "no project 'nope'");
        pfs.createRepo("data", "");
        RepoInfo ml = pfs.createRepo("ml/data", "");
        assertThat(ml.name()).isEqualTo("data");
        assertThat(ml.project()).isEqualTo("ml");
        assertThat(ml.qualified()).isEqualTo("ml/data");
        pfs.putFile("data", "master", "/f", text("default"), false);
        pfs.putFile("ml/data", "master", "/f", text("ml"), false);
        assertKind(() -> pfs.deleteProject("ml"), SluiceException.Kind.CONFLICT, "still holds repo 'ml/data'");
        assertKind(() -> pfs.deleteProject("default"), SluiceException.Kind.CONFLICT, "cannot be deleted");

        pfs.close();
        pfs = reopen();
        assertThat(pfs.inspectProject("ml").description()).isEqualTo("models");
        assertThat(read("data", "master", "/f")).isEqualTo("default");
        assertThat(read("ml/data", "master", "/f")).isEqualTo("ml");
        assertThat(pfs.listRepos("ml")).extracting(RepoInfo::name).containsExactly("data");
        assertThat(pfs.listRepos("default")).extracting(RepoInfo::qualified).containsExactly("data");
        // the default project's repos stay where they always were
        assertThat(dir.resolve("pfs/data.git")).isDirectory();
        pfs.deleteRepo("ml/data");
        pfs.deleteProject("ml");
        assertKind(() -> pfs.inspectProject("ml"), SluiceException.Kind.NOT_FOUND, "no project 'ml'");
        pfs.close();
        pfs = reopen();
        assertThat(pfs.listProjects()).extracting(ProjectInfo::name).containsExactly("default");
        assertThat(read("data", "master", "/f")).isEqualTo("default");
    }

    @Test
    void aDamagedProjectRecordIsReportedInWordsNotInJava() throws IOException {
        pfs.close();
        Files.createDirectories(dir.resolve("pfs/projects"));
        Files.writeString(dir.resolve("pfs/projects/empty.json"), "{}");
        Files.writeString(dir.resolve("pfs/projects/cut.json"), "{\"name\": \"cut\"}");
        pfs = reopen();
        assertThat(pfs.listProjects()).extracting(ProjectInfo::name).containsExactly("default");
        List<String> problems = pfs.damaged();
        assertThat(problems).hasSize(2).allSatisfy(p -> assertThat(p).contains("is damaged")
                .doesNotContain("Cannot invoke", "com.fasterxml", "null"));
        assertThat(problems).anyMatch(p -> p.contains("cut.json") && p.contains("'created'"));
    }

    @Test
    void aRecordOrARepoDirectoryWhoseNameNoRouteReachesIsLeftOutAndReported() throws IOException {
        pfs.createRepo("kept", "");
        pfs.close();
        Files.createDirectories(dir.resolve("pfs/projects"));
        Files.writeString(dir.resolve("pfs/projects/alias.json"), "{\"name\": \"other\", \"created\": \"2026-12-01T00:00:00Z\"}");
        org.apache.commons.io.FileUtils.copyDirectory(dir.resolve("pfs/kept.git").toFile(), dir.resolve("pfs/a.b.c.git").toFile());
        org.apache.commons.io.FileUtils.copyDirectory(dir.resolve("pfs/kept.git").toFile(), dir.resolve("pfs/default.kept.git").toFile());
        pfs = reopen();
        assertThat(pfs.listProjects()).extracting(ProjectInfo::name).containsExactly("default");
        assertThat(pfs.listRepos()).extracting(RepoInfo::name).containsExactly("kept");
        List<String> problems = pfs.damaged();
        assertThat(problems).hasSize(3);
        assertThat(problems).anyMatch(p -> p.contains("alias.json") && p.contains("names project 'other', not 'alias'"));
        assertThat(problems).anyMatch(p -> p.contains("pfs/a.b.c.git is not a repo Sluice made"));
        assertThat(problems).anyMatch(p -> p.contains("pfs/default.kept.git is not a repo Sluice made"));
    }

    @Test
    void filesRoundTripAndAreListedInspectedAndRangeRead() throws IOException {
        pfs.createRepo("r", "");
        byte[] big = random(1, 200_000);
        CommitInfo c1 = pfs.putFile("r", "master", "/data/big.bin", new ByteArrayInputStream(big), false);
        assertThat(c1.isFinished()).isTrue();
        assertThat(c1.id()).matches("[0-9a-f]{32}");
        pfs.putFile("r", "master", "/data/small.txt", text("abc"), false);
        pfs.putFile("r", "master", "top.txt", text("top"), false);

        try (InputStream in = pfs.getFile("r", "master", "/data/big.bin", 0, -1)) {
            assertThat(in.readAllBytes()).isEqualTo(big);
        }
        try (InputStream in = pfs.getFile("r", "master", "/data/big.bin", 70_000, 50_000)) {
            byte[] want = new byte[50_000];
            System.arraycopy(big, 70_000, want, 0, want.length);
            assertThat(in.readAllBytes()).isEqualTo(want);
        }
        FileInfo f = pfs.inspectFile("r", "master", "/data/big.bin");
        assertThat(f.type()).isEqualTo(FileInfo.Type.FILE);
        assertThat(f.size()).isEqualTo(200_000);
        assertThat(f.hash()).matches("[0-9a-f]{64}");
        assertThat(pfs.listFile("r", "master", "/")).extracting(FileInfo::path, FileInfo::type, FileInfo::size)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("/data", FileInfo.Type.DIR, 200_003L),
                        org.assertj.core.groups.Tuple.tuple("/top.txt", FileInfo.Type.FILE, 3L));
        assertThat(pfs.listFile("r", "master", "/data")).extracting(FileInfo::path)
                .containsExactly("/data/big.bin", "/data/small.txt");
        assertThat(pfs.inspectFile("r", "master", "/").size()).isEqualTo(200_006);
        assertThat(pfs.inspectCommit("r", "master").sizeBytes()).isEqualTo(200_006);
        assertThat(pfs.globFile("r", "master", "/data/*.txt")).extracting(FileInfo::path)
                .containsExactly("/data/small.txt");
        assertThat(pfs.globFile("r", "master", "/*")).extracting(FileInfo::path).containsExactly("/data", "/top.txt");
        assertThat(pfs.globFile("r", "master", "/**")).hasSize(4);

        assertKind(() -> pfs.getFile("r", "master", "/nope", 0, -1), SluiceException.Kind.NOT_FOUND, "/nope");
        assertKind(() -> pfs.getFile("r", "master", "/data", 0, -1), SluiceException.Kind.INVALID, "directory");
        assertKind(() -> pfs.getFile("r", "master", "/top.txt", 4, -1), SluiceException.Kind.INVALID, "outside");
        assertKind(() -> pfs.putFile("r", "master", "/top.txt/x", text("x"), false),
                SluiceException.Kind.INVALID, "it is a file");
        assertKind(() -> pfs.putFile("r", "master", "/data", text("x"), false),
                SluiceException.Kind.INVALID, "it is a directory");
        assertKind(() -> pfs.putFile("nope", "master", "/a", text("x"), false),
                SluiceException.Kind.NOT_FOUND, "no repo");
        assertKind(() -> pfs.putFile("r", "master", "/a/../b", text("x"), false),
                SluiceException.Kind.INVALID, "..");
        assertThat(pfs.listCommit("r", "master", 0)).hasSize(3);
    }

    @Test
    void commitsFormAHistoryWithAncestryAndSizes() {
        pfs.createRepo("r", "");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(pfs.putFile("r", "master", "/f" + i, text("x".repeat(i + 1)), false).id());
        }
        List<CommitInfo> log = pfs.listCommit("r", "master", 0);
        assertThat(log).extracting(CommitInfo::id).containsExactlyElementsOf(newestFirst(ids));
        assertThat(log.get(0).parent()).isEqualTo(ids.get(3));
        assertThat(log.get(4).parent()).isNull();
        assertThat(log.get(0).sizeBytes()).isEqualTo(1 + 2 + 3 + 4 + 5);
        assertThat(pfs.listCommit("r", "master", 2)).hasSize(2);
        assertThat(pfs.listCommit("r", null, 0)).extracting(CommitInfo::id).containsExactlyElementsOf(newestFirst(ids));
        assertThat(pfs.inspectCommit("r", "master^2").id()).isEqualTo(ids.get(2));
        assertThat(pfs.inspectCommit("r", "master^^").id()).isEqualTo(ids.get(2));
        assertThat(pfs.inspectCommit("r", ids.get(3) + "^1").id()).isEqualTo(ids.get(2));
        assertThat(pfs.inspectCommit("r", ids.get(1)).sizeBytes()).isEqualTo(3);
        assertThat(pfs.listFile("r", ids.get(1), "/")).extracting(FileInfo::path).containsExactly("/f0", "/f1");
        assertThat(pfs.listFile("r", "master^3", "/")).extracting(FileInfo::path).containsExactly("/f0", "/f1");
        assertKind(() -> pfs.inspectCommit("r", "master^5"), SluiceException.Kind.NOT_FOUND, "past the first");
        assertKind(() -> pfs.inspectCommit("r", "nobranch"), SluiceException.Kind.NOT_FOUND, "nobranch");
        assertKind(() -> pfs.inspectCommit("r", "0123456789abcdef0123456789abcdef"),
                SluiceException.Kind.NOT_FOUND, "no branch or commit");
    }

    @Test
    void openCommitsCollectPutsAndOnlyShowWhenFinished() throws IOException {
        pfs.createRepo("r", "");
        CommitInfo base = pfs.putFile("r", "master", "/old", text("old"), false);
        CommitInfo open = pfs.startCommit("r", "master", "two files", List.of(base.ref()));
        assertThat(open.isFinished()).isFalse();
        assertThat(open.parent()).isEqualTo(base.id());
        assertThat(pfs.putFile("r", "master", "/a", text("A"), false).id()).isEqualTo(open.id());
        assertThat(pfs.putFile("r", "master", "/b", text("B"), false).id()).isEqualTo(open.id());
        // readers of the branch still see the finished head only
        assertThat(pfs.listFile("r", "master", "/")).extracting(FileInfo::path).containsExactly("/old");
        assertThat(pfs.inspectCommit("r", "master").id()).isEqualTo(open.id());
        assertThat(pfs.listFile("r", open.id(), "/")).extracting(FileInfo::path).containsExactly("/a", "/b", "/old");
        assertKind(() -> pfs.startCommit("r", "master", "", List.of()), SluiceException.Kind.CONFLICT, "open commit");

        CommitInfo done = pfs.finishCommit("r", "master");
        assertThat(done.id()).isEqualTo(open.id());
        assertThat(done.isFinished()).isTrue();
        assertThat(done.description()).isEqualTo("two files");
        assertThat(done.provenance()).containsExactly(base.ref());
        assertThat(done.sizeBytes()).isEqualTo(5);
        assertThat(read("r", "master", "/b")).isEqualTo("B");
        assertThat(pfs.listCommit("r", "master", 0)).extracting(CommitInfo::id).containsExactly(open.id(), base.id());
        assertKind(() -> pfs.finishCommit("r", "master"), SluiceException.Kind.NOT_FOUND, "no open commit");
    }

    @Test
    void finishReappliesTheOpenCommitOnABranchThatMoved() throws IOException {
        pfs.createRepo("r", "");
        pfs.putFile("r", "master", "/base", text("base"), false);
        CommitInfo side = pfs.putFile("r", "side", "/side", text("side"), false);
        pfs.startCommit("r", "master", "", List.of());
        pfs.putFile("r", "master", "/mine", text("mine"), false);
        pfs.createBranch("r", "master", side.id());
        CommitInfo done = pfs.finishCommit("r", "master");
        assertThat(done.parent()).isEqualTo(side.id());
        assertThat(pfs.listFile("r", "master", "/")).extracting(FileInfo::path).containsExactly("/mine", "/side");
        assertThat(done.sizeBytes()).isEqualTo(8);
        assertThat(read("r", "master", "/mine")).isEqualTo("mine");
    }

    @Test
    void appendStoresOnlyNewChunksAndOverwriteReplaces() throws IOException {
        pfs.createRepo("r", "");
        byte[] data = random(2, 500_000);
        pfs.putFile("r", "master", "/log", new ByteArrayInputStream(data), false);
        long before = pfs.storedBytes();
        byte[] more = random(3, 10_000);
        pfs.putFile("r", "master", "/log", new ByteArrayInputStream(more), true);
        long added = pfs.storedBytes() - before;
        assertThat(added).isLessThan(10_000 + 32 * 1024 + 1);
        try (InputStream in = pfs.getFile("r", "master", "/log", 0, -1)) {
            byte[] all = in.readAllBytes();
            assertThat(all).hasSize(510_000);
            assertThat(java.util.Arrays.copyOfRange(all, 500_000, 510_000)).isEqualTo(more);
        }
        // the same bytes under another name store nothing new
        before = pfs.storedBytes();
        byte[] whole = new byte[510_000];
        System.arraycopy(data, 0, whole, 0, 500_000);
        System.arraycopy(more, 0, whole, 500_000, 10_000);
        pfs.putFile("r", "master", "/copy", new ByteArrayInputStream(whole), false);
        assertThat(pfs.storedBytes()).isEqualTo(before);
        assertThat(pfs.inspectFile("r", "master", "/copy").hash()).isEqualTo(pfs.inspectFile("r", "master", "/log").hash());

        pfs.putFile("r", "master", "/log", text("short"), false);
        assertThat(read("r", "master", "/log")).isEqualTo("short");
        pfs.putFile("r", "master", "/new", text("created by append"), true);
        assertThat(read("r", "master", "/new")).isEqualTo("created by append");

        // two appends in one open commit stack up
        pfs.startCommit("r", "master", "", List.of());
        pfs.putFile("r", "master", "/log", text("+1"), true);
        pfs.putFile("r", "master", "/log", text("+2"), true);
        pfs.finishCommit("r", "master");
        assertThat(read("r", "master", "/log")).isEqualTo("short+1+2");
    }

    @Test
    void copyAndDeleteFilesAndDirectories() throws IOException {
        pfs.createRepo("src", "");
        pfs.createRepo("dst", "");
        pfs.putFile("src", "master", "/d/a", text("a"), false);
        pfs.putFile("src", "master", "/d/sub/b", text("bb"), false);
        long stored = pfs.storedBytes();
        pfs.copyFile("src", "master", "/d", "src", "master", "/d2");
        pfs.copyFile("src", "master", "/d", "dst", "master", "/copied");
        pfs.copyFile("src", "master", "/d/a", "dst", "master", "/one");
        assertThat(pfs.storedBytes()).isEqualTo(stored);
        assertThat(read("src", "master", "/d2/sub/b")).isEqualTo("bb");
        assertThat(read("dst", "master", "/copied/sub/b")).isEqualTo("bb");
        assertThat(read("dst", "master", "/one")).isEqualTo("a");
        assertThat(pfs.inspectCommit("dst", "master").sizeBytes()).isEqualTo(4);

        pfs.deleteFile("src", "master", "/d/sub/b");
        assertThat(pfs.listFile("src", "master", "/")).extracting(FileInfo::path).containsExactly("/d", "/d2");
        assertThat(pfs.listFile("src", "master", "/d")).extracting(FileInfo::path).containsExactly("/d/a");
        pfs.deleteFile("src", "master", "/d2");
        assertThat(pfs.listFile("src", "master", "/")).extracting(FileInfo::path).containsExactly("/d");
        assertThat(pfs.inspectCommit("src", "master").sizeBytes()).isEqualTo(1);
        assertKind(() -> pfs.deleteFile("src", "master", "/nope"), SluiceException.Kind.NOT_FOUND, "/nope");
    }

    @Test
    void aBatchWithProvenanceLandsAsOneFinishedCommitBuiltOnTheHead() throws IOException {
        pfs.createRepo("in", "");
        pfs.createRepo("out", "");
        CommitInfo input = pfs.putFile("in", "master", "/x", text("x"), false);
        pfs.putFile("out", "master", "/keep", text("k"), false);
        pfs.putFile("out", "master", "/old", text("o"), false);
        CommitInfo before = pfs.inspectCommit("out", "master");
        try (FileBatch b = pfs.openBatch("out", "master", "output of job j", List.of(input.ref()))) {
            b.put("/new", text("n"), false);
            b.remove("/old");
            b.remove("/never-there");
            // nothing of it is visible before commit: no open commit, the head unchanged
            assertThat(pfs.inspectCommit("out", "master").id()).isEqualTo(before.id());
            assertThat(pfs.listCommit("out", "master", 0)).hasSize(2);
            CommitInfo c = b.commit();
            assertThat(c.isFinished()).isTrue();
            assertThat(c.parent()).isEqualTo(before.id());
            assertThat(c.description()).isEqualTo("output of job j");
            assertThat(c.provenance()).containsExactly(input.ref());
        }
        assertThat(pfs.listFile("out", "master", "/")).extracting(FileInfo::path).containsExactly("/keep", "/new");
        assertThat(read("out", "master", "/keep")).isEqualTo("k");
        assertThat(pfs.inspectCommit("out", "master").sizeBytes()).isEqualTo(2);

        pfs.startCommit("out", "master", "", List.of());
        try (FileBatch b = pfs.openBatch("out", "master", "second", List.of(input.ref()))) {
            b.put("/more", text("m"), false);
            assertKind(b::commit, SluiceException.Kind.CONFLICT, "open commit");
        }
        assertKind(() -> pfs.openBatch("out", "master", "d", List.of(new CommitRef("in", "master", "0".repeat(32)))),
                SluiceException.Kind.NOT_FOUND, "provenance");
    }

    @Test
    void diffListsChangedFilesOnly() {
        pfs.createRepo("r", "");
        pfs.putFile("r", "master", "/keep", text("k"), false);
        pfs.putFile("r", "master", "/dir/change", text("1"), false);
        CommitInfo old = pfs.putFile("r", "master", "/dir/gone", text("g"), false);
        pfs.startCommit("r", "master", "", List.of());
        pfs.putFile("r", "master", "/dir/change", text("22"), false);
        pfs.deleteFile("r", "master", "/dir/gone");
        pfs.putFile("r", "master", "/added", text("new"), false);
        pfs.finishCommit("r", "master");

        List<FileDiff> diff = pfs.diffFile("r", "master", old.id(), "/");
        assertThat(diff).extracting(FileDiff::path).containsExactly("/added", "/dir/change", "/dir/gone");
        assertThat(diff.get(0).oldFile()).isNull();
        assertThat(diff.get(1).newFile().size()).isEqualTo(2);
        assertThat(diff.get(1).oldFile().size()).isEqualTo(1);
        assertThat(diff.get(2).newFile()).isNull();
        assertThat(pfs.diffFile("r", "master", "master^1", "/dir")).extracting(FileDiff::path)
                .containsExactly("/dir/change", "/dir/gone");
    }

    /** Puts {@code n} files /d/f-00000... (content "v" + i + suffix) and, if given, one more file, as one commit. */
    private CommitInfo manyFiles(int n, String suffix, String extra) {
        try (var b = pfs.openBatch("r", "master")) {
            for (int i = 0; i < n; i++) {
                b.put(String.format("/d/f-%05d", i), text("v" + i + suffix), false);
            }
            if (extra != null) {
                b.put(extra, text(extra), false);
            }
            return b.commit();
        }
    }

    /** Follows the cursors of a paged walk to its end, checking each page holds at most {@code limit} items. */
    private static <T> List<T> allPages(int limit, List<String> cursors, Paged<T> walk) {
        List<T> all = new ArrayList<>();
        String cursor = null;
        do {
            List<T> page = new ArrayList<>();
            cursor = walk.page(cursor, limit, page::add);
            assertThat(page).hasSizeLessThanOrEqualTo(limit);
            all.addAll(page);
            cursors.add(cursor);
        } while (cursor != null);
        return all;
    }

    private interface Paged<T> {
        String page(String after, int limit, java.util.function.Consumer<T> out);
    }

    @Test
    void aDiffOfManyFilesComesInPagesOfAtMostLimitWhoseCursorsContinue() {
        pfs.createRepo("r", "");
        CommitInfo old = manyFiles(200, "", null);
        manyFiles(200, " changed", "/e/added");
        List<FileDiff> whole = pfs.diffFile("r", "master", old.id(), "/");
        assertThat(whole).hasSize(201);

        List<String> cursors = new ArrayList<>();
        List<FileDiff> paged = allPages(30, cursors,
                (after, limit, out) -> pfs.diffFile("r", "master", old.id(), "/", after, limit, out));
        assertThat(cursors.get(0)).as("a first page of 30 continues after its last path").isEqualTo("/d/f-00029");
        assertThat(cursors).hasSize(7); // 6 full pages of 30 and the last one of 21
        assertThat(paged).extracting(FileDiff::path).containsExactlyElementsOf(
                whole.stream().map(FileDiff::path).toList());
        assertThat(pfs.diffFile("r", "master", old.id(), "/e", null, 1, d -> { })).isNull();
    }

    @Test
    void pagesOfListAndGlobContinueExactlyAtTheirCursorAroundTheDirectorySortRule() {
        pfs.createRepo("r", "");
        // a directory sorts as if its name ended in '/': after "a-1" and "a.b", before "a0"
        List<String> names = List.of("a", "a-1", "a.b", "a0", "b", "é", "z");
        try (var b = pfs.openBatch("r", "master")) {
            for (String n : names) {
                b.put("/top/" + n + (n.equals("a") ? "/in" : ""), text(n), false);
                b.put("/top/" + n + "x", text(n), false);
            }
            b.commit();
        }
        // the unpaged walks, in tree order
        List<String> whole = new ArrayList<>();
        pfs.listFile("r", "master", "/top", null, 0, f -> whole.add(f.path()));
        assertThat(whole).hasSize(14).contains("/top/a", "/top/a.b", "/top/a0").doesNotHaveDuplicates();
        assertThat(whole.indexOf("/top/a")).isGreaterThan(whole.indexOf("/top/a.bx"));
        assertThat(whole.indexOf("/top/a")).isLessThan(whole.indexOf("/top/a0"));
        List<String> globbed = new ArrayList<>();
        pfs.globFile("r", "master", "/top/**", null, 0, f -> globbed.add(f.path()));
        assertThat(globbed).hasSize(15).contains("/top/a/in");
        for (int limit = 1; limit <= 5; limit++) {
            assertThat(PfsServiceTest.<FileInfo>allPages(limit, new ArrayList<>(),
                    (after, n, out) -> pfs.listFile("r", "master", "/top", after, n, out)))
                    .extracting(FileInfo::path).as("list in pages of %d", limit).containsExactlyElementsOf(whole);
            assertThat(PfsServiceTest.<FileInfo>allPages(limit, new ArrayList<>(),
                    (after, n, out) -> pfs.globFile("r", "master", "/top/**", after, n, out)))
                    .extracting(FileInfo::path).as("glob in pages of %d", limit).containsExactlyElementsOf(globbed);
        }
        // a cursor from the middle of a large directory starts the page right after it
        manyFiles(3000, "", null);
        List<String> page = new ArrayList<>();
        String next = pfs.listFile("r", "master", "/d", "/d/f-02500", 3, f -> page.add(f.path()));
        assertThat(page).containsExactly("/d/f-02501", "/d/f-02502", "/d/f-02503");
        assertThat(next).isEqualTo("/d/f-02503");
        assertThat(pfs.listFile("r", "master", "/d", "/d/f-02999", 3, f -> page.add(f.path()))).isNull();
        assertThat(pfs.listFile("r", "master", "/d", "/e", 3, f -> page.add(f.path()))).isNull();
        assertThat(page).hasSize(3);
    }

    @Test
    void aWalkThatFindsAlmostNothingEndsEachPageAfterABoundedScan() {
        pfs.createRepo("r", "");
        CommitInfo old = manyFiles(1000, "", null);
        pfs.putFile("r", "master", "/z/match", text("m"), false);

        // a page of 1 looks at no more than TreePage.SCAN_PER_ITEM (100) entries: /d/ and 99 files
        List<String> cursors = new ArrayList<>();
        List<FileInfo> globbed = allPages(1, cursors,
                (after, limit, out) -> pfs.globFile("r", "master", "/*/match", after, limit, out));
        assertThat(cursors.get(0)).isEqualTo("/d/f-00098");
        assertThat(cursors.get(1)).isEqualTo("/d/f-00198");
        assertThat(globbed).extracting(FileInfo::path).containsExactly("/z/match");
        assertThat(cursors).hasSize(11); // 1,003 entries, 100 a page

        // a diff looks at the files of a changed directory one by one, so it is bounded the same way
        pfs.putFile("r", "master", "/d/f-00999", text("the last one changed"), false);
        cursors.clear();
        List<FileDiff> diffed = allPages(1, cursors,
                (after, limit, out) -> pfs.diffFile("r", "master", old.id(), "/", after, limit, out));
        assertThat(cursors.get(0)).isEqualTo("/d/f-00098");
        assertThat(diffed).extracting(FileDiff::path).containsExactly("/d/f-00999", "/z/match");
    }

    @Test
    void branchesAreCreatedMovedListedAndDeleted() {
        pfs.createRepo("r", "");
        CommitInfo c1 = pfs.putFile("r", "master", "/a", text("a"), false);
        pfs.putFile("r", "master", "/b", text("b"), false);
        BranchInfo dev = pfs.createBranch("r", "dev", "master^1");
        assertThat(dev.head()).isEqualTo(c1.id());
        BranchInfo empty = pfs.createBranch("r", "empty", null);
        assertThat(pfs.listFile("r", "empty", "/")).isEmpty();
        assertThat(pfs.listBranch("r")).extracting(BranchInfo::name, BranchInfo::head).containsExactly(
                org.assertj.core.groups.Tuple.tuple("dev", c1.id()),
                org.assertj.core.groups.Tuple.tuple("empty", empty.head()),
                org.assertj.core.groups.Tuple.tuple("master", pfs.inspectCommit("r", "master").id()));
        assertKind(() -> pfs.createBranch("r", "dev", null), SluiceException.Kind.CONFLICT, "already exists");
        assertKind(() -> pfs.createBranch("r", "bad/name", null), SluiceException.Kind.INVALID, "branch name");
        pfs.putFile("r", "dev", "/c", text("c"), false);
        assertThat(pfs.listFile("r", "dev", "/")).extracting(FileInfo::path).containsExactly("/a", "/c");
        assertThat(pfs.listFile("r", "master", "/")).extracting(FileInfo::path).containsExactly("/a", "/b");
        pfs.deleteBranch("r", "dev");
        assertThat(pfs.listBranch("r")).extracting(BranchInfo::name).containsExactly("empty", "master");
        assertKind(() -> pfs.deleteBranch("r", "dev"), SluiceException.Kind.NOT_FOUND, "no branch");
        assertThat(pfs.inspectCommit("r", c1.id()).id()).isEqualTo(c1.id());
    }

    @Test
    void aDeletedBranchKeepsItsCommitsReadableByIdThroughGcAndARestart() throws Exception {
        pfs.createRepo("r", "");
        pfs.putFile("r", "master", "/base", text("base"), false);
        pfs.createBranch("r", "dev", "master");
        CommitInfo onlyOnDev = pfs.putFile("r", "dev", "/dev-only", text("only on dev"), false);
        pfs.deleteBranch("r", "dev");
        assertThat(pfs.gc()).as("nothing a kept commit references is collected").isZero();
        pfs.close();
        pfs = reopen();
        assertThat(pfs.listBranch("r")).extracting(BranchInfo::name).containsExactly("master");
        try (InputStream in = pfs.getFile("r", onlyOnDev.id(), "/dev-only", 0, -1)) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("only on dev");
        }
        assertThat(pfs.listCommit("r", null, 0)).extracting(CommitInfo::id).contains(onlyOnDev.id());
        pfs.createBranch("r", "dev", onlyOnDev.id());
        pfs.deleteBranch("r", "dev");
        assertThat(pfs.fsck()).isEmpty();
    }

    @Test
    void concurrentWritersAllLand() throws Exception {
        pfs.createRepo("r", "");
        int threads = 8;
        int each = 10;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            futures.add(pool.submit(() -> {
                go.await();
                for (int i = 0; i < each; i++) {
                    pfs.putFile("r", "master", "/t" + id + "/f" + i, new ByteArrayInputStream(random(id * 100 + i, 3000)),
                            false);
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(pfs.listCommit("r", "master", 0)).hasSize(threads * each);
        assertThat(pfs.globFile("r", "master", "/*/*")).hasSize(threads * each);
        assertThat(pfs.inspectCommit("r", "master").sizeBytes()).isEqualTo(threads * each * 3000L);
    }

    @Test
    void waitCommitReturnsOnceFinishedAndSubscribersHearOfIt() throws Exception {
        pfs.createRepo("r", "");
        List<CommitInfo> heard = new CopyOnWriteArrayList<>();
        CountDownLatch twice = new CountDownLatch(2);
        Closeable sub = pfs.subscribe(c -> {
            heard.add(c);
            twice.countDown();
        });
        pfs.putFile("r", "master", "/a", text("a"), false);
        CommitInfo open = pfs.startCommit("r", "master", "", List.of());
        assertThat(pfs.waitCommit("r", "master", Duration.ofMillis(50)).isFinished()).isFalse();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        Future<CommitInfo> waiter = pool.submit(() -> pfs.waitCommit("r", open.id(), Duration.ofSeconds(20)));
        Thread.sleep(100);
        assertThat(waiter.isDone()).isFalse();
        pfs.finishCommit("r", "master");
        CommitInfo waited = waiter.get(10, TimeUnit.SECONDS);
        assertThat(waited.isFinished()).isTrue();
        assertThat(waited.id()).isEqualTo(open.id());
        assertThat(twice.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(heard).extracting(CommitInfo::isFinished).containsOnly(true);
        assertThat(heard.get(1).id()).isEqualTo(open.id());
        sub.close();
        pfs.putFile("r", "master", "/b", text("b"), false);
        Thread.sleep(100);
        assertThat(heard).hasSize(2);
        pool.shutdown();
    }

    @Test
    void fsckFindsCorruptAndMissingChunksAndGcKeepsReferencedOnes() throws IOException {
        pfs.createRepo("r", "");
        pfs.putFile("r", "master", "/a", new ByteArrayInputStream(random(1, 1500)), false);
        pfs.putFile("r", "master", "/b", new ByteArrayInputStream(random(2, 1500)), false);
        pfs.putFile("r", "master", "/gone", new ByteArrayInputStream(random(3, 1500)), false);
        assertThat(pfs.fsck()).isEmpty();

        // overwriting in a later commit keeps the old bytes referenced by history
        pfs.putFile("r", "master", "/a", new ByteArrayInputStream(random(4, 1500)), false);
        assertThat(pfs.gc()).isZero();
        // an unfinished batch leaves garbage that gc removes
        try (FileBatch b = pfs.openBatch("r", "master")) {
            b.put("/never", new ByteArrayInputStream(random(5, 1500)), false);
        }
        pfs.startCommit("r", "master", "", List.of());
        pfs.putFile("r", "master", "/open", new ByteArrayInputStream(random(6, 1500)), false);
        int before = store.list("chunks/").size();
        assertThat(pfs.gc()).isEqualTo(1);
        assertThat(store.list("chunks/")).hasSize(before - 1);
        assertThat(pfs.fsck()).isEmpty();

        String aChunk = chunkOf("/b");
        String goneChunk = chunkOf("/gone");
        byte[] bytes = store.getBytes(FileManifest.chunkKey(aChunk));
        bytes[0] ^= 1;
        store.put(FileManifest.chunkKey(aChunk), bytes);
        store.delete(FileManifest.chunkKey(goneChunk));
        List<String> problems = pfs.fsck();
        assertThat(problems).anyMatch(p -> p.matches("r@[0-9a-f]{32}:/b: chunk " + aChunk + " corrupt"));
        assertThat(problems).anyMatch(p -> p.matches("r@[0-9a-f]{32}:/gone: chunk " + goneChunk + " missing"));
    }

    private String chunkOf(String path) {
        // files under the minimum chunk size are one chunk, named by the SHA-256 of the whole file
        try (InputStream in = pfs.getFile("r", "master", path, 0, -1)) {
            byte[] all = in.readAllBytes();
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            return java.util.HexFormat.of().formatHex(md.digest(all));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void everythingSurvivesAReopen() throws IOException {
        pfs.createRepo("r", "kept");
        CommitInfo c = pfs.putFile("r", "master", "/a", text("a"), false);
        pfs.createBranch("r", "dev", "master");
        CommitInfo open = pfs.startCommit("r", "master", "wip", List.of());
        pfs.putFile("r", "master", "/b", text("b"), false);
        pfs.close();

        pfs = reopen();
        assertThat(pfs.inspectRepo("r").description()).isEqualTo("kept");
        assertThat(pfs.listBranch("r")).extracting(BranchInfo::name).containsExactly("dev", "master");
        assertThat(pfs.inspectCommit("r", c.id()).id()).isEqualTo(c.id());
        assertThat(read("r", "dev", "/a")).isEqualTo("a");
        CommitInfo stillOpen = pfs.inspectCommit("r", "master");
        assertThat(stillOpen.id()).isEqualTo(open.id());
        assertThat(stillOpen.isFinished()).isFalse();
        CommitInfo done = pfs.finishCommit("r", "master");
        assertThat(done.description()).isEqualTo("wip");
        assertThat(read("r", "master", "/b")).isEqualTo("b");
        assertThat(pfs.listCommit("r", "master", 0)).extracting(CommitInfo::id).containsExactly(open.id(), c.id());
    }

    @Test
    void aBatchLandsManyFilesAsOneCommit() {
        pfs.createRepo("r", "");
        try (FileBatch b = pfs.openBatch("r", "master")) {
            for (int i = 0; i < 500; i++) {
                b.put("/many/f" + i, text("file " + i), false);
            }
            CommitInfo c = b.commit();
            assertThat(c.sizeBytes()).isEqualTo(pfs.globFile("r", "master", "/many/*").stream()
                    .mapToLong(FileInfo::size).sum());
        }
        assertThat(pfs.listCommit("r", "master", 0)).hasSize(1);
        assertThat(pfs.listFile("r", "master", "/many")).hasSize(500);
    }

    @Test
    void aBatchOfManyPutsAndADeleteLandsWithTheTreesItWroteNotYetFlushed() throws IOException {
        // past the first 64 objects a batch writes into a pack that no reader sees until it lands: the tree
        // the delete leaves must be read back through the writer, as the job output of a changed head does
        pfs.createRepo("r", "");
        pfs.putFile("r", "master", "/old/a", text("a"), false);
        pfs.putFile("r", "master", "/keep/b", text("b"), false);
        try (FileBatch b = pfs.openBatch("r", "master")) {
            b.delete("/old");
            for (int i = 0; i < 200; i++) {
                b.put("/keep/new" + i, text("n" + i), false);
            }
            b.put("/keep/new199", text("+"), true); // an append onto a put whose manifest is in that pack
            b.commit();
        }
        assertThat(pfs.listFile("r", "master", "/")).extracting(FileInfo::path).containsExactly("/keep");
        assertThat(pfs.listFile("r", "master", "/keep")).hasSize(201);
        assertThat(read("r", "master", "/keep/new199")).isEqualTo("n199+");
    }

    @Test
    void aBatchsPlainPutsAndItsOtherEditsLandTogetherInTheOrderTheyCame() throws IOException {
        pfs.createRepo("r", "");
        pfs.putFile("r", "master", "/old/kept", text("kept"), false);
        pfs.putFile("r", "master", "/old/gone", text("gone"), false);
        pfs.putFile("r", "master", "/tail", text("t"), false);
        try (FileBatch b = pfs.openBatch("r", "master")) {
            b.put("/new", text("one"), false);
            b.put("/new", text("two"), true); // an append onto this batch's own put
            b.put("/new", text("three"), true);
            b.put("/tail", text("ail"), true); // an append onto the committed file
            b.put("/replaced", text("first"), false);
            b.copy("r", "master", "/old/kept", "/replaced"); // a copy replaces the put before it
            b.put("/deleted", text("x"), false);
            b.delete("/deleted"); // a delete after a put of the same path
            b.delete("/old/gone");
            b.put("/old/gone", text("back"), false); // a put after the delete of the same path
            b.copy("r", "master", "/old", "/copied");
            b.put("/copied/extra", text("e"), false);
            b.put("/again", text("a"), false);
            b.remove("/again");
            b.put("/again", text("b"), false);
            b.commit();
        }
        assertThat(read("r", "master", "/new")).isEqualTo("onetwothree");
        assertThat(read("r", "master", "/tail")).isEqualTo("tail");
        assertThat(read("r", "master", "/replaced")).isEqualTo("kept");
        assertThat(read("r", "master", "/old/gone")).isEqualTo("back");
        assertThat(read("r", "master", "/again")).isEqualTo("b");
        assertThat(pfs.listFile("r", "master", "/")).extracting(FileInfo::path)
                .containsExactly("/again", "/copied", "/new", "/old", "/replaced", "/tail");
        assertThat(pfs.listFile("r", "master", "/copied")).extracting(FileInfo::path)
                .containsExactly("/copied/extra", "/copied/gone", "/copied/kept");
        assertThat(pfs.inspectCommit("r", "master").sizeBytes()).isEqualTo(pfs.globFile("r", "master", "/**")
                .stream().filter(f -> f.type() == FileInfo.Type.FILE).mapToLong(FileInfo::size).sum());
    }
}
