package io.sluice.pfs;

import io.sluice.SluiceException;
import io.sluice.pfs.DataRepo.Indexed;
import io.sluice.pfs.DataRepo.RefKind;
import io.sluice.pfs.TreeReader.Entry;
import io.sluice.pfs.TreeEditor.Edit;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import static io.sluice.pfs.Io.io;
import static io.sluice.pfs.TreeReader.noFile;

/**
 * File changes to one branch that land together as one commit, or into the branch's open commit, when
 * {@link #commit()} is called; file bytes are chunked and stored as each put streams in. Closing an
 * uncommitted batch drops its changes (its chunks are left for gc). Not thread-safe.
 */
public final class FileBatch implements Closeable {
    /** Small files of one tar upload being hashed and stored at once. */
    private static final int SMALL_FILES_IN_FLIGHT = 64;

    private final ChunkStore chunks;
    private final MetaCache cache;
    private final Commits commits;
    private final RepoRegistry repos;
    private final CommitEvents events;
    private final DataRepo r;
    private final String branch;
    private final DataRepo.Writer writer;
    /** Edits that are not plain puts: appends, copies, deletes; applied before {@link #puts}. */
    private final Map<String, Pending> pending = new LinkedHashMap<>();
    /** Plain puts, a few bytes each however many: what a many-file upload is made of. */
    private final PutLog puts = new PutLog();
    private final String commitId;
    private final Instant started = Instant.now();
    /** Null: land into the open commit if there is one; else always a commit of its own with these. */
    private final String description;
    private final List<CommitRef> provenance;
    private final String set;
    /** Every chunk this batch writes or reuses, safe from gc until the batch closes (after its commit). */
    private final ChunkPins.Holder pinned;
    /** Where the new chunks of small tar members go: a few pack objects rather than an object each. */
    private final PackWriter packs;
    private boolean closed;

    /** An edit and, for an append, what is needed to redo it if its basis changed: the bytes it added. */
    private record Pending(Edit edit, FileManifest written, long appendedFrom) {
    }

    /** The parts of the file system a batch works with, the same for every batch of one {@link PfsService}. */
    record Parts(ChunkStore chunks, MetaCache cache, Commits commits, RepoRegistry repos, CommitEvents events) {
    }

    FileBatch(Parts parts, DataRepo r, String branch, String description, List<CommitRef> provenance, String set) {
        this.chunks = parts.chunks();
        this.cache = parts.cache();
        this.commits = parts.commits();
        this.repos = parts.repos();
        this.events = parts.events();
        this.commitId = commits.newId();
        this.pinned = chunks.pinHolder();
        this.packs = chunks.packWriter(pinned);
        this.r = r;
        this.branch = branch;
        this.description = description;
        this.provenance = provenance;
        this.set = set;
        this.writer = r.new Writer();
    }

    /** Streams {@code data} into {@code path}, replacing the file or ({@code append}) extending it. */
    public void put(String path, InputStream data, boolean append) {
        String p = Ref.normalizePath(path);
        if (p.equals("/")) {
            throw SluiceException.invalid("cannot put a file at '/': give a file path");
        }
        check();
        io(() -> {
            Pending before = pending.get(p);
            ObjectId logged = append ? puts.get(p) : null;
            FileManifest basis = null;
            ObjectId basisId = null;
            boolean checkOld = append;
            if (logged != null) { // appending to a file this batch put: it is the basis, whatever is there now
                try (ObjectReader reader = writer.reader()) { // its manifest may be in the unflushed pack
                    basis = cache.manifest(reader, logged);
                }
                checkOld = false;
            } else if (append && before != null && before.edit().kind() == TreeEditor.Kind.PUT) {
                basis = before.written();
                checkOld = before.edit().checkOld();
                basisId = before.edit().old();
            } else if (append) {
                ObjectId tree = currentTree();
                Entry e = r.read(reader -> cache.lookup(reader, tree, p));
                if (e != null && e.mode() == FileMode.TREE) {
                    throw SluiceException.invalid("cannot append to '" + p + "': it is a directory");
                }
                if (e != null) {
                    basis = r.read(reader -> cache.manifest(reader, e.id()));
                    basisId = e.id();
                }
            }
            long from = before != null && before.edit().kind() == TreeEditor.Kind.PUT && append
                    ? before.appendedFrom() : basis == null ? 0 : basis.size();
            record(p, chunks.write(basis, data, pinned), checkOld, basisId, from);
            return null;
        });
    }

    private void record(String p, List<FileManifest.Chunk> chunks, boolean checkOld, ObjectId basisId, long from)
            throws IOException {
        FileManifest m = FileManifest.of(chunks);
        ObjectId blob = writer.inserter().insert(Constants.OBJ_BLOB, m.toJson());
        cache.remember(blob, m);
        if (checkOld) {
            edit(p, new Pending(new Edit(p, TreeEditor.Kind.PUT, FileMode.REGULAR_FILE, blob, m.size(), true, basisId),
                    m, from));
        } else {
            pending.remove(p);
            puts.put(p, blob, m.size());
        }
        writer.bound();
    }

    /** Records an edit that is not a plain put; it replaces any earlier change of the same path. */
    private void edit(String p, Pending edit) {
        puts.remove(p);
        pending.put(p, edit);
    }

    /**
     * Puts every file of a tar stream under directory {@code dir}, replacing files of the same paths; small
     * files are hashed and stored in parallel, larger ones streamed through the chunker. Returns how many
     * files it put. A stream that is not tar, or ends before its end-of-archive block, fails and (the
     * batch then being closed uncommitted) lands nothing.
     */
    public int putTar(String dir, InputStream tar) {
        String base = Ref.normalizePath(dir);
        check();
        return io(() -> {
            Tar.Reader in = new Tar.Reader(tar);
            java.util.ArrayDeque<SmallFile> window = new java.util.ArrayDeque<>();
            int files = 0;
            try {
                for (Tar.Entry e; (e = in.next()) != null; ) {
                    if (e.directory()) {
                        continue; // a directory exists through its files, as in Git
                    }
                    String p = Ref.normalizePath(base + "/" + e.path());
                    if (p.equals(base) || p.equals("/")) {
                        throw SluiceException.invalid("tar member '" + e.path() + "' has no file name");
                    }
                    files++;
                    if (e.size() <= chunks.smallFileLimit()) {
                        if (!chunks.tryReserve(e.size())) {
                            packs.seal(); // the open pack's memory first, rather than wait on other uploads
                            chunks.reserve(e.size());
                        }
                        byte[] bytes;
                        try {
                            bytes = in.data().readAllBytes();
                        } catch (IOException | RuntimeException failed) {
                            chunks.release(e.size());
                            throw failed;
                        }
                        window.add(new SmallFile(p, bytes, chunks.hashSmall(bytes, pinned)));
                        while (window.size() >= SMALL_FILES_IN_FLIGHT) {
                            settle(window.poll());
                        }
                    } else {
                        while (!window.isEmpty()) {
                            settle(window.poll());
                        }
                        record(p, chunks.write(null, in.data(), pinned), false, null, 0);
                    }
                }
                while (!window.isEmpty()) {
                    settle(window.poll());
                }
            } finally {
                for (SmallFile f : window) {
                    try {
                        f.chunk().join();
                    } catch (RuntimeException ignored) {
                        // the batch fails anyway; this only waits to give the memory back
                    }
                    chunks.release(f.size());
                }
            }
            return files;
        });
    }

    private record SmallFile(String path, byte[] bytes, java.util.concurrent.CompletableFuture<ChunkStore.Small> chunk) {
        int size() {
            return bytes.length;
        }
    }

    /** Waits for a small file's chunk, packs its bytes if they are not stored yet, and records the file. */
    private void settle(SmallFile f) throws IOException {
        ChunkStore.Small s;
        try {
            s = f.chunk().join();
        } catch (java.util.concurrent.CompletionException e) {
            chunks.release(f.size());
            if (e.getCause() instanceof java.io.UncheckedIOException u) {
                throw u.getCause();
            }
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
        if (s == null || s.stored()) {
            chunks.release(f.size());
            record(f.path(), s == null ? List.of() : List.of(s.chunk()), false, null, 0);
        } else {
            // the pack takes the file's share of upload memory until it is written
            record(f.path(), List.of(packs.append(s.chunk(), f.bytes())), false, null, 0);
        }
    }

    /** Copies a file or directory of {@code srcRepo@srcRef} to {@code dstPath}, sharing its manifests. */
    public void copy(String srcRepo, String srcRef, String srcPath, String dstPath) {
        String sp = Ref.normalizePath(srcPath);
        String dp = Ref.normalizePath(dstPath);
        check();
        long quiet = chunks.quietMark();
        DataRepo src = repos.get(srcRepo);
        Indexed x = commits.resolve(src, srcRef, false);
        io(() -> {
            try {
                Edit edit = src.read(reader -> {
                    Entry e = cache.lookup(reader, x.tree(), sp);
                    if (e == null) {
                        throw noFile(srcRepo, srcRef, sp);
                    }
                    pinCopied(reader, e, srcRepo + "@" + srcRef + ":" + sp, quiet);
                    if (src != r) {
                        copyObjects(reader, e.mode(), e.id());
                    }
                    TreeEditor.Kind kind = e.mode() == FileMode.TREE ? TreeEditor.Kind.SET : TreeEditor.Kind.PUT;
                    return new Edit(dp, kind, e.mode(), e.id(), cache.size(reader, e.mode(), e.id()), false, null);
                });
                edit(dp, new Pending(edit, null, 0));
            } catch (IOException e) {
                if (!repos.isCurrent(src)) {
                    throw SluiceException.notFound("repo '" + srcRepo + "' was deleted while copying from it");
                }
                throw e;
            }
            return null;
        });
    }

    /**
     * Pins every chunk the copied entry references, as a write pins what it stores: the source may be
     * deleted and gc run before this batch lands, and then only the pins keep those chunks. If a gc ran
     * since the copy began, a chunk may have gone before its pin: each is checked to be stored still.
     */
    private void pinCopied(ObjectReader reader, Entry e, String what, long quiet) throws IOException {
        List<FileManifest.Chunk> copied = new ArrayList<>();
        if (e.mode() == FileMode.TREE) {
            List<String> problems = new ArrayList<>();
            chunks.walkTree(reader, e.id(), "", what, new HashSet<>(), problems, (where, chunk) -> copied.add(chunk));
            if (!problems.isEmpty()) {
                throw SluiceException.unavailable("cannot copy " + what + ": " + problems.get(0), null);
            }
        } else {
            copied.addAll(cache.manifest(reader, e.id()).chunks());
        }
        copied.forEach(c -> pinned.pin(c.pinName()));
        if (quiet >= 0 && quiet == chunks.quietMark()) {
            return;
        }
        for (FileManifest.Chunk c : copied) {
            if (!chunks.store().exists(c.key())) {
                throw SluiceException.conflict("cannot copy " + what + ": its chunk " + c.id()
                        + " was deleted by a gc while copying (was the source deleted?)");
            }
        }
    }

    /** Deletes a file or a directory with everything under it. */
    public void delete(String path) {
        String p = Ref.normalizePath(path);
        if (p.equals("/")) {
            // '.', '/' and '' all normalise to the root: one typo would empty the branch
            throw SluiceException.invalid("cannot delete '/': that would delete every file; name a file or "
                    + "directory, or delete the repo");
        }
        check();
        Pending before = pending.get(p);
        boolean putHere = puts.get(p) != null || (before != null && before.edit().kind() == TreeEditor.Kind.PUT);
        // a file this batch put is there to delete even if the commit below has none
        edit(p, new Pending(putHere ? new Edit(p, TreeEditor.Kind.REMOVE, null, null, 0, false, null) : Edit.delete(p),
                null, 0));
    }

    /** Deletes a file or a directory with everything under it if it is there (no error when it is not). */
    public void remove(String path) {
        String p = Ref.normalizePath(path);
        check();
        edit(p, new Pending(new Edit(p, TreeEditor.Kind.REMOVE, null, null, 0, false, null), null, 0));
    }

    /** Lands every change as one commit (or into the open commit) and returns that commit. */
    public CommitInfo commit() {
        check();
        try {
            Result result = io(this::land);
            if (result.finished()) {
                events.published(result.info());
            }
            return result.info();
        } finally {
            close();
        }
    }

    private record Result(CommitInfo info, boolean finished) {
    }

    /**
     * Lands the edits with the branch lock held from the open-commit check to the ref move: the lock is
     * the branch's one serialisation point, so no commit can be opened on a head this batch is about to
     * replace (its finish would replay a stale copy of what this batch changed). Only re-chunking a stale
     * append happens outside the lock.
     */
    private Result land() throws IOException {
        // every chunk and pack this batch wrote or found in place, durable before any commit can name it
        packs.seal();
        chunks.store().sync();
        return r.read(reader -> DataRepo.retry(() -> {
            String stale;
            ReentrantLock lock = r.lock(branch);
            lock.lock();
            try {
                ObjectId open = r.open(branch);
                if (open != null && description != null) {
                    throw SluiceException.conflict(r.name + "@" + branch + " has an open commit "
                            + r.atCommit(open).meta().id() + ": finish or drop it first");
                }
                try {
                    return open != null ? intoOpen(open) : ownCommit();
                } catch (TreeEditor.StaleEditException e) {
                    stale = e.path;
                }
            } finally {
                lock.unlock();
            }
            redoAppend(reader, currentTree(), stale);
            return null;
        }));
    }

    /** A commit of its own on the branch head; null if the ref moved underneath (retry). */
    private Result ownCommit() throws IOException, TreeEditor.StaleEditException {
        ObjectId head = r.head(branch);
        Indexed h = head == null ? null : r.atCommit(head);
        TreeEditor.Result res = edit(h == null ? null : h.tree());
        CommitMeta meta = new CommitMeta(commitId, branch, h == null ? null : h.meta().id(),
                description == null ? "" : description, started, Instant.now(),
                (h == null ? 0 : h.meta().size()) + res.sizeDelta(), provenance, set);
        ObjectId c = r.writeCommit(writer.inserter(), res.tree(), head, meta);
        writer.flush();
        if (!r.cas(RefKind.HEAD, branch, head, c)) {
            return null;
        }
        r.remember(new Indexed(meta, c, res.tree(), head));
        return new Result(meta.info(r.name), true);
    }

    /** Applies the edits to the open commit; null if its ref moved underneath (retry). */
    private Result intoOpen(ObjectId open) throws IOException, TreeEditor.StaleEditException {
        Indexed wip = r.atCommit(open);
        TreeEditor.Result res = edit(wip.tree());
        CommitMeta meta = wip.meta().withSize(wip.meta().size() + res.sizeDelta());
        ObjectId c = r.writeCommit(writer.inserter(), res.tree(), wip.parentCommit(), meta);
        writer.flush();
        if (!r.cas(RefKind.OPEN, branch, open, c)) {
            return null;
        }
        r.remember(new Indexed(meta, c, res.tree(), wip.parentCommit()));
        return new Result(meta.info(r.name), false);
    }

    /**
     * The tree {@code base} with this batch's changes: the edits, then the plain puts. So a put under a
     * directory the same batch deletes or copies over is kept whichever came first, as it always was here.
     */
    private TreeEditor.Result edit(ObjectId base) throws IOException, TreeEditor.StaleEditException {
        // each step reads what the steps before it wrote, and this batch's pack is not flushed yet
        TreeEditor.Result edited;
        try (ObjectReader reader = writer.reader()) {
            edited = pending.isEmpty() && base != null ? new TreeEditor.Result(base, 0)
                    : commits.applyEdits(reader, writer.inserter(), base, pending.values().stream().map(Pending::edit).toList());
        }
        if (puts.size() == 0) {
            return edited;
        }
        try (ObjectReader reader = writer.reader()) {
            TreeEditor.Result put = commits.putAll(reader, writer.inserter(), edited.tree(), puts);
            return new TreeEditor.Result(put.tree(), edited.sizeDelta() + put.sizeDelta());
        }
    }

    /** Re-chunks an append onto the file as it is now in {@code base}, reading the added bytes back. */
    private void redoAppend(ObjectReader reader, ObjectId base, String path) throws IOException {
        Pending p = pending.get(path);
        Entry now = cache.lookup(reader, base, path);
        if (now != null && now.mode() == FileMode.TREE) {
            throw SluiceException.conflict("cannot append to '" + path + "': it became a directory");
        }
        FileManifest basis = now == null ? null : cache.manifest(reader, now.id());
        InputStream added = new ChunkStream(chunks.store(), p.written().chunks(), p.appendedFrom(), -1);
        FileManifest m = FileManifest.of(chunks.write(basis, added, pinned));
        ObjectId blob = writer.inserter().insert(Constants.OBJ_BLOB, m.toJson());
        cache.remember(blob, m);
        Edit edit = new Edit(path, TreeEditor.Kind.PUT, FileMode.REGULAR_FILE, blob, m.size(), true,
                now == null ? null : now.id());
        edit(path, new Pending(edit, m, basis == null ? 0 : basis.size()));
    }

    /** The tree appends are chunked against: the open commit's, else the branch head's. */
    private ObjectId currentTree() throws IOException {
        ObjectId open = r.open(branch);
        ObjectId c = open != null ? open : r.head(branch);
        return c == null ? null : r.atCommit(c).tree();
    }

    private void copyObjects(ObjectReader from, FileMode mode, ObjectId id) throws IOException {
        if (r.git.getObjectDatabase().has(id)) {
            return;
        }
        ObjectLoader loader = from.open(id);
        if (mode == FileMode.TREE) {
            for (CanonicalTreeParser t = new CanonicalTreeParser(null, from, id); !t.eof(); t.next()) {
                copyObjects(from, t.getEntryFileMode(), t.getEntryObjectId());
            }
        }
        writer.inserter().insert(loader.getType(), loader.getCachedBytes());
    }

    private void check() {
        if (closed) {
            throw new IllegalStateException("this batch was already committed or closed");
        }
    }

    /** Drops uncommitted changes and unpins the chunks written for them. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            writer.close();
            packs.close();
            pinned.close();
        }
    }
}
