package io.sluice.pfs;

import com.fasterxml.jackson.core.JsonFactory;
import io.sluice.SluiceException;
import org.eclipse.jgit.internal.storage.dfs.DfsRepositoryDescription;
import org.eclipse.jgit.internal.storage.dfs.InMemoryRepository;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link TreeEditor#putAll}, the merge of a batch's plain puts into a tree, against {@link TreeEditor#apply}
 * given the same puts as edits: the same tree, byte for byte (so Git's order is kept), and the same size change.
 */
class PutAllTest {
    private final InMemoryRepository repo = new InMemoryRepository(new DfsRepositoryDescription("t"));
    private final MetaCache cache = new MetaCache(new JsonFactory(), 1000, 1000, 1 << 20);
    private final Random random = new Random(17);
    /** Names around Git's rule that a directory sorts as if its name ended in '/'. */
    private static final String[] NAMES = {"foo", "foo.txt", "foo-bar", "foo0", "fo", "a", "a.b", "b", "é", "z~"};

    /** A file manifest blob of {@code size} bytes. */
    private ObjectId blob(ObjectInserter ins, long size) throws IOException {
        FileManifest m = FileManifest.of(size == 0 ? List.of()
                : List.of(new FileManifest.Chunk(String.format("%064x", random.nextLong() & Long.MAX_VALUE), size, FileManifest.NO_CRC, null, 0)));
        return ins.insert(Constants.OBJ_BLOB, m.toJson());
    }

    private String randomPath(int depth) {
        StringBuilder b = new StringBuilder();
        for (int d = 0; d <= random.nextInt(depth); d++) {
            b.append('/').append(NAMES[random.nextInt(NAMES.length)]);
        }
        return b.toString();
    }

    /** Random puts as the edits {@link TreeEditor#apply} takes, the last put of a path winning; skips conflicts. */
    private Map<String, TreeEditor.Edit> puts(ObjectInserter ins, int n, int depth) throws IOException {
        Map<String, TreeEditor.Edit> puts = new LinkedHashMap<>();
        while (puts.size() < n) {
            String p = randomPath(depth);
            if (puts.keySet().stream().anyMatch(q -> q.startsWith(p + "/") || p.startsWith(q + "/"))) {
                continue; // a file and a directory of one path: both editors refuse that, tested below
            }
            long size = random.nextInt(100);
            puts.put(p, TreeEditor.Edit.put(p, blob(ins, size), size));
        }
        return puts;
    }

    private static PutLog log(Iterable<TreeEditor.Edit> edits) {
        PutLog log = new PutLog();
        for (TreeEditor.Edit e : edits) {
            log.put(e.path(), e.id(), e.size());
        }
        return log;
    }

    @Test
    void mergesPutsIntoATreeExactlyAsTheEditorWritesThem() throws Exception {
        try (ObjectInserter ins = repo.newObjectInserter(); ObjectReader reader = repo.newObjectReader()) {
            for (int round = 0; round < 40; round++) {
                TreeEditor editor = new TreeEditor(reader, ins, cache);
                Map<String, TreeEditor.Edit> first = puts(ins, 1 + random.nextInt(60), 4);
                ObjectId base = round % 4 == 0 ? null : editor.apply(null, first.values()).tree();
                ins.flush();
                Map<String, TreeEditor.Edit> more = puts(ins, 1 + random.nextInt(60), 4);
                boolean conflicts = more.keySet().stream().anyMatch(p -> first.keySet().stream()
                        .anyMatch(q -> q.startsWith(p + "/") || p.startsWith(q + "/")));
                if (conflicts && base != null) {
                    continue; // covered by the conflict test
                }
                TreeEditor.Result want = editor.apply(base, more.values());
                TreeEditor.Result got = editor.putAll(base, log(more.values()));
                ins.flush();
                assertThat(got.tree()).as("round %d", round).isEqualTo(want.tree());
                assertThat(got.sizeDelta()).as("round %d", round).isEqualTo(want.sizeDelta());
            }
        }
    }

    @Test
    void aFileAndADirectoryOfOnePathAreRefusedInTheEditorsWords() throws Exception {
        try (ObjectInserter ins = repo.newObjectInserter(); ObjectReader reader = repo.newObjectReader()) {
            TreeEditor editor = new TreeEditor(reader, ins, cache);
            ObjectId base = editor.apply(null, List.of(TreeEditor.Edit.put("/d/foo/x", blob(ins, 1), 1),
                    TreeEditor.Edit.put("/d/bar", blob(ins, 1), 1))).tree();
            ins.flush();
            List<List<TreeEditor.Edit>> cases = List.of(
                    List.of(TreeEditor.Edit.put("/d/foo", blob(ins, 2), 2)),
                    List.of(TreeEditor.Edit.put("/d/bar/y", blob(ins, 2), 2)),
                    List.of(TreeEditor.Edit.put("/e/a", blob(ins, 2), 2), TreeEditor.Edit.put("/e/a.b", blob(ins, 2), 2),
                            TreeEditor.Edit.put("/e/a/x", blob(ins, 2), 2)));
            for (List<TreeEditor.Edit> edits : cases) {
                String want = messageOf(() -> editor.apply(base, edits));
                assertThat(want).as("%s", edits).isNotNull();
                assertThat(messageOf(() -> editor.putAll(base, log(edits)))).isEqualTo(want);
            }
        }
    }

    @Test
    void aLaterPutOfAPathReplacesItsRecordAndARemovedPutIsGone() throws Exception {
        try (ObjectInserter ins = repo.newObjectInserter(); ObjectReader reader = repo.newObjectReader()) {
            PutLog log = new PutLog();
            List<String> paths = new ArrayList<>();
            for (int i = 0; i < 5000; i++) { // past several rehashes
                paths.add("/dir" + (i % 7) + "/f" + i);
            }
            ObjectId one = blob(ins, 1);
            ObjectId two = blob(ins, 2);
            paths.forEach(p -> log.put(p, one, 1));
            paths.forEach(p -> log.put(p, two, 2));
            for (int i = 0; i < paths.size(); i += 2) {
                log.remove(paths.get(i));
            }
            log.put(paths.get(0), one, 1); // a put after its removal comes back
            ins.flush();
            assertThat(log.size()).isEqualTo(2501);
            assertThat(log.get(paths.get(0))).isEqualTo(one);
            assertThat(log.get(paths.get(1))).isEqualTo(two);
            assertThat(log.get(paths.get(2))).isNull();
            int[] order = log.sorted();
            for (int i = 1; i < order.length; i++) {
                assertThat(log.path(order[i - 1], log.pathLength(order[i - 1])))
                        .isLessThan(log.path(order[i], log.pathLength(order[i])));
            }
            TreeEditor editor = new TreeEditor(reader, ins, cache);
            List<TreeEditor.Edit> want = new ArrayList<>();
            want.add(TreeEditor.Edit.put(paths.get(0), one, 1));
            for (int i = 1; i < paths.size(); i += 2) {
                want.add(TreeEditor.Edit.put(paths.get(i), two, 2));
            }
            TreeEditor.Result got = editor.putAll(null, log);
            assertThat(got.tree()).isEqualTo(editor.apply(null, want).tree());
            assertThat(got.sizeDelta()).isEqualTo(1 + 2 * 2500);
        }
    }

    private interface Call {
        void run() throws Exception;
    }

    private static String messageOf(Call call) throws Exception {
        try {
            call.run();
            return null;
        } catch (SluiceException e) {
            return e.getMessage();
        }
    }
}
