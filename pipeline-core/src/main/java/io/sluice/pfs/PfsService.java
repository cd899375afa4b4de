package io.sluice.pfs;

import io.sluice.storage.ObjectStore;

import java.io.Closeable;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The versioned file system: repos, branches, commits and files, kept as one bare JGit repository per
 * data repo (commit graph, refs, trees of small file manifests) with file bytes chunked into an
 * {@link ObjectStore}. Every method is safe to call from many threads; a finished commit is durable
 * before the call that finished it returns.
 *
 * <p>A {@code ref} argument is a branch name, a commit id, or either followed by {@code ^N} for its
 * N-th ancestor. Errors the caller can act on are {@link io.sluice.SluiceException}s.
 */
public final class PfsService implements Closeable {

    public PfsService(Path dataDir, ObjectStore store) {
        throw new UnsupportedOperationException("pfs is not written yet");
    }

    // ---- repos

    public RepoInfo createRepo(String name, String description) {
        throw new UnsupportedOperationException();
    }

    public List<RepoInfo> listRepos() {
        throw new UnsupportedOperationException();
    }

    public RepoInfo inspectRepo(String name) {
        throw new UnsupportedOperationException();
    }

    public void deleteRepo(String name) {
        throw new UnsupportedOperationException();
    }

    // ---- commits

    /** Opens a commit on {@code branch} (created if missing); puts to the branch go into it until finished. */
    public CommitInfo startCommit(String repo, String branch, String description, List<CommitRef> provenance) {
        throw new UnsupportedOperationException();
    }

    /** Finishes the open commit on {@code branch} and moves the branch head to it. */
    public CommitInfo finishCommit(String repo, String branch) {
        throw new UnsupportedOperationException();
    }

    public CommitInfo inspectCommit(String repo, String ref) {
        throw new UnsupportedOperationException();
    }

    /** Finished commits newest first: of {@code branch}'s history, or of every branch when it is null. */
    public List<CommitInfo> listCommit(String repo, String branch, int limit) {
        throw new UnsupportedOperationException();
    }

    /** Blocks until the commit {@code ref} names is finished, or the timeout passes. */
    public CommitInfo waitCommit(String repo, String ref, Duration timeout) {
        throw new UnsupportedOperationException();
    }

    // ---- branches

    public BranchInfo createBranch(String repo, String branch, String headRef) {
        throw new UnsupportedOperationException();
    }

    public List<BranchInfo> listBranch(String repo) {
        throw new UnsupportedOperationException();
    }

    public void deleteBranch(String repo, String branch) {
        throw new UnsupportedOperationException();
    }

    // ---- files

    /**
     * Writes {@code data} to {@code path} on {@code branch}, streaming in constant memory: into the open
     * commit if there is one, otherwise as a commit of its own. Returns the commit written to.
     */
    public CommitInfo putFile(String repo, String branch, String path, InputStream data, boolean append) {
        throw new UnsupportedOperationException();
    }

    /** Copies a file or directory between commits without re-reading its bytes (manifests are shared). */
    public CommitInfo copyFile(String srcRepo, String srcRef, String srcPath, String dstRepo, String dstBranch,
                               String dstPath) {
        throw new UnsupportedOperationException();
    }

    public CommitInfo deleteFile(String repo, String branch, String path) {
        throw new UnsupportedOperationException();
    }

    public FileInfo inspectFile(String repo, String ref, String path) {
        throw new UnsupportedOperationException();
    }

    /** The direct children of directory {@code dir} ("/" for the root), sorted by path. */
    public List<FileInfo> listFile(String repo, String ref, String dir) {
        throw new UnsupportedOperationException();
    }

    /** Files and directories matching a glob ({@code *}, {@code **}, {@code ?}, {@code [...]}), sorted. */
    public List<FileInfo> globFile(String repo, String ref, String pattern) {
        throw new UnsupportedOperationException();
    }

    /** Streams {@code length} bytes of a file from {@code offset} ({@code length < 0}: to the end). */
    public InputStream getFile(String repo, String ref, String path, long offset, long length) {
        throw new UnsupportedOperationException();
    }

    /** Paths that differ between two commits, under {@code path} ("/" for all), sorted. */
    public List<FileDiff> diffFile(String repo, String newRef, String oldRef, String path) {
        throw new UnsupportedOperationException();
    }

    // ---- maintenance

    /** Re-reads every chunk reachable from any commit and checks its hash; returns the problems found. */
    public List<String> fsck() {
        throw new UnsupportedOperationException();
    }

    /** Deletes chunks no commit references; returns how many were deleted. */
    public long gc() {
        throw new UnsupportedOperationException();
    }

    // ---- events

    /** Calls {@code listener} after every finished commit; close the handle to stop. */
    public Closeable subscribe(Consumer<CommitInfo> listener) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {
    }
}
