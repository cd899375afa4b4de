package io.sluice.pfs;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.SluiceException;
import io.sluice.Waiters;
import io.sluice.pfs.DataRepo.Indexed;
import io.sluice.pfs.DataRepo.RefKind;
import io.sluice.pfs.TreeEditor.Edit;
import io.sluice.storage.ObjectStore;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.TreeFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static io.sluice.pfs.Io.io;

/**
 * The versioned file system: repos, branches, commits and files, kept as one bare JGit repository per
 * data repo (commit graph, refs, trees of small file manifests) with file bytes chunked into an
 * {@link ObjectStore}. Every method is safe to call from many threads; a finished commit is durable
 * before the call that finished it returns.
 *
 * <p>A {@code ref} argument is a branch name, a commit id, or either followed by {@code ^N} for its
 * N-th ancestor. Reading files through a branch only ever sees its finished head; inspecting or waiting
 * on a bare branch name that has an open commit gives that open commit. Errors the caller can act on are
 * {@link io.sluice.SluiceException}s.
 */
public final class PfsService implements Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(PfsService.class);

    private final Path root;
    private final ObjectMapper json = new ObjectMapper();
    final MetaCache cache = new MetaCache(json.getFactory(), 500_000, 100_000);
    final ChunkStore chunks;
    final TreeReader reads;
    final CommitEvents events = new CommitEvents();
    final Map<String, DataRepo> repos = new ConcurrentHashMap<>();
    private final Map<String, String> damagedRepos = new java.util.TreeMap<>();
    private final SecureRandom random = new SecureRandom();

    /** Opens (creating if needed) the repos under {@code dataDir/pfs}, storing chunks in {@code store}. */
    public PfsService(Path dataDir, ObjectStore store) {
        this(dataDir, store, new Chunker());
    }

    /** As {@link #PfsService(Path, ObjectStore)} with a custom chunker (small sizes make tests fast). */
    public PfsService(Path dataDir, ObjectStore store, Chunker chunker) {
        this.root = dataDir.resolve("pfs");
        this.chunks = new ChunkStore(store, chunker, cache);
        this.reads = new TreeReader(cache, store);
        try {
            Files.createDirectories(root);
            try (Stream<Path> entries = Files.list(root)) {
                for (Path p : entries.toList()) {
                    String name = p.getFileName().toString();
                    if (name.startsWith(".tmp-") || name.startsWith(".trash-")) {
                        deleteTree(p);
                    } else if (name.endsWith(".git") && Files.isDirectory(p)) {
                        open(name.substring(0, name.length() - 4));
                    }
                }
            }
        } catch (IOException e) {
            close();
            throw SluiceException.unavailable("cannot open the repos under " + root + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens one repo; a damaged one (an empty or cut-short Git object or ref a crash or the disk left) is left
     * out and reported in {@link #damaged()} instead of keeping the daemon from starting.
     */
    private void open(String repo) {
        try {
            repos.put(repo, DataRepo.open(root, repo, json));
        } catch (IOException | RuntimeException e) {
            String why = String.valueOf(e.getMessage()).replace(root.toAbsolutePath().toString(), "pfs").lines()
                    .findFirst().orElse("");
            damagedRepos.put(repo, "repo " + repo + " is damaged and was left out (" + why + "); its data stays in "
                    + "pfs/" + repo + ".git for repair");
            LOG.error("pfs: {}", damagedRepos.get(repo));
        }
    }

    /** Repos that could not be opened at start, one readable line each. */
    public List<String> damaged() {
        return List.copyOf(damagedRepos.values());
    }

    /** Bytes of chunks this service has written to the store (deduplicated chunks do not count). */
    public long storedBytes() {
        return chunks.storedBytes();
    }

    /** The object store holding the chunks. */
    public ObjectStore store() {
        return chunks.store();
    }

    // ---- repos

    public RepoInfo createRepo(String name, String description) {
        Ref.checkRepoName(name);
        synchronized (repos) {
            if (repos.containsKey(name)) {
                throw SluiceException.conflict("repo '" + name + "' already exists");
            }
            if (damagedRepos.containsKey(name)) {
                throw SluiceException.conflict("repo '" + name + "' exists but is damaged; see fsck");
            }
            DataRepo r = io(() -> DataRepo.create(root, name, description, json));
            repos.put(name, r);
            return repoInfo(r);
        }
    }

    /** Every repo, newest first (as pachctl lists them). */
    public List<RepoInfo> listRepos() {
        return repos.values().stream().map(this::repoInfo)
                .sorted(Comparator.comparing(RepoInfo::created).reversed().thenComparing(RepoInfo::name)).toList();
    }

    public RepoInfo inspectRepo(String name) {
        return repoInfo(repo(name));
    }

    public void deleteRepo(String name) {
        synchronized (repos) {
            DataRepo r = repo(name);
            repos.remove(name);
            r.close();
            io(() -> {
                Path trash = root.resolve(".trash-" + name + "-" + System.nanoTime());
                Files.move(r.dir, trash);
                DataRepo.fsync(root);
                deleteTree(trash);
                return null;
            });
        }
    }

    private RepoInfo repoInfo(DataRepo r) {
        return io(() -> {
            List<String> branches = r.branchNames();
            long size = 0;
            ObjectId master = r.head(Ref.DEFAULT_BRANCH);
            if (master != null) {
                size = r.atCommit(master).meta().size();
            } else {
                for (String b : branches) {
                    ObjectId head = r.head(b);
                    size = Math.max(size, head == null ? 0 : r.atCommit(head).meta().size());
                }
            }
            return new RepoInfo(r.name, r.description(), r.created(), size, branches);
        });
    }

    /** The open repo {@code name}; NOT_FOUND if there is none. */
    DataRepo repo(String name) {
        Ref.checkRepoName(name);
        DataRepo r = repos.get(name);
        if (r == null) {
            throw SluiceException.notFound("no repo '" + name + "'");
        }
        return r;
    }

    // ---- commits

    /** Opens a commit on {@code branch} (created if missing); puts to the branch go into it until finished. */
    public CommitInfo startCommit(String repo, String branch, String description, List<CommitRef> provenance) {
        DataRepo r = repo(repo);
        Ref.checkBranchName(branch);
        List<CommitRef> prov = provenance == null ? List.of() : provenance;
        String set = setOf(prov);
        ReentrantLock lock = r.lock(branch);
        lock.lock();
        try {
            return io(() -> {
                ObjectId open = r.open(branch);
                if (open != null) {
                    throw SluiceException.conflict(repo + "@" + branch + " already has an open commit "
                            + r.atCommit(open).meta().id() + ": finish it first");
                }
                ObjectId head = r.head(branch);
                Indexed h = head == null ? null : r.atCommit(head);
                CommitMeta meta = new CommitMeta(newId(), branch, h == null ? null : h.meta().id(),
                        description == null ? "" : description, Instant.now(), null,
                        h == null ? 0 : h.meta().size(), prov, set);
                try (DataRepo.Writer w = r.new Writer()) {
                    ObjectId tree = h == null ? r.emptyTree(w.inserter()) : h.tree();
                    ObjectId c = r.writeCommit(w.inserter(), tree, head, meta);
                    w.flush();
                    if (!r.cas(RefKind.OPEN, branch, null, c)) {
                        throw SluiceException.conflict(repo + "@" + branch + " got an open commit concurrently");
                    }
                    r.remember(new Indexed(meta, c, tree, head));
                }
                return meta.info(repo);
            });
        } finally {
            lock.unlock();
        }
    }

    /** Finishes the open commit on {@code branch} and moves the branch head to it. */
    public CommitInfo finishCommit(String repo, String branch) {
        DataRepo r = repo(repo);
        Ref.checkBranchSyntax(branch);
        CommitInfo done;
        ReentrantLock lock = r.lock(branch);
        lock.lock();
        try {
            done = io(() -> {
                ObjectId open = r.open(branch);
                if (open == null) {
                    throw SluiceException.notFound(repo + "@" + branch + " has no open commit");
                }
                Indexed wip = r.atCommit(open);
                try (DataRepo.Writer w = r.new Writer(); ObjectReader reader = r.git.newObjectReader()) {
                    return DataRepo.retry(() -> {
                        ObjectId head = r.head(branch);
                        Indexed h = head == null ? null : r.atCommit(head);
                        ObjectId tree = wip.tree();
                        long size = wip.meta().size();
                        if (!java.util.Objects.equals(head, wip.parentCommit())) {
                            // the branch moved since the commit was started: re-apply its changes on the new head
                            ObjectId base = wip.parentCommit() == null ? null : r.atCommit(wip.parentCommit()).tree();
                            List<Edit> edits = diffEdits(reader, base, wip.tree());
                            TreeEditor.Result res;
                            try {
                                res = applyEdits(reader, w.inserter(), h == null ? null : h.tree(), edits);
                            } catch (TreeEditor.StaleEditException e) {
                                throw new IllegalStateException("re-applied edits never check their basis", e);
                            }
                            tree = res.tree();
                            size = (h == null ? 0 : h.meta().size()) + res.sizeDelta();
                        }
                        CommitMeta meta = wip.meta().finish(h == null ? null : h.meta().id(), Instant.now(), size);
                        ObjectId c = r.writeCommit(w.inserter(), tree, head, meta);
                        w.flush();
                        if (!r.cas(RefKind.HEAD, branch, head, c)) {
                            return null;
                        }
                        r.remember(new Indexed(meta, c, tree, head));
                        r.cas(RefKind.OPEN, branch, open, null);
                        return meta.info(repo);
                    });
                }
            });
        } finally {
            lock.unlock();
        }
        events.published(done);
        return done;
    }

    /**
     * Drops the open commit on {@code branch} with everything put into it, leaving the branch head where it
     * was (pps does this when a job fails after opening its output commit); false when none was open.
     */
    public boolean abandonCommit(String repo, String branch) {
        DataRepo r = repo(repo);
        Ref.checkBranchSyntax(branch);
        ReentrantLock lock = r.lock(branch);
        lock.lock();
        try {
            return io(() -> {
                ObjectId open = r.open(branch);
                if (open == null) {
                    return false;
                }
                r.cas(RefKind.OPEN, branch, open, null);
                r.prune();
                return true;
            });
        } finally {
            lock.unlock();
        }
    }

    public CommitInfo inspectCommit(String repo, String ref) {
        DataRepo r = repo(repo);
        return resolve(r, ref, true).meta().info(repo);
    }

    /**
     * As {@link #listCommit(String, String, int)}, with the open commit of the branch (of every branch when
     * {@code branch} is null) first when {@code includeOpen}: what a user listing commits expects to see
     * after {@code start commit}, as pachctl shows it.
     */
    public List<CommitInfo> listCommit(String repo, String branch, int limit, boolean includeOpen) {
        // validated and checked for existence before any ref is read: a hostile name never reaches Git
        List<CommitInfo> finished = listCommit(repo, branch, limit);
        if (!includeOpen) {
            return finished;
        }
        DataRepo r = repo(repo);
        int max = limit <= 0 ? Integer.MAX_VALUE : limit;
        List<CommitInfo> out = new ArrayList<>();
        io(() -> {
            for (String b : branch != null ? List.of(branch) : r.branchNames()) {
                ObjectId open = r.open(b);
                if (open != null && out.size() < max) {
                    out.add(r.atCommit(open).meta().info(repo));
                }
            }
            return null;
        });
        for (CommitInfo c : finished) {
            if (out.size() < max) {
                out.add(c);
            }
        }
        return out;
    }

    /** Finished commits newest first: of {@code branch}'s history, or of every branch when it is null. */
    public List<CommitInfo> listCommit(String repo, String branch, int limit) {
        DataRepo r = repo(repo);
        int max = limit <= 0 ? Integer.MAX_VALUE : limit;
        return io(() -> {
            List<CommitInfo> out = new ArrayList<>();
            if (branch != null) {
                Ref.checkBranchSyntax(branch);
                ObjectId head = r.head(branch);
                if (head == null) {
                    if (r.open(branch) == null) {
                        throw SluiceException.notFound("no branch '" + branch + "' in repo " + repo);
                    }
                    return out;
                }
                Indexed x = r.atCommit(head);
                while (x != null && out.size() < max) {
                    out.add(x.meta().info(repo));
                    x = x.meta().parent() == null ? null : r.byId(x.meta().parent());
                }
                return out;
            }
            Set<String> seen = new HashSet<>();
            List<CommitMeta> all = new ArrayList<>();
            for (ObjectId head : r.finishedHeads()) {
                Indexed x = r.atCommit(head);
                while (x != null && seen.add(x.meta().id())) {
                    all.add(x.meta());
                    x = x.meta().parent() == null ? null : r.byId(x.meta().parent());
                }
            }
            all.sort(Comparator.comparing(CommitMeta::finished).thenComparing(CommitMeta::started).reversed());
            for (CommitMeta m : all.subList(0, Math.min(max, all.size()))) {
                out.add(m.info(repo));
            }
            return out;
        });
    }

    /**
     * Blocks until the commit {@code ref} names is finished, or the timeout passes; returns it either way
     * (check {@link CommitInfo#isFinished()}). A bare branch name waits for its open commit, if any.
     */
    public CommitInfo waitCommit(String repo, String ref, Duration timeout) {
        return Waiters.join(awaitCommit(repo, ref, timeout));
    }

    /** As {@link #waitCommit} without holding a thread: the future completes when the commit is finished. */
    public CompletableFuture<CommitInfo> awaitCommit(String repo, String ref, Duration timeout) {
        DataRepo r = repo(repo);
        String id = resolve(r, ref, true).meta().id();
        Supplier<CommitInfo> current = () -> {
            Indexed x = r.byId(id);
            if (x == null || repos.get(repo) != r) {
                throw SluiceException.notFound("commit " + repo + "@" + id + " was deleted");
            }
            return x.meta().info(repo);
        };
        return events.awaitFinished(repo, id, timeout, current);
    }

    // ---- branches

    /**
     * Creates {@code branch} pointing at {@code headRef}, or at a new empty commit when it is null; with a
     * head, an existing branch is moved there.
     */
    public BranchInfo createBranch(String repo, String branch, String headRef) {
        DataRepo r = repo(repo);
        Ref.checkBranchName(branch);
        CommitInfo created = null;
        BranchInfo out;
        ReentrantLock lock = r.lock(branch);
        lock.lock();
        try {
            ObjectId existing = io(() -> r.head(branch));
            if (headRef == null) {
                if (existing != null || io(() -> r.open(branch)) != null) {
                    throw SluiceException.conflict("branch '" + branch + "' already exists in repo " + repo);
                }
                created = io(() -> {
                    Indexed empty = emptyCommit(r, branch);
                    if (!r.cas(RefKind.HEAD, branch, null, empty.commit())) {
                        throw SluiceException.conflict("branch '" + branch + "' was created concurrently");
                    }
                    r.remember(empty);
                    return empty.meta().info(repo);
                });
                out = new BranchInfo(repo, branch, created.id());
            } else {
                Indexed target = resolve(r, headRef, false);
                if (!io(() -> r.keepThenMove(branch, existing, target.commit()))) {
                    throw SluiceException.conflict("branch '" + branch + "' moved concurrently; try again");
                }
                out = new BranchInfo(repo, branch, target.meta().id());
            }
        } finally {
            lock.unlock();
        }
        if (created != null) {
            events.published(created);
        }
        return out;
    }

    /** A new finished root commit of {@code branch} with no files, durable but on no ref yet. */
    Indexed emptyCommit(DataRepo r, String branch) throws IOException {
        Instant now = Instant.now();
        CommitMeta meta = new CommitMeta(newId(), branch, null, "", now, now, 0, List.of(), null);
        try (DataRepo.Writer w = r.new Writer()) {
            ObjectId tree = r.emptyTree(w.inserter());
            ObjectId c = r.writeCommit(w.inserter(), tree, null, meta);
            w.flush();
            return new Indexed(meta, c, tree, null);
        }
    }

    public List<BranchInfo> listBranch(String repo) {
        DataRepo r = repo(repo);
        return io(() -> {
            List<BranchInfo> out = new ArrayList<>();
            for (String b : r.branchNames()) {
                ObjectId head = r.head(b);
                out.add(new BranchInfo(repo, b, head == null ? null : r.atCommit(head).meta().id()));
            }
            return out;
        });
    }

    /**
     * Deletes the branch and discards its open commit, if any. As in Pachyderm its finished commits are kept:
     * readable by id, listed by {@code listCommit(repo, null, ...)}, their chunks safe from gc.
     */
    public void deleteBranch(String repo, String branch) {
        DataRepo r = repo(repo);
        Ref.checkBranchSyntax(branch); // a branch spelled like a commit id, from an older data dir, can go
        ReentrantLock lock = r.lock(branch);
        lock.lock();
        try {
            io(() -> {
                ObjectId head = r.head(branch);
                ObjectId open = r.open(branch);
                if (head == null && open == null) {
                    throw SluiceException.notFound("no branch '" + branch + "' in repo " + repo);
                }
                if (open != null) {
                    r.cas(RefKind.OPEN, branch, open, null);
                }
                if (head != null) {
                    // kept before the branch goes: its commits stay readable by id and their chunks survive gc
                    r.keep(head);
                    r.cas(RefKind.HEAD, branch, head, null);
                }
                r.prune();
                return null;
            });
        } finally {
            lock.unlock();
        }
    }

    // ---- files

    /**
     * Starts a set of file changes to {@code branch} that lands as one commit (or into the branch's open
     * commit) on {@link FileBatch#commit()}; use it for many files, such as a directory put recursively.
     * The batch must be committed or closed by the thread that opened it.
     */
    public FileBatch openBatch(String repo, String branch) {
        DataRepo r = repo(repo);
        Ref.checkBranchName(branch);
        return new FileBatch(this, r, branch, null, List.of(), null);
    }

    /**
     * Starts a set of file changes that lands as one new finished commit on {@code branch}, carrying
     * {@code description} and {@code provenance}, in a single step: no open commit is ever visible, and a
     * crash before {@link FileBatch#commit()} returns leaves the branch as it was. The changes apply to the
     * branch head as it is when committed, so a commit that keeps most of its parent's files only names the
     * files that change. CONFLICT at commit when the branch has an open commit.
     */
    public FileBatch openBatch(String repo, String branch, String description, List<CommitRef> provenance) {
        DataRepo r = repo(repo);
        Ref.checkBranchName(branch);
        List<CommitRef> prov = provenance == null ? List.of() : List.copyOf(provenance);
        return new FileBatch(this, r, branch, description == null ? "" : description, prov, setOf(prov));
    }

    /**
     * Checks that every provenance commit exists and answers the commit set a commit made from them joins:
     * that of the one that finished last (the input whose arrival caused the job), null (a set of its own)
     * without provenance.
     */
    private String setOf(List<CommitRef> prov) {
        CommitMeta newest = null;
        for (CommitRef p : prov) {
            DataRepo pr = repo(p.repo());
            Indexed x = pr.byId(p.id());
            if (x == null) {
                throw SluiceException.notFound("provenance commit " + p + " does not exist");
            }
            CommitMeta m = x.meta();
            if (newest == null || (m.finished() != null
                    && (newest.finished() == null || m.finished().isAfter(newest.finished())))) {
                newest = m;
            }
        }
        return newest == null ? null : newest.setId();
    }

    /**
     * Writes {@code data} to {@code path} on {@code branch}, streaming in constant memory: into the open
     * commit if there is one, otherwise as a commit of its own. Returns the commit written to.
     */
    public CommitInfo putFile(String repo, String branch, String path, InputStream data, boolean append) {
        return inOneBatch(repo, branch, b -> b.put(path, data, append));
    }

    /**
     * Puts every file of the tar stream {@code tar} under {@code dir} on {@code branch} in one step: into the
     * open commit if there is one, otherwise as a commit of its own; all of its files land or none does.
     */
    public CommitInfo putTar(String repo, String branch, String dir, InputStream tar) {
        try (FileBatch b = openBatch(repo, branch)) {
            b.putTar(dir, tar);
            return b.commit();
        }
    }

    /** Copies a file or directory between commits without re-reading its bytes (manifests are shared). */
    public CommitInfo copyFile(String srcRepo, String srcRef, String srcPath, String dstRepo, String dstBranch,
                               String dstPath) {
        return inOneBatch(dstRepo, dstBranch, b -> b.copy(srcRepo, srcRef, srcPath, dstPath));
    }

    public CommitInfo deleteFile(String repo, String branch, String path) {
        return inOneBatch(repo, branch, b -> b.delete(path));
    }

    /**
     * Lands {@code changes} as one batch; when the repo is deleted meanwhile, the write fails as NOT_FOUND
     * saying so (its files vanished under it: not a storage failure, and no server path to show).
     */
    private CommitInfo inOneBatch(String repo, String branch, Consumer<FileBatch> changes) {
        DataRepo r = repo(repo);
        try (FileBatch b = openBatch(repo, branch)) {
            changes.accept(b);
            return b.commit();
        } catch (RuntimeException e) {
            if (repos.get(repo) != r && !(e instanceof SluiceException s && s.kind() != SluiceException.Kind.UNAVAILABLE)) {
                throw SluiceException.notFound("repo '" + repo + "' was deleted while this write was in flight; "
                        + "nothing was written");
            }
            throw e;
        }
    }

    public FileInfo inspectFile(String repo, String ref, String path) {
        DataRepo r = repo(repo);
        String p = Ref.normalizePath(path);
        return reads.inspect(at(r, ref), p);
    }

    /** The direct children of directory {@code dir} ("/" for the root), sorted by path; a file lists itself. */
    public List<FileInfo> listFile(String repo, String ref, String dir) {
        List<FileInfo> out = new ArrayList<>();
        listFile(repo, ref, dir, null, 0, out::add);
        out.sort(Comparator.comparing(FileInfo::path));
        return out;
    }

    /** Files and directories matching a glob ({@code *}, {@code **}, {@code ?}, {@code [...]}), sorted. */
    public List<FileInfo> globFile(String repo, String ref, String pattern) {
        List<FileInfo> out = new ArrayList<>();
        globFile(repo, ref, pattern, null, 0, out::add);
        out.sort(Comparator.comparing(FileInfo::path));
        return out;
    }

    /**
     * Streams the direct children of {@code dir} to {@code out} in tree order (byte-wise by name, a directory
     * sorting as if its name ended in '/'), starting after the cursor {@code after} (null: from the first),
     * at most {@code limit} of them ({@code <= 0}: all); memory does not grow with the directory's size.
     * Returns the cursor of the last entry given when more remain, else null. A file lists itself.
     */
    public String listFile(String repo, String ref, String dir, String after, int limit, Consumer<FileInfo> out) {
        DataRepo r = repo(repo);
        String p = Ref.normalizePath(dir);
        return reads.list(at(r, ref), p, after, limit, out);
    }

    /**
     * As {@link #globFile(String, String, String)}, streamed to {@code out} in tree order after the cursor
     * {@code after}, at most {@code limit} matches; returns the next cursor when more may remain, else null.
     */
    public String globFile(String repo, String ref, String pattern, String after, int limit, Consumer<FileInfo> out) {
        DataRepo r = repo(repo);
        Glob glob = Glob.compile(pattern);
        return reads.glob(at(r, ref), glob, after, limit, out);
    }

    /**
     * Streams {@code length} bytes of a file from {@code offset} ({@code length < 0}: to the end); the stream
     * knows how many bytes it will yield. The first chunk is read and checked before this returns, so damage
     * there fails the call (UNAVAILABLE, naming the file and chunk); damage further on fails a read with a
     * {@link ChunkStream.DamagedChunkException}.
     */
    public ChunkStream getFile(String repo, String ref, String path, long offset, long length) {
        String p = Ref.normalizePath(path);
        return reads.open(at(repo(repo), ref), p, offset, length);
    }

    /**
     * Writes every file under directory {@code dir} to {@code out} as tar members named relative to it, in tree
     * order, streamed one chunk at a time (memory does not grow with the file count), then the end-of-archive
     * block. A missing path or a file fails before anything is written; a damaged chunk fails mid-stream, so
     * the archive ends without its end block and a reader knows it is cut short.
     */
    public void getTree(String repo, String ref, String dir, Tar.Writer out) throws IOException {
        DataRepo r = repo(repo);
        String p = Ref.normalizePath(dir);
        reads.tar(at(r, ref), p, out);
    }

    /**
     * The chunks that hold a file, in order: what a reader with access to the object store (a Kubernetes
     * worker) needs to read it without the daemon; {@link ChunkStream} reads them.
     */
    public List<FileManifest.Chunk> chunks(String repo, String ref, String path) {
        String p = Ref.normalizePath(path);
        return reads.manifest(at(repo(repo), ref), p).chunks();
    }

    /** Paths that differ between two commits, under {@code path} ("/" for all), sorted. */
    public List<FileDiff> diffFile(String repo, String newRef, String oldRef, String path) {
        DataRepo r = repo(repo);
        String p = Ref.normalizePath(path == null ? "/" : path);
        TreeReader.At newer = at(r, newRef);
        TreeReader.At older = at(r, oldRef);
        return reads.diff(newer, older, p);
    }

    /** The finished commit {@code ref} names in {@code r}, to read files from. */
    TreeReader.At at(DataRepo r, String ref) {
        return new TreeReader.At(r, ref, resolve(r, ref, false));
    }

    // ---- maintenance

    /**
     * Re-reads every chunk reachable from any commit and checks its SHA-256; returns the problems found. It
     * waits for no write and no gc (gc only deletes what no ref reached when it looked).
     */
    public List<String> fsck() {
        return chunks.fsck(sortedRepos());
    }

    /**
     * Deletes the chunks that no ref reaches (branch heads, open commits, and the kept heads of deleted or
     * moved branches) and that no write in progress has pinned; returns how many were deleted. It never waits
     * for a write, however slow: a slow upload's chunks are pinned, not waited for.
     */
    public long gc() {
        return chunks.gc(sortedRepos(), r -> repos.get(r.name) == r);
    }

    /** The open repos by name. */
    List<DataRepo> sortedRepos() {
        return repos.values().stream().sorted(Comparator.comparing(r -> r.name)).toList();
    }

    // ---- events

    /**
     * Calls {@code listener} after every finished commit, once its branch has moved, on a single event
     * thread (in finishing order, so a slow listener delays the others); close the handle to stop.
     */
    public Closeable subscribe(Consumer<CommitInfo> listener) {
        return events.subscribe(listener);
    }

    @Override
    public void close() {
        chunks.close();
        events.close();
        synchronized (repos) {
            repos.values().forEach(DataRepo::close);
            repos.clear();
        }
    }

    TreeEditor.Result applyEdits(ObjectReader reader, ObjectInserter ins, ObjectId base, List<Edit> edits)
            throws IOException, TreeEditor.StaleEditException {
        return new TreeEditor(reader, ins, cache).apply(base, edits);
    }

    /** The changes from tree {@code from} to tree {@code to} as edits that redo them on another tree. */
    private List<Edit> diffEdits(ObjectReader reader, ObjectId from, ObjectId to) throws IOException {
        List<Edit> edits = new ArrayList<>();
        try (TreeWalk tw = new TreeWalk(reader)) {
            tw.addTree(to);
            if (from == null) {
                tw.addTree(new org.eclipse.jgit.treewalk.EmptyTreeIterator());
            } else {
                tw.addTree(from);
            }
            tw.setRecursive(true);
            tw.setFilter(TreeFilter.ANY_DIFF);
            while (tw.next()) {
                String p = "/" + tw.getPathString();
                if (tw.getFileMode(0) == FileMode.MISSING) {
                    edits.add(new Edit(p, TreeEditor.Kind.REMOVE, null, null, 0, false, null));
                } else {
                    ObjectId id = tw.getObjectId(0);
                    edits.add(new Edit(p, TreeEditor.Kind.SET, tw.getFileMode(0), id,
                            cache.file(reader, id).size(), false, null));
                }
            }
        }
        return edits;
    }

    // ---- reading

    /**
     * The commit {@code ref} names. A commit id means that commit, always: new branches cannot be spelled like
     * one, and one that an older data dir holds never shadows a commit (what a job read must be what its
     * provenance names). A branch name means its finished head, or with {@code preferOpen} its open commit if
     * it has one.
     */
    Indexed resolve(DataRepo r, String ref, boolean preferOpen) {
        Ref rev = Ref.parseRevision(ref);
        String name = rev.name();
        return io(() -> {
            Indexed x = Ref.looksLikeCommitId(name) ? r.byId(name) : null;
            if (x == null && Ref.looksLikeCommitId(name)) {
                x = inSet(r, name);
            }
            if (x == null) {
                ObjectId open = preferOpen && rev.ancestry() == 0 ? r.open(name) : null;
                ObjectId head = open != null ? open : r.head(name);
                x = head == null ? null : r.atCommit(head);
            }
            if (x == null) {
                if (r.open(name) != null) {
                    throw SluiceException.notFound(r.name + "@" + name + " has no finished commit yet");
                }
                throw SluiceException.notFound("repo " + r.name + " has no branch or commit '" + name + "'");
            }
            for (int i = 0; i < rev.ancestry(); i++) {
                String parent = x.meta().parent();
                if (parent == null) {
                    throw SluiceException.notFound(r.name + "@" + ref + " goes back past the first commit");
                }
                x = r.byId(parent);
                if (x == null) {
                    throw SluiceException.notFound(r.name + "@" + ref + ": ancestor " + parent + " is gone");
                }
            }
            return x;
        });
    }

    /**
     * The repo's commit in commit set {@code set} (Pachyderm's {@code repo@<global id>}): the newest finished
     * one if several (a job re-run after a restart), else its open one; null if it has none.
     */
    private Indexed inSet(DataRepo r, String set) {
        Indexed best = null;
        Indexed open = null;
        for (Indexed x : r.inSet(set)) {
            CommitMeta m = x.meta();
            if (m.finished() == null) {
                open = x;
            } else if (best == null || m.finished().isAfter(best.meta().finished())) {
                best = x;
            }
        }
        return best != null ? best : open;
    }

    /**
     * Every commit of commit set {@code set} in every repo, newest first: what each repo's index holds for it,
     * so the cost grows with the set, not with the store.
     */
    public List<CommitInfo> commitsInSet(String set) {
        List<CommitInfo> out = new ArrayList<>();
        for (DataRepo r : repos.values()) {
            for (Indexed x : r.inSet(set)) {
                out.add(x.meta().info(r.name));
            }
        }
        out.sort(Comparator.comparing(CommitInfo::started).reversed());
        return out;
    }

    /** The ids of every commit set with a commit in some repo. */
    public Set<String> commitSetIds() {
        Set<String> out = new HashSet<>();
        repos.values().forEach(r -> out.addAll(r.setIds()));
        return out;
    }

    String newId() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
