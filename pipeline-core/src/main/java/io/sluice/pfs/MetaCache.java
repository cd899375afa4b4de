package io.sluice.pfs;

import com.fasterxml.jackson.core.JsonFactory;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sizes and hashes of manifests and trees by git object id, bounded (LRU). Git ids name immutable
 * content, so an entry never goes stale and one cache serves every repo; it is what keeps listing a
 * directory of many files from re-reading every manifest.
 */
final class MetaCache {

    /** Size and content hash of one file manifest. */
    record FileMeta(long size, String hash) {
    }

    private final JsonFactory json;
    private final Map<ObjectId, FileMeta> files;
    private final Map<ObjectId, Long> trees;

    MetaCache(JsonFactory json, int maxFiles, int maxTrees) {
        this.json = json;
        this.files = lru(maxFiles);
        this.trees = lru(maxTrees);
    }

    private static <V> Map<ObjectId, V> lru(int max) {
        return Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<ObjectId, V> eldest) {
                return size() > max;
            }
        });
    }

    void remember(AnyObjectId blob, FileManifest m) {
        files.put(blob.copy(), new FileMeta(m.size(), m.hash()));
    }

    FileMeta file(ObjectReader reader, AnyObjectId blob) throws IOException {
        FileMeta meta = files.get(blob);
        if (meta == null) {
            FileManifest m = manifest(reader, blob);
            meta = new FileMeta(m.size(), m.hash());
            files.put(blob.copy(), meta);
        }
        return meta;
    }

    FileManifest manifest(ObjectReader reader, AnyObjectId blob) throws IOException {
        return FileManifest.parse(json, reader.open(blob, Constants.OBJ_BLOB).getCachedBytes());
    }

    /** Total size of the files under a tree. */
    long treeSize(ObjectReader reader, AnyObjectId tree) throws IOException {
        Long size = trees.get(tree);
        if (size == null) {
            long sum = 0;
            CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree);
            for (; !p.eof(); p.next()) {
                sum += size(reader, p.getEntryFileMode(), p.getEntryObjectId());
            }
            size = sum;
            trees.put(tree.copy(), size);
        }
        return size;
    }

    /** Size of a tree entry: a file's size or a directory's total. */
    long size(ObjectReader reader, FileMode mode, AnyObjectId id) throws IOException {
        return mode == FileMode.TREE ? treeSize(reader, id) : file(reader, id).size();
    }

    void rememberTree(ObjectId tree, long size) {
        trees.put(tree.copy(), size);
    }
}
