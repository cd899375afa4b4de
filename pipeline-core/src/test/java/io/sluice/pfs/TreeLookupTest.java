package io.sluice.pfs;

import com.fasterxml.jackson.core.JsonFactory;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.internal.storage.dfs.DfsRepositoryDescription;
import org.eclipse.jgit.internal.storage.dfs.InMemoryRepository;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link MetaCache#lookup}, by binary search in indexed trees, against JGit's own scan, and its memory bound. */
class TreeLookupTest {

    private final InMemoryRepository repo = new InMemoryRepository(new DfsRepositoryDescription("t"));

    /** A tree of {@code paths} (each a file) as Git writes it. */
    private ObjectId tree(List<String> paths) throws IOException {
        DirCache dc = DirCache.newInCore();
        DirCacheBuilder b = dc.builder();
        try (ObjectInserter ins = repo.newObjectInserter()) {
            for (String p : paths) {
                DirCacheEntry e = new DirCacheEntry(p);
                e.setFileMode(FileMode.REGULAR_FILE);
                e.setObjectId(ins.insert(Constants.OBJ_BLOB, p.getBytes(StandardCharsets.UTF_8)));
                b.add(e);
            }
            b.finish();
            ObjectId id = dc.writeTree(ins);
            ins.flush();
            return id;
        }
    }

    /** JGit's answer for {@code path}, the oracle: mode and id, or null. */
    private static TreeReader.Entry scanned(ObjectReader reader, ObjectId tree, String path) throws IOException {
        if (path.equals("/")) {
            return new TreeReader.Entry(FileMode.TREE, tree);
        }
        try (TreeWalk tw = TreeWalk.forPath(reader, path.substring(1), tree)) {
            return tw == null ? null : new TreeReader.Entry(tw.getFileMode(0), tw.getObjectId(0));
        }
    }

    @Test
    void findsWhatJGitsScanFindsAroundTheDirectorySortRule() throws IOException {
        // a directory sorts as "foo/": after "foo.txt" and "foo-bar" ('.' and '-' are below '/'), before "foo0"
        List<String> paths = new ArrayList<>(List.of("foo-bar", "foo.txt", "foo/in", "foo/x/y", "foo0", "fo", "é/ü",
                "a", "a.b/c", "ab", "zz"));
        Random rnd = new Random(17);
        for (int i = 0; i < 2_000; i++) {
            paths.add("d" + rnd.nextInt(40) + "/" + Integer.toString(rnd.nextInt(1_000_000), 36) + (i % 3 == 0 ? ".txt" : ""));
            paths.add(Integer.toString(rnd.nextInt(1_000_000), 36) + "-" + i);
        }
        ObjectId tree = tree(paths);
        List<String> probes = new ArrayList<>(List.of("/", "/foo", "/foo/in", "/foo/x", "/foo/x/y", "/foo/nope",
                "/foo.txt", "/foo-bar", "/foo0", "/fo", "/f", "/foo1", "/é", "/é/ü", "/a", "/a.b", "/a.b/c", "/ab",
                "/a/b", "/foo.txt/x", "/zz", "/zzz", "/0", "/~", "/d3", "/d3/missing"));
        for (String p : paths) {
            probes.add("/" + p);
            probes.add("/" + p + "x");
            probes.add("/" + p.substring(0, p.length() - 1));
        }
        MetaCache cache = new MetaCache(new JsonFactory(), 10, 10, 1L << 20);
        try (ObjectReader reader = repo.newObjectReader()) {
            int found = 0;
            for (String probe : probes) {
                TreeReader.Entry want = scanned(reader, tree, probe);
                assertThat(cache.lookup(reader, tree, probe)).as(probe).isEqualTo(want);
                found += want == null ? 0 : 1;
            }
            assertThat(found).isGreaterThan(paths.size()); // every path, plus the directories probed
            assertThat(cache.lookup(reader, null, "/a")).isNull();
        }
    }

    @Test
    void keepsNoMoreIndexedTreesThanItsBoundAndStillAnswersBeyondIt() throws IOException {
        List<ObjectId> trees = new ArrayList<>();
        for (int t = 0; t < 20; t++) {
            List<String> paths = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                paths.add("t" + t + "-f" + i);
            }
            trees.add(tree(paths));
        }
        List<String> big = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            big.add("big" + i);
        }
        ObjectId bigTree = tree(big);
        long bound = 8_000; // a 50-entry tree weighs ~1.7 KB here: room for a few, not all 20
        MetaCache cache = new MetaCache(new JsonFactory(), 10, 10, bound);
        try (ObjectReader reader = repo.newObjectReader()) {
            for (int round = 0; round < 2; round++) {
                for (int t = 0; t < trees.size(); t++) {
                    assertThat(cache.lookup(reader, trees.get(t), "/t" + t + "-f7"))
                            .isEqualTo(scanned(reader, trees.get(t), "/t" + t + "-f7")).isNotNull();
                    assertThat(cache.indexedBytes()).isPositive().isLessThanOrEqualTo(bound);
                }
            }
            long before = cache.indexedBytes();
            assertThat(cache.lookup(reader, bigTree, "/big4321")).isEqualTo(scanned(reader, bigTree, "/big4321"))
                    .isNotNull();
            assertThat(cache.indexedBytes()).as("a tree over the bound is not kept").isEqualTo(before);
        }
    }
}
