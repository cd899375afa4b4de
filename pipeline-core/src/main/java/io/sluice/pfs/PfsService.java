package io.sluice.pfs;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.SluiceException;
import io.sluice.storage.ObjectStore;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

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

    private final ObjectMapper json = new ObjectMapper();
    /**
     * Up to 500,000 files' sizes and hashes (~200 bytes each), fewer in a small heap: a 256 MiB daemon keeps
     * ~130,000, a tenth of its heap, so that an upload of a million files, which remembers each, stays in it.
     */
    final MetaCache cache = new MetaCache(json.getFactory(),
            (int) Math.max(10_000, Math.min(500_000, Runtime.getRuntime().maxMemory() / 2048)), 100_000, 64L << 20);
    final ChunkStore chunks;
    final TreeReader reads;
    final CommitEvents events = new CommitEvents();
    final RepoRegistry repos;
    final Commits commits;
    private final FileBatch.Parts batchParts;
    /** Done once the pack index holds every packed chunk the repos named at start (tests wait on it). */
    final CompletableFuture<Void> packsIndexed;

    /** Opens (creating if needed) the repos under {@code dataDir/pfs}, storing chunks in {@code store}. */
    public PfsService(Path dataDir, ObjectStore store) {
        this(dataDir, store, new Chunker());
    }

    /** As {@link #PfsService(Path, ObjectStore)} with a custom chunker (small sizes make tests fast). */
    public PfsService(Path dataDir, ObjectStore store, Chunker chunker) {
        this.chunks = new ChunkStore(store, chunker, cache);
        this.reads = new TreeReader(cache, store);
        try {
            this.repos = new RepoRegistry(dataDir.resolve("pfs"), json);
        } catch (RuntimeException e) {
            chunks.close();
            events.close();
            throw e;
        }
        this.commits = new Commits(repos, events, cache);
        this.batchParts = new FileBatch.Parts(chunks, cache, commits, repos, events);
        this.packsIndexed = chunks.indexPacks(repos.sorted());
    }

    /** Repos that could not be opened at start, one readable line each. */
    public List<String> damaged() {
        return repos.damaged();
    }

    /** Bytes of chunks this service has written to the store (deduplicated chunks do not count). */
    public long storedBytes() {
        return chunks.storedBytes();
    }

    /** The object store holding the chunks. */
    public ObjectStore store() {
        return chunks.store();
    }

    // ---- projects

    /** Creates project {@code name}; CONFLICT if it exists ({@code default} always does). */
    public ProjectInfo createProject(String name, String description) {
        return repos.createProject(name, description);
    }

    /** Every project, {@code default} first. */
    public List<ProjectInfo> listProjects() {
        return repos.projects();
    }

    public ProjectInfo inspectProject(String name) {
        return repos.project(name);
    }

    /** Deletes an empty project (its repos deleted first); CONFLICT for {@code default} or one still holding a repo. */
    public void deleteProject(String name) {
        repos.deleteProject(name);
    }

    // ---- repos

    /** Creates repo {@code name}, qualified by its project ({@link Projects}), which must exist. */
    public RepoInfo createRepo(String name, String description) {
        return repos.create(name, description);
    }

    /** Every repo of every project, newest first (as pachctl lists them). */
    public List<RepoInfo> listRepos() {
        return repos.list();
    }

    /** The repos of one project (NOT_FOUND if there is no such project), newest first. */
    public List<RepoInfo> listRepos(String project) {
        repos.project(project);
        return repos.list().stream().filter(r -> r.project().equals(project)).toList();
    }

    public RepoInfo inspectRepo(String name) {
        return repos.info(repos.get(name));
    }

    public void deleteRepo(String name) {
        repos.delete(name);
    }

    // ---- commits and branches

    /** Opens a commit on {@code branch} (created if missing); puts to the branch go into it until finished. */
    public CommitInfo startCommit(String repo, String branch, String description, List<CommitRef> provenance) {
        return commits.startCommit(repo, branch, description, provenance);
    }

    /** Finishes the open commit on {@code branch} and moves the branch head to it. */
    public CommitInfo finishCommit(String repo, String branch) {
        return commits.finishCommit(repo, branch);
    }

    /**
     * Drops the open commit on {@code branch} with everything put into it, leaving the branch head where it
     * was (pps does this when a job fails after opening its output commit); false when none was open.
     */
    public boolean abandonCommit(String repo, String branch) {
        return commits.abandonCommit(repo, branch);
    }

    public CommitInfo inspectCommit(String repo, String ref) {
        return commits.inspectCommit(repo, ref);
    }

    /**
     * As {@link #listCommit(String, String, int)}, with the open commit of the branch (of every branch when
     * {@code branch} is null) first when {@code includeOpen}: what a user listing commits expects to see
     * after {@code start commit}, as pachctl shows it.
     */
    public List<CommitInfo> listCommit(String repo, String branch, int limit, boolean includeOpen) {
        return commits.listCommit(repo, branch, limit, includeOpen);
    }

    /** Finished commits newest first: of {@code branch}'s history, or of every branch when it is null. */
    public List<CommitInfo> listCommit(String repo, String branch, int limit) {
        return commits.listCommit(repo, branch, limit);
    }

    /**
     * Blocks until the commit {@code ref} names is finished, or the timeout passes; returns it either way
     * (check {@link CommitInfo#isFinished()}). A bare branch name waits for its open commit, if any.
     */
    public CommitInfo waitCommit(String repo, String ref, Duration timeout) {
        return commits.waitCommit(repo, ref, timeout);
    }

    /** As {@link #waitCommit} without holding a thread: the future completes when the commit is finished. */
    public CompletableFuture<CommitInfo> awaitCommit(String repo, String ref, Duration timeout) {
        return commits.awaitCommit(repo, ref, timeout);
    }

    /**
     * Creates {@code branch} pointing at {@code headRef}, or at a new empty commit when it is null; with a
     * head, an existing branch is moved there.
     */
    public BranchInfo createBranch(String repo, String branch, String headRef) {
        return commits.createBranch(repo, branch, headRef);
    }

    public List<BranchInfo> listBranch(String repo) {
        return commits.listBranch(repo);
    }

    /**
     * Deletes the branch and discards its open commit, if any. As in Pachyderm its finished commits are kept:
     * readable by id, listed by {@code listCommit(repo, null, ...)}, their chunks safe from gc.
     */
    public void deleteBranch(String repo, String branch) {
        commits.deleteBranch(repo, branch);
    }

    /**
     * The finished commits, in every repo, whose provenance holds commit {@code id} of {@code repo} (what was
     * computed from it, directly or further down), newest first, from an index kept with every commit write.
     */
    public List<CommitInfo> derivedFrom(String repo, String id) {
        return commits.derivedFrom(repo, id);
    }

    /**
     * Every commit of commit set {@code set} in every repo, newest first: what each repo's index holds for it,
     * so the cost grows with the set, not with the store.
     */
    public List<CommitInfo> commitsInSet(String set) {
        return commits.commitsInSet(set);
    }

    /**
     * The ids of the newest {@code limit} commit sets (all when {@code limit <= 0}), newest first by when their
     * first commit started: one pass over the indexes, no walk of any history.
     */
    public List<String> newestCommitSets(int limit) {
        return commits.newestCommitSets(limit);
    }

    // ---- files

    /** Removal of whole commit sets from every repo of this file system ({@code squash} and {@code delete commit}). */
    public CommitRemoval commitRemoval() {
        return new CommitRemoval(repos, commits);
    }

    /**
     * Starts a set of file changes to {@code branch} that lands as one commit (or into the branch's open
     * commit) on {@link FileBatch#commit()}; use it for many files, such as a directory put recursively.
     * The batch must be committed or closed by the thread that opened it.
     */
    public FileBatch openBatch(String repo, String branch) {
        DataRepo r = repos.get(repo);
        Ref.checkBranchName(branch);
        return new FileBatch(batchParts, r, branch, null, List.of(), null);
    }

    /**
     * Starts a set of file changes that lands as one new finished commit on {@code branch}, carrying
     * {@code description} and {@code provenance}, in a single step: no open commit is ever visible, and a
     * crash before {@link FileBatch#commit()} returns leaves the branch as it was. The changes apply to the
     * branch head as it is when committed, so a commit that keeps most of its parent's files only names the
     * files that change. CONFLICT at commit when the branch has an open commit.
     */
    public FileBatch openBatch(String repo, String branch, String description, List<CommitRef> provenance) {
        DataRepo r = repos.get(repo);
        Ref.checkBranchName(branch);
        List<CommitRef> prov = provenance == null ? List.of() : List.copyOf(provenance);
        return new FileBatch(batchParts, r, branch, description == null ? "" : description, prov, commits.setOf(prov));
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
        DataRepo r = repos.get(repo);
        try (FileBatch b = openBatch(repo, branch)) {
            changes.accept(b);
            return b.commit();
        } catch (RuntimeException e) {
            if (!repos.isCurrent(r) && !(e instanceof SluiceException s && s.kind() != SluiceException.Kind.UNAVAILABLE)) {
                throw SluiceException.notFound("repo '" + repo + "' was deleted while this write was in flight; "
                        + "nothing was written");
            }
            throw e;
        }
    }

    public FileInfo inspectFile(String repo, String ref, String path) {
        DataRepo r = repos.get(repo);
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
        DataRepo r = repos.get(repo);
        String p = Ref.normalizePath(dir);
        return reads.list(at(r, ref), p, after, limit, out);
    }

    /**
     * As {@link #globFile(String, String, String)}, streamed to {@code out} in tree order after the cursor
     * {@code after}, at most {@code limit} matches; returns the next cursor when more may remain, else null.
     * A page looks at a bounded number of entries ({@link TreePage}), so one that matches little ends short.
     */
    public String globFile(String repo, String ref, String pattern, String after, int limit, Consumer<FileInfo> out) {
        DataRepo r = repos.get(repo);
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
        return reads.open(at(repos.get(repo), ref), p, offset, length);
    }

    /**
     * Writes every file under directory {@code dir} to {@code out} as tar members named relative to it, in tree
     * order, streamed one chunk at a time (memory does not grow with the file count), then the end-of-archive
     * block. A missing path or a file fails before anything is written; a damaged chunk fails mid-stream, so
     * the archive ends without its end block and a reader knows it is cut short.
     */
    public void getTree(String repo, String ref, String dir, Tar.Writer out) throws IOException {
        DataRepo r = repos.get(repo);
        String p = Ref.normalizePath(dir);
        reads.tar(at(r, ref), p, out);
    }

    /**
     * The chunks that hold a file, in order: what a reader with access to the object store (a Kubernetes
     * worker) needs to read it without the daemon; {@link ChunkStream} reads them.
     */
    public List<FileManifest.Chunk> chunks(String repo, String ref, String path) {
        String p = Ref.normalizePath(path);
        return reads.manifest(at(repos.get(repo), ref), p).chunks();
    }

    /** Paths that differ between two commits, under {@code path} ("/" for all), in tree order. */
    public List<FileDiff> diffFile(String repo, String newRef, String oldRef, String path) {
        List<FileDiff> out = new ArrayList<>();
        diffFile(repo, newRef, oldRef, path, null, 0, out::add);
        return out;
    }

    /**
     * As {@link #diffFile(String, String, String, String)}, streamed to {@code out} after the cursor
     * {@code after}, at most {@code limit} paths; returns the next cursor when more may remain, else null. A
     * page looks at a bounded number of entries ({@link TreePage}), so one that finds few changes ends short.
     */
    public String diffFile(String repo, String newRef, String oldRef, String path, String after, int limit,
                           Consumer<FileDiff> out) {
        DataRepo r = repos.get(repo);
        String p = Ref.normalizePath(path == null ? "/" : path);
        TreeReader.At newer = at(r, newRef);
        TreeReader.At older = at(r, oldRef);
        return reads.diff(newer, older, p, after, limit, out);
    }

    /** The finished commit {@code ref} names in {@code r}, to read files from. */
    TreeReader.At at(DataRepo r, String ref) {
        return new TreeReader.At(r, ref, commits.resolve(r, ref, false));
    }

    // ---- maintenance

    /**
     * Re-reads every chunk reachable from any commit and checks its SHA-256; returns the problems found. It
     * waits for no write and no gc (gc only deletes what no ref reached when it looked).
     */
    public List<String> fsck() {
        return chunks.fsck(repos.sorted());
    }

    /**
     * Deletes the chunks that no ref reaches (branch heads, open commits, and the kept heads of deleted or
     * moved branches) and that no write in progress has pinned; returns how many were deleted. It never waits
     * for a write, however slow: a slow upload's chunks are pinned, not waited for.
     */
    public long gc() {
        return chunks.gc(repos.sorted(), repos::isCurrent);
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
        repos.close();
    }
}
