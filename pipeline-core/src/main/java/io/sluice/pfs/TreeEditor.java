package io.sluice.pfs;

import io.sluice.SluiceException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Applies a set of path edits to a git tree and writes the new tree, rewriting only the directories on the
 * edited paths (untouched subtrees are shared by id), and reports how the total file size changed.
 */
final class TreeEditor {

    /** What an edit does at its path. */
    enum Kind {
        /** Put a file; fails if a directory is there. */
        PUT,
        /** Put a file or a directory, replacing whatever is there. */
        SET,
        /** Delete a file or directory; fails if nothing is there. */
        DELETE,
        /** Delete if present. */
        REMOVE
    }

    /**
     * One edit. For {@code PUT} with {@code checkOld}, the edit applies only if the entry there is still
     * {@code old} (null: absent), otherwise {@link StaleEditException}: appends were chunked against it.
     */
    record Edit(String path, Kind kind, FileMode mode, ObjectId id, long size, boolean checkOld, ObjectId old) {
        static Edit put(String path, ObjectId blob, long size) {
            return new Edit(path, Kind.PUT, FileMode.REGULAR_FILE, blob, size, false, null);
        }

        static Edit delete(String path) {
            return new Edit(path, Kind.DELETE, null, null, 0, false, null);
        }
    }

    /** The new root tree and how much the total size of its files changed. */
    record Result(ObjectId tree, long sizeDelta) {
    }

    /** Thrown when an append's basis changed underneath it; the caller re-chunks and retries. */
    static final class StaleEditException extends Exception {
        final String path;

        StaleEditException(String path) {
            super(path, null, false, false);
            this.path = path;
        }
    }

    private record Entry(FileMode mode, ObjectId id) {
        boolean isTree() {
            return mode == FileMode.TREE;
        }
    }

    private static final class Node {
        final Map<String, Node> children = new TreeMap<>();
        Edit edit;
    }

    private final ObjectReader reader;
    private final ObjectInserter inserter;
    private final MetaCache cache;

    TreeEditor(ObjectReader reader, ObjectInserter inserter, MetaCache cache) {
        this.reader = reader;
        this.inserter = inserter;
        this.cache = cache;
    }

    /** Applies {@code edits} (a later edit of the same path wins) to {@code base} (null: empty). */
    Result apply(ObjectId base, Collection<Edit> edits) throws IOException, StaleEditException {
        Node root = new Node();
        for (Edit e : edits) {
            Node n = root;
            for (String segment : Ref.segments(e.path())) {
                n = n.children.computeIfAbsent(segment, k -> new Node());
            }
            n.edit = e;
        }
        long delta = 0;
        ObjectId start = base;
        if (root.edit != null) {
            Edit e = root.edit;
            if (e.kind() == Kind.PUT || (e.kind() == Kind.SET && e.mode() != FileMode.TREE)) {
                throw SluiceException.invalid("cannot put a file at '/': it is the root directory");
            }
            long old = base == null ? 0 : cache.treeSize(reader, base);
            start = e.kind() == Kind.SET ? e.id() : null;
            delta = (e.kind() == Kind.SET ? e.size() : 0) - old;
        }
        long[] acc = {delta};
        ObjectId tree = rewrite(start, root, "", acc);
        if (tree == null) {
            tree = inserter.insert(new TreeFormatter());
        }
        return new Result(tree, acc[0]);
    }

    private static final byte[] FILE = "100644 ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DIR = "40000 ".getBytes(StandardCharsets.US_ASCII);

    /**
     * Puts every file of {@code puts} into {@code base} (null: empty), replacing files of the same paths. It
     * merges each directory's entries with the puts under it in one pass, both being in Git's order, and
     * writes the directory as one array of its final size: a million files cost a few bytes each, not an
     * object each. Directories without puts under them are shared by id.
     */
    Result putAll(ObjectId base, PutLog puts) throws IOException {
        if (puts.size() == 0) {
            return new Result(base != null ? base : inserter.insert(new TreeFormatter()), 0);
        }
        long[] delta = {0};
        ObjectId tree = merge(base, puts, puts.sorted(), 0, puts.size(), 1, delta);
        return new Result(tree, delta[0]);
    }

    /**
     * The directory {@code tree} (null: new) with the puts {@code order[lo, hi)}, whose paths all begin with
     * the directory's path and a '/', {@code prefix} bytes in all.
     */
    private ObjectId merge(ObjectId tree, PutLog puts, int[] order, int lo, int hi, int prefix, long[] delta)
            throws IOException {
        TreeIndex old = tree == null ? null : cache.index(reader, tree);
        long bound = old == null ? 0 : old.rawLength();
        for (int k = lo; k < hi; ) {
            int end = nameEnd(puts, order[k], prefix);
            bound += FILE.length + (end - prefix) + 1 + Constants.OBJECT_ID_LENGTH;
            k = end < puts.pathLength(order[k]) ? groupEnd(puts, order, k, hi, prefix, end) : k + 1;
        }
        if (bound > Integer.MAX_VALUE - 16) {
            throw SluiceException.invalid("a directory of this upload would be over 2 GiB as a tree");
        }
        byte[] out = new byte[(int) bound];
        int n = 0;
        int i = 0;
        int oldSize = old == null ? 0 : old.size();
        for (int k = lo; k < hi; ) {
            int rec = order[k];
            int end = nameEnd(puts, rec, prefix);
            boolean dir = end < puts.pathLength(rec);
            byte[] name = new byte[end - prefix];
            puts.copyPath(rec, prefix, name, 0, name.length);
            int next = dir ? groupEnd(puts, order, k, hi, prefix, end) : k + 1;
            TreeReader.Entry existing = null;
            if (old != null) {
                int at = old.lowerBound(name, dir);
                n += old.copyEntries(i, at, out, n);
                i = at;
                if (i < oldSize && old.compare(i, name, dir) == 0) {
                    existing = old.entry(i++);
                }
            }
            if (dir) {
                if ((old != null && old.search(name, false) >= 0) || puts.hasPrefix(rec, end)) {
                    throw SluiceException.invalid("cannot write under '" + puts.path(rec, end) + "': it is a file");
                }
                ObjectId sub = merge(existing == null ? null : existing.id(), puts, order, k, next, end + 1, delta);
                n = entry(out, n, DIR, name, sub);
            } else {
                if (old != null && old.search(name, true) >= 0) {
                    throw SluiceException.invalid("cannot put a file at '" + puts.path(rec, end) + "': it is a directory");
                }
                long size = puts.size(rec);
                delta[0] += size - (existing == null ? 0 : cache.size(reader, existing.mode(), existing.id()));
                n = entry(out, n, FILE, name, null);
                puts.copyId(rec, out, n - Constants.OBJECT_ID_LENGTH);
            }
            k = next;
        }
        if (old != null) {
            n += old.copyEntries(i, oldSize, out, n);
        }
        return inserter.insert(Constants.OBJ_TREE, out, 0, n);
    }

    /** Where the path component of record {@code rec} that starts at {@code from} ends (a '/' or the path's end). */
    private static int nameEnd(PutLog puts, int rec, int from) {
        int len = puts.pathLength(rec);
        int p = from;
        while (p < len && puts.pathByte(rec, p) != '/') {
            p++;
        }
        return p;
    }

    /**
     * The end of the run of puts from {@code k} on under the directory whose path is record order[k]'s first
     * {@code end} bytes; every record in {@code [k, hi)} shares the first {@code prefix} of them already.
     */
    private static int groupEnd(PutLog puts, int[] order, int k, int hi, int prefix, int end) {
        int first = order[k];
        int next = k + 1;
        while (next < hi && sameDir(puts, first, order[next], prefix, end)) {
            next++;
        }
        return next;
    }

    private static boolean sameDir(PutLog puts, int a, int b, int prefix, int end) {
        if (puts.pathLength(b) <= end || puts.pathByte(b, end) != '/') {
            return false;
        }
        for (int p = end - 1; p >= prefix; p--) {
            if (puts.pathByte(a, p) != puts.pathByte(b, p)) {
                return false;
            }
        }
        return true;
    }

    /** Writes one tree entry ("mode name\0id") at {@code n}, the id being {@code id} or left to fill; returns its end. */
    private static int entry(byte[] out, int n, byte[] mode, byte[] name, ObjectId id) {
        System.arraycopy(mode, 0, out, n, mode.length);
        n += mode.length;
        System.arraycopy(name, 0, out, n, name.length);
        n += name.length;
        out[n++] = 0;
        if (id != null) {
            id.copyRawTo(out, n);
        }
        return n + Constants.OBJECT_ID_LENGTH;
    }

    /** Rewrites {@code tree} (null: empty) with the edits under {@code node}; null when the result is empty. */
    private ObjectId rewrite(ObjectId tree, Node node, String dir, long[] delta)
            throws IOException, StaleEditException {
        Map<String, Entry> entries = read(tree);
        for (Map.Entry<String, Node> c : node.children.entrySet()) {
            String path = dir + "/" + c.getKey();
            Node child = c.getValue();
            Entry old = entries.get(c.getKey());
            Entry now = old;
            Edit e = child.edit;
            if (e != null) {
                if (e.checkOld() && !Objects.equals(old == null ? null : old.id(), e.old())) {
                    throw new StaleEditException(path);
                }
                now = switch (e.kind()) {
                    case PUT -> {
                        if (old != null && old.isTree()) {
                            throw SluiceException.invalid("cannot put a file at '" + path + "': it is a directory");
                        }
                        yield new Entry(e.mode(), e.id());
                    }
                    case SET -> new Entry(e.mode(), e.id());
                    case DELETE -> {
                        if (old == null) {
                            throw SluiceException.notFound("no file or directory '" + path + "'");
                        }
                        yield null;
                    }
                    case REMOVE -> null;
                };
                long oldSize = old == null ? 0 : cache.size(reader, old.mode(), old.id());
                delta[0] += (now == null ? 0 : e.size()) - oldSize;
            }
            if (!child.children.isEmpty()) {
                if (now != null && !now.isTree()) {
                    boolean moot = child.children.values().stream().allMatch(TreeEditor::onlyRemoves);
                    if (!moot) {
                        throw SluiceException.invalid("cannot write under '" + path + "': it is a file");
                    }
                } else {
                    ObjectId sub = rewrite(now == null ? null : now.id(), child, path, delta);
                    now = sub == null ? null : new Entry(FileMode.TREE, sub);
                }
            }
            if (now == null) {
                entries.remove(c.getKey());
            } else {
                entries.put(c.getKey(), now);
            }
        }
        return entries.isEmpty() ? null : write(entries);
    }

    private static boolean onlyRemoves(Node n) {
        return (n.edit == null || n.edit.kind() == Kind.REMOVE)
                && n.children.values().stream().allMatch(TreeEditor::onlyRemoves);
    }

    private Map<String, Entry> read(ObjectId tree) throws IOException {
        Map<String, Entry> entries = new HashMap<>();
        if (tree != null) {
            for (CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree); !p.eof(); p.next()) {
                entries.put(p.getEntryPathString(), new Entry(p.getEntryFileMode(), p.getEntryObjectId()));
            }
        }
        return entries;
    }

    private ObjectId write(Map<String, Entry> entries) throws IOException {
        List<Map.Entry<byte[], Entry>> sorted = new ArrayList<>(entries.size());
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            sorted.add(Map.entry(e.getKey().getBytes(StandardCharsets.UTF_8), e.getValue()));
        }
        sorted.sort((a, b) -> gitOrder(a.getKey(), a.getValue().isTree(), b.getKey(), b.getValue().isTree()));
        TreeFormatter f = new TreeFormatter(entries.size() * 40);
        for (Map.Entry<byte[], Entry> e : sorted) {
            f.append(e.getKey(), e.getValue().mode(), e.getValue().id());
        }
        return inserter.insert(f);
    }

    /** Git's tree order: byte-wise, with a directory compared as if its name ended in '/'. */
    private static int gitOrder(byte[] a, boolean aTree, byte[] b, boolean bTree) {
        int n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) {
            int d = (a[i] & 0xff) - (b[i] & 0xff);
            if (d != 0) {
                return d;
            }
        }
        int ca = a.length > n ? a[n] & 0xff : aTree ? '/' : 0;
        int cb = b.length > n ? b[n] & 0xff : bTree ? '/' : 0;
        return ca - cb;
    }
}
