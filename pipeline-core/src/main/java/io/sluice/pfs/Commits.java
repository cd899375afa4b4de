package io.sluice.pfs;

import io.sluice.SluiceException;
import io.sluice.Waiters;
import io.sluice.pfs.DataRepo.Indexed;
import io.sluice.pfs.DataRepo.RefKind;
import io.sluice.pfs.TreeEditor.Edit;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.eclipse.jgit.treewalk.filter.TreeFilter;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import static io.sluice.pfs.Io.io;

/**
 * The commit graph of every repo: opening, finishing and dropping commits, listing and waiting on them,
 * creating, moving and deleting branches, and resolving a ref (branch, commit id or commit set, with
 * {@code ^N}) to a commit. Every ref change holds the branch's lock and lands by compare-and-set.
 */
final class Commits {
    private final RepoRegistry repos;
    private final CommitEvents events;
    private final MetaCache cache;
    private final SecureRandom random = new SecureRandom();

    Commits(RepoRegistry repos, CommitEvents events, MetaCache cache) {
        this.repos = repos;
        this.events = events;
        this.cache = cache;
    }

    /** Opens a commit on {@code branch} (created if missing); puts to the branch go into it until finished. */
    CommitInfo startCommit(String repo, String branch, String description, List<CommitRef> provenance) {
        DataRepo r = repos.get(repo);
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
    CommitInfo finishCommit(String repo, String branch) {
        DataRepo r = repos.get(repo);
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
                try (DataRepo.Writer w = r.new Writer()) {
                    return r.read(reader -> DataRepo.retry(() -> {
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
                    }));
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
    boolean abandonCommit(String repo, String branch) {
        DataRepo r = repos.get(repo);
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

    CommitInfo inspectCommit(String repo, String ref) {
        DataRepo r = repos.get(repo);
        return resolve(r, ref, true).meta().info(repo);
    }

    /**
     * As {@link #listCommit(String, String, int)}, with the open commit of the branch (of every branch when
     * {@code branch} is null) first when {@code includeOpen}: what a user listing commits expects to see
     * after {@code start commit}, as pachctl shows it.
     */
    List<CommitInfo> listCommit(String repo, String branch, int limit, boolean includeOpen) {
        // validated and checked for existence before any ref is read: a hostile name never reaches Git
        List<CommitInfo> finished = listCommit(repo, branch, limit);
        if (!includeOpen) {
            return finished;
        }
        DataRepo r = repos.get(repo);
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
    List<CommitInfo> listCommit(String repo, String branch, int limit) {
        DataRepo r = repos.get(repo);
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
    CommitInfo waitCommit(String repo, String ref, Duration timeout) {
        return Waiters.join(awaitCommit(repo, ref, timeout));
    }

    /** As {@link #waitCommit} without holding a thread: the future completes when the commit is finished. */
    CompletableFuture<CommitInfo> awaitCommit(String repo, String ref, Duration timeout) {
        DataRepo r = repos.get(repo);
        String id = resolve(r, ref, true).meta().id();
        Supplier<CommitInfo> current = () -> {
            Indexed x = r.byId(id);
            if (x == null || !repos.isCurrent(r)) {
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
    BranchInfo createBranch(String repo, String branch, String headRef) {
        DataRepo r = repos.get(repo);
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

    List<BranchInfo> listBranch(String repo) {
        DataRepo r = repos.get(repo);
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
    void deleteBranch(String repo, String branch) {
        DataRepo r = repos.get(repo);
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

    /**
     * Checks that every provenance commit exists and answers the commit set a commit made from them joins:
     * that of the one that finished last (the input whose arrival caused the job), null (a set of its own)
     * without provenance.
     */
    String setOf(List<CommitRef> prov) {
        CommitMeta newest = null;
        for (CommitRef p : prov) {
            DataRepo pr = repos.get(p.repo());
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
    TreeEditor.Result applyEdits(ObjectReader reader, ObjectInserter ins, ObjectId base, List<Edit> edits)
            throws IOException, TreeEditor.StaleEditException {
        return new TreeEditor(reader, ins, cache).apply(base, edits);
    }
    /** Puts every file of {@code puts} into tree {@code base}: see {@link TreeEditor#putAll}. */
    TreeEditor.Result putAll(ObjectReader reader, ObjectInserter ins, ObjectId base, PutLog puts) throws IOException {
        return new TreeEditor(reader, ins, cache).putAll(base, puts);
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
    List<CommitInfo> commitsInSet(String set) {
        List<CommitInfo> out = new ArrayList<>();
        for (DataRepo r : repos.all()) {
            for (Indexed x : r.inSet(set)) {
                out.add(x.meta().info(r.name));
            }
        }
        out.sort(Comparator.comparing(CommitInfo::started).reversed());
        return out;
    }
    /**
     * The finished commits of every repo computed from commit {@code id} of {@code repo} (their provenance
     * holds it), newest first: what each repo's index holds for it, so the cost grows with the answer only.
     */
    List<CommitInfo> derivedFrom(String repo, String id) {
        List<CommitInfo> out = new ArrayList<>();
        for (DataRepo r : repos.all()) {
            for (Indexed x : r.derivedFrom(repo, id)) {
                if (x.meta().finished() != null) {
                    out.add(x.meta().info(r.name));
                }
            }
        }
        out.sort(Comparator.comparing(CommitInfo::started).reversed());
        return out;
    }
    /**
     * The ids of the newest {@code limit} commit sets (all when {@code limit <= 0}), newest first by when their
     * first commit started: one pass over the indexes, no walk of any history.
     */
    List<String> newestCommitSets(int limit) {
        Map<String, Instant> first = new HashMap<>();
        for (DataRepo r : repos.all()) {
            for (Indexed x : r.indexed()) {
                first.merge(x.meta().setId(), x.meta().started(), (a, b) -> a.isBefore(b) ? a : b);
            }
        }
        return first.entrySet().stream()
                .sorted(Map.Entry.<String, Instant>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(limit > 0 ? limit : Long.MAX_VALUE).map(Map.Entry::getKey).toList();
    }

    String newId() {
        byte[] b = new byte[16];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
