package io.sluice.pfs;

import io.sluice.SluiceException;
import io.sluice.pfs.DataRepo.Indexed;
import io.sluice.storage.ObjectStore;
import org.eclipse.jgit.errors.StopWalkException;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.AndTreeFilter;
import org.eclipse.jgit.treewalk.filter.PathFilter;
import org.eclipse.jgit.treewalk.filter.TreeFilter;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

import static io.sluice.pfs.Io.io;

/**
 * Reads the tree of one resolved commit: a file's or directory's info, directory listings and globs paged by
 * cursor, a file's bytes or chunks, a whole directory as tar, and the paths that differ between two commits.
 */
final class TreeReader {
    private final MetaCache cache;
    private final ObjectStore store;

    TreeReader(MetaCache cache, ObjectStore store) {
        this.cache = cache;
        this.store = store;
    }

    /** A commit resolved for reading, with the ref the caller named it by (what messages show). */
    record At(DataRepo repo, String ref, Indexed commit) {
        /** {@code repo@ref}, as the caller wrote it. */
        String name() {
            return repo.name + "@" + ref;
        }
    }

    /** A tree entry: a directory ({@link FileMode#TREE}) or a file's manifest blob. */
    record Entry(FileMode mode, ObjectId id) {
    }

    /** The entry at {@code p} of the commit; NOT_FOUND when there is none. */
    private Entry find(ObjectReader reader, At at, String p) throws IOException {
        Entry e = cache.lookup(reader, at.commit().tree(), p);
        if (e == null) {
            throw noFile(at.repo().name, at.ref(), p);
        }
        return e;
    }

    static SluiceException noFile(String repo, String ref, String path) {
        return SluiceException.notFound("no file or directory '" + path + "' in " + repo + "@" + ref);
    }

    FileInfo inspect(At at, String p) {
        return io(() -> at.repo().read(reader -> {
            Entry e = find(reader, at, p);
            return fileInfo(reader, p, e.mode(), e.id());
        }));
    }

    /** See {@link PfsService#listFile(String, String, String, String, int, Consumer)}. */
    String list(At at, String p, String after, int limit, Consumer<FileInfo> out) {
        return io(() -> at.repo().read(reader -> {
            Entry e = find(reader, at, p);
            if (e.mode() != FileMode.TREE) {
                if (after == null) {
                    out.accept(fileInfo(reader, p, e.mode(), e.id()));
                }
                return null;
            }
            String prefix = p.equals("/") ? "/" : p + "/";
            TreePage<FileInfo> page = new TreePage<>(after, limit, out);
            TreeIndex dir = cache.index(reader, e.id());
            for (int i = seek(dir, prefix, after); i < dir.size(); i++) {
                String path = prefix + dir.name(i);
                Entry entry = dir.entry(i);
                String key = TreePage.key(path, entry.mode() == FileMode.TREE);
                if (!page.before(key) && !(page.look()
                        && page.done(key, fileInfo(reader, path, entry.mode(), entry.id())))) {
                    break;
                }
            }
            return page.next();
        }));
    }

    /** See {@link PfsService#globFile(String, String, String, String, int, Consumer)}. */
    String glob(At at, Glob glob, String after, int limit, Consumer<FileInfo> out) {
        return io(() -> at.repo().read(reader -> {
            TreePage<FileInfo> page = new TreePage<>(after, limit, out);
            if (glob.matches("/") && !page.before("/")) {
                page.done("/", fileInfo(reader, "/", FileMode.TREE, at.commit().tree()));
            }
            pagedGlob(reader, glob, at.commit().tree(), "", 1, page);
            return page.next();
        }));
    }

    /** Depth-first in tree order (the order of paging keys), skipping whole subtrees before the cursor. */
    private boolean pagedGlob(ObjectReader reader, Glob glob, ObjectId tree, String dir, int depth,
                              TreePage<FileInfo> page) throws IOException {
        TreeIndex entries = cache.index(reader, tree);
        for (int i = seek(entries, dir + "/", page.after()); i < entries.size(); i++) {
            String path = dir + "/" + entries.name(i);
            Entry entry = entries.entry(i);
            FileMode mode = entry.mode();
            ObjectId id = entry.id();
            boolean isDir = mode == FileMode.TREE;
            String key = TreePage.key(path, isDir);
            if (page.before(key)) {
                if (!(isDir && page.leadsToCursor(key))) {
                    continue; // this entry and all under it come before the cursor
                }
            } else if (!page.look() || !page.done(key, glob.matches(path) ? fileInfo(reader, path, mode, id) : null)) {
                return false;
            }
            if (isDir && (glob.maxDepth() < 0 || depth < glob.maxDepth())
                    && !pagedGlob(reader, glob, id, path, depth + 1, page)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Where in directory {@code dir} (whose entries' paths start with {@code prefix}, ending in '/') a walk
     * after cursor {@code after} starts: at the entry the cursor names or leads into, found by binary search,
     * so that a page costs the same in the millionth entry as in the first.
     */
    private static int seek(TreeIndex dir, String prefix, String after) {
        if (after == null || after.compareTo(prefix) < 0) {
            return 0;
        }
        if (!after.startsWith(prefix)) {
            return dir.size(); // the cursor lies past this whole directory
        }
        String rest = after.substring(prefix.length());
        int slash = rest.indexOf('/');
        return slash < 0 ? dir.lowerBound(rest, false) : dir.lowerBound(rest.substring(0, slash), true);
    }

    /** See {@link PfsService#getFile(String, String, String, long, long)}. */
    ChunkStream open(At at, String p, long offset, long length) {
        FileManifest m = manifest(at, p);
        if (offset < 0 || offset > m.size()) {
            throw SluiceException.invalid("offset " + offset + " is outside " + p + " (size " + m.size() + ")");
        }
        ChunkStream in = new ChunkStream(store, m.chunks(), offset, length, at.name() + ":" + p);
        io(() -> {
            in.prefetch();
            return null;
        });
        return in;
    }

    /** See {@link PfsService#getTree(String, String, String, Tar.Writer)}. */
    void tar(At at, String p, Tar.Writer out) throws IOException {
        at.repo().read(reader -> {
            Entry e = io(() -> find(reader, at, p));
            if (e.mode() != FileMode.TREE) {
                throw SluiceException.invalid("'" + p + "' is a file in " + at.name() + "; get it without -r");
            }
            PackWindow packs = new PackWindow(store); // files of one upload lie in tree order in its packs
            try (TreeWalk tw = new TreeWalk(reader)) {
                tw.addTree(e.id());
                tw.setRecursive(true);
                while (tw.next()) {
                    String rel = tw.getPathString();
                    FileManifest m = cache.manifest(reader, tw.getObjectId(0));
                    String name = at.name() + ":" + (p.equals("/") ? "" : p) + "/" + rel;
                    try (ChunkStream in = new ChunkStream(packs, m.chunks(), 0, -1, name)) {
                        out.file(rel, m.size(), in);
                    }
                }
            }
            out.finish();
            return null;
        });
    }

    /** The manifest of the file at {@code p}; NOT_FOUND when there is none, INVALID for a directory. */
    FileManifest manifest(At at, String p) {
        return io(() -> at.repo().read(reader -> {
            Entry e = find(reader, at, p);
            if (e.mode() == FileMode.TREE) {
                throw SluiceException.invalid("'" + p + "' is a directory in " + at.name()
                        + "; 'list file' shows what is in it");
            }
            return cache.manifest(reader, e.id());
        }));
    }

    /** See {@link PfsService#diffFile(String, String, String, String, String, int, Consumer)}. */
    String diff(At newer, At older, String p, String after, int limit, Consumer<FileDiff> out) {
        return io(() -> newer.repo().read(reader -> {
            TreePage<FileDiff> page = new TreePage<>(after, limit, out);
            try (TreeWalk tw = new TreeWalk(reader)) {
                tw.addTree(newer.commit().tree());
                tw.addTree(older.commit().tree());
                tw.setRecursive(true);
                TreeFilter paged = new DiffPageFilter(page);
                tw.setFilter(p.equals("/") ? paged : AndTreeFilter.create(PathFilter.create(p.substring(1)), paged));
                while (tw.next()) {
                    String fp = "/" + tw.getPathString();
                    FileInfo n = tw.getFileMode(0) == FileMode.MISSING ? null
                            : fileInfo(reader, fp, tw.getFileMode(0), tw.getObjectId(0));
                    FileInfo o = tw.getFileMode(1) == FileMode.MISSING ? null
                            : fileInfo(reader, fp, tw.getFileMode(1), tw.getObjectId(1));
                    // the same bytes under a manifest of another format (one with CRC32Cs) are no change
                    boolean same = n != null && o != null && n.hash() != null && n.hash().equals(o.hash());
                    if (!page.done(fp, same ? null : new FileDiff(fp, n, o))) {
                        break;
                    }
                }
            }
            return page.next();
        }));
    }

    /**
     * Walks only entries that differ and lie after the page's cursor (entering the directories that lead to
     * it), counting each against the page's scan budget and stopping the walk once it is spent.
     */
    private static final class DiffPageFilter extends TreeFilter {
        private final TreePage<FileDiff> page;

        DiffPageFilter(TreePage<FileDiff> page) {
            this.page = page;
        }

        @Override
        public boolean include(TreeWalk w) throws IOException {
            String key = TreePage.key("/" + w.getPathString(), w.isSubtree());
            if (page.before(key)) {
                return w.isSubtree() && page.leadsToCursor(key) && TreeFilter.ANY_DIFF.include(w);
            }
            if (!page.look()) {
                throw StopWalkException.INSTANCE;
            }
            boolean differs = TreeFilter.ANY_DIFF.include(w);
            if (!differs || w.isSubtree()) {
                page.done(key, null); // a directory entered: everything in it sorts after its key
            }
            return differs;
        }

        @Override
        public boolean shouldBeRecursive() {
            return false;
        }

        @Override
        public TreeFilter clone() {
            return this;
        }
    }

    private FileInfo fileInfo(ObjectReader reader, String path, FileMode mode, ObjectId id) throws IOException {
        if (mode == FileMode.TREE) {
            return new FileInfo(path, FileInfo.Type.DIR, cache.treeSize(reader, id), null);
        }
        MetaCache.FileMeta m = cache.file(reader, id);
        return new FileInfo(path, FileInfo.Type.FILE, m.size(), m.hash());
    }
}
