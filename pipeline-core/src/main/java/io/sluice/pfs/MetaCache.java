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
 * Sizes and hashes of manifests and trees, and trees indexed for lookups, by git object id, bounded (LRU).
 * Git ids name immutable content, so an entry never goes stale and one cache serves every repo; it is what
 * keeps listing a directory of many files from re-reading every manifest, and a job's datums from
 * rescanning their input directory for each file.
 */
final class MetaCache {

    /** Size and content hash of one file manifest. */
    record FileMeta(long size, String hash) {
    }

    private final JsonFactory json;
    private final Map<ObjectId, FileMeta> files;
    private final Map<ObjectId, Long> trees;
    private final long maxIndexBytes;
    private final LinkedHashMap<ObjectId, TreeIndex> indexes = new LinkedHashMap<>(64, 0.75f, true);
    private long indexBytes;

    /** At most {@code maxIndexBytes} of indexed trees are kept; a tree bigger than that is parsed again for each lookup. */
    MetaCache(JsonFactory json, int maxFiles, int maxTrees, long maxIndexBytes) {
        this.json = json;
        this.files = lru(maxFiles);
        this.trees = lru(maxTrees);
        this.maxIndexBytes = maxIndexBytes;
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

    /** The entry at normalized {@code path} of {@code tree} (null: an empty tree), or null if there is none. */
    TreeReader.Entry lookup(ObjectReader reader, ObjectId tree, String path) throws IOException {
        if (tree == null) {
            return null;
        }
        TreeReader.Entry e = new TreeReader.Entry(FileMode.TREE, tree);
        if (path.equals("/")) {
            return e;
        }
        for (String name : path.substring(1).split("/")) { // as JGit, a trailing "/" is ignored
            if (e.mode() != FileMode.TREE) {
                return null;
            }
            e = index(reader, e.id()).find(name);
            if (e == null) {
                return null;
            }
        }
        return e;
    }

    /** The weight of the indexed trees kept, in bytes. */
    synchronized long indexedBytes() {
        return indexBytes;
    }

    /** Tree {@code tree} indexed for search, from the cache when it was indexed before. */
    TreeIndex index(ObjectReader reader, ObjectId tree) throws IOException {
        synchronized (this) {
            TreeIndex hit = indexes.get(tree);
            if (hit != null) {
                return hit;
            }
        }
        // parsed outside the lock: two readers of one new tree may both parse it, which is harmless
        TreeIndex index = new TreeIndex(reader.open(tree, Constants.OBJ_TREE).getCachedBytes());
        if (index.weight() <= maxIndexBytes) {
            synchronized (this) {
                TreeIndex old = indexes.put(tree.copy(), index);
                indexBytes += index.weight() - (old == null ? 0 : old.weight());
                for (var it = indexes.values().iterator(); indexBytes > maxIndexBytes && it.hasNext(); ) {
                    indexBytes -= it.next().weight();
                    it.remove();
                }
            }
        }
        return index;
    }

    void rememberTree(ObjectId tree, long size) {
        trees.put(tree.copy(), size);
    }
}
