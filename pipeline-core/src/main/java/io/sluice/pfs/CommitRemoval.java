package io.sluice.pfs;

import io.sluice.SluiceException;
import io.sluice.pfs.DataRepo.Indexed;
import io.sluice.pfs.DataRepo.RefKind;
import io.sluice.pfs.DataRepo.RefName;
import org.eclipse.jgit.lib.ObjectId;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Pachyderm's removal of a whole commit set from every repo: {@link Mode#DROP} ({@code delete commit}) removes
 * commits that no commit builds on, moving the branch heads at them back to their parents; {@link Mode#SQUASH}
 * removes commits that others build on, their children taking their parents (each commit holds its whole tree,
 * so a child already has everything the squashed commit changed). Both are refused while a commit of another
 * set has one of the set in its provenance. A removed commit is no longer readable by id, and its data becomes
 * garbage for gc once no remaining commit holds it; every other commit keeps what it had.
 */
public final class CommitRemoval {

    /** Which of Pachyderm's two removals. */
    public enum Mode {
        /** Pachyderm's drop: only commits without children. */
        DROP("delete"),
        /** Pachyderm's squash: only commits whose children are all finished. */
        SQUASH("squash");

        private final String verb;

        Mode(String verb) {
            this.verb = verb;
        }
    }

    private record Located(DataRepo repo, Indexed commit) {
        String name() {
            return repo.name + "@" + commit.meta().id();
        }
    }

    private final RepoRegistry repos;
    private final Commits commits;

    /** Removal over these repos, with {@code commits} making the empty commit a dropped first commit leaves. */
    CommitRemoval(RepoRegistry repos, Commits commits) {
        this.repos = repos;
        this.commits = commits;
    }

    /** The commits of {@code set}, newest first, if it may be removed this way; else CONFLICT saying why. */
    public List<CommitInfo> check(String set, Mode mode) {
        return Io.io(() -> info(checked(set, mode)));
    }

    /**
     * Removes every commit of {@code set} and answers them, with the rules of {@link #check} applied again while
     * no ref of an affected repo can move; a refusal changes nothing.
     */
    public List<CommitInfo> remove(String set, Mode mode) {
        return Io.io(() -> {
            List<DataRepo> affected = repos.sorted().stream().filter(r -> !r.inSet(set).isEmpty()).toList();
            List<DataRepo.AllBranches> held = new ArrayList<>();
            try {
                for (DataRepo r : affected) {
                    held.add(r.lockAll());
                }
                List<Located> commits = checked(set, mode);
                for (Located c : commits) {
                    if (mode == Mode.DROP) {
                        drop(c);
                    } else {
                        squash(c);
                    }
                }
                for (DataRepo r : affected) {
                    r.prune();
                }
                return info(commits);
            } finally {
                for (int i = held.size() - 1; i >= 0; i--) {
                    held.get(i).close();
                }
            }
        });
    }

    private List<Located> checked(String set, Mode mode) throws IOException {
        List<Located> commits = new ArrayList<>();
        for (DataRepo r : repos.sorted()) {
            r.inSet(set).forEach(x -> commits.add(new Located(r, x)));
        }
        if (commits.isEmpty()) {
            throw SluiceException.notFound("no commit set '" + set + "'");
        }
        Set<String> subvenant = subvenantSets(set);
        if (!subvenant.isEmpty()) {
            throw SluiceException.conflict("cannot " + mode.verb + " commit set " + set + ": commit set"
                    + (subvenant.size() == 1 ? " " : "s ") + String.join(", ", subvenant) + " "
                    + (subvenant.size() == 1 ? "was" : "were") + " computed from it (" + mode.verb + " "
                    + (subvenant.size() == 1 ? "it" : "them") + " first)");
        }
        for (Located c : commits) {
            List<Indexed> children = children(c);
            String child = children.isEmpty() ? null : c.repo().name + "@" + children.get(0).meta().id();
            if (mode == Mode.DROP && child != null) {
                throw SluiceException.conflict("cannot delete a commit that has children: " + c.name() + " (child "
                        + child + "); squash its set instead, which keeps what the children hold");
            }
            if (mode == Mode.SQUASH && child == null) {
                throw SluiceException.conflict("cannot squash a commit that has no children, as its data would be "
                        + "lost: " + c.name() + "; delete its set instead");
            }
            for (Indexed x : children) {
                if (mode == Mode.SQUASH && x.meta().finished() == null) {
                    throw SluiceException.conflict("cannot squash until child commit " + c.repo().name + "@"
                            + x.meta().id() + " is finished");
                }
            }
        }
        return commits;
    }

    /** The other sets with a commit whose provenance holds a commit of {@code set}, transitively, sorted. */
    private Set<String> subvenantSets(String set) {
        Set<String> found = new TreeSet<>();
        Set<String> looked = new HashSet<>(Set.of(set));
        Deque<String> todo = new ArrayDeque<>(List.of(set));
        List<DataRepo> repos = this.repos.sorted();
        while (!todo.isEmpty()) {
            String s = todo.poll();
            for (DataRepo member : repos) {
                for (Indexed m : member.inSet(s)) {
                    for (DataRepo r : repos) { // by each repo's provenance index, not a scan of its commits
                        for (Indexed x : r.derivedFrom(member.name, m.meta().id())) {
                            String other = x.meta().setId();
                            if (looked.add(other)) {
                                found.add(other);
                                todo.add(other);
                            }
                        }
                    }
                }
            }
        }
        return found;
    }

    /** The commits, finished or open, whose parent is {@code c}. */
    private static List<Indexed> children(Located c) {
        String id = c.commit().meta().id();
        return c.repo().indexed().stream().filter(x -> id.equals(x.meta().parent())).toList();
    }

    /**
     * Drops a commit nothing builds on: an open one's ref goes, a branch at it moves back to its parent (or, at
     * a root commit, to a new empty one, as Pachyderm does), and a kept head at it passes to its parent, which
     * stays readable by id as before.
     */
    private void drop(Located c) throws IOException {
        DataRepo r = c.repo();
        Indexed x = c.commit();
        for (Map.Entry<RefName, ObjectId> ref : r.refs().entrySet()) {
            if (!ref.getValue().equals(x.commit())) {
                continue;
            }
            RefName name = ref.getKey();
            if (name.kind() == RefKind.HEAD) {
                moveBack(r, name.name(), x);
            } else {
                if (name.kind() == RefKind.KEPT && x.parentCommit() != null) {
                    r.keep(x.parentCommit());
                }
                r.cas(name.kind(), name.name(), x.commit(), null);
            }
        }
    }

    /**
     * Squashes a commit whose children are all finished: every commit built on it is written again on its
     * parent (same id, tree and metadata; a direct child names the squashed commit's parent as its own), every
     * ref is moved onto the rewritten commits by compare-and-set, and a ref at the commit itself moves back.
     */
    private void squash(Located c) throws IOException {
        DataRepo r = c.repo();
        Indexed x = c.commit();
        Map<ObjectId, Indexed> rewritten = new HashMap<>();
        Map<RefName, ObjectId> moves = new HashMap<>();
        Map<RefName, ObjectId> refs = r.refs();
        try (DataRepo.Writer w = r.new Writer()) {
            for (Map.Entry<RefName, ObjectId> ref : refs.entrySet()) {
                if (!ref.getValue().equals(x.commit())) {
                    Indexed now = rewrite(r, w, ref.getValue(), x, rewritten);
                    if (!now.commit().equals(ref.getValue())) {
                        moves.put(ref.getKey(), now.commit());
                    }
                }
            }
            w.flush();
        }
        for (Map.Entry<RefName, ObjectId> m : moves.entrySet()) {
            RefName ref = m.getKey();
            if (!r.cas(ref.kind(), ref.name(), refs.get(ref), m.getValue())) {
                throw SluiceException.conflict(ref + " of repo " + r.name + " moved during the squash");
            }
        }
        rewritten.forEach((old, now) -> {
            if (!now.commit().equals(old)) {
                r.remember(now);
            }
        });
        for (Map.Entry<RefName, ObjectId> ref : refs.entrySet()) {
            if (ref.getValue().equals(x.commit())) {
                RefName name = ref.getKey();
                if (name.kind() == RefKind.HEAD) {
                    moveBack(r, name.name(), x);
                } else {
                    r.cas(name.kind(), name.name(), x.commit(), null); // its children keep its parent readable
                }
            }
        }
    }

    /**
     * The commit at {@code tip} as it is once {@code x} is squashed: itself when {@code x} is not among its
     * ancestors, else a copy on the rewritten parent. {@code memo} maps each git commit looked at to its result.
     */
    private static Indexed rewrite(DataRepo r, DataRepo.Writer w, ObjectId tip, Indexed x, Map<ObjectId, Indexed> memo)
            throws IOException {
        List<Indexed> chain = new ArrayList<>();
        ObjectId stop = null;
        for (ObjectId at = tip; at != null; ) {
            if (memo.containsKey(at) || at.equals(x.commit())) {
                stop = at;
                break;
            }
            Indexed i = r.atCommit(at);
            chain.add(i);
            at = i.parentCommit();
        }
        Indexed below = stop == null || stop.equals(x.commit()) ? null : memo.get(stop);
        ObjectId parent = stop == null ? null : below == null ? x.parentCommit() : below.commit();
        boolean changed = stop != null && (below == null || !below.commit().equals(stop));
        Indexed result = below;
        for (int k = chain.size() - 1; k >= 0; k--) {
            Indexed old = chain.get(k);
            Indexed now = old;
            if (changed) {
                CommitMeta meta = x.meta().id().equals(old.meta().parent()) ? old.meta().withParent(x.meta().parent())
                        : old.meta();
                now = new Indexed(meta, r.writeCommit(w.inserter(), old.tree(), parent, meta), old.tree(), parent);
            }
            memo.put(old.commit(), now);
            parent = now.commit();
            result = now;
        }
        return result;
    }

    /** Moves {@code branch} from {@code x} to its parent, or to a new empty commit at a root. */
    private void moveBack(DataRepo r, String branch, Indexed x) throws IOException {
        ObjectId next = x.parentCommit();
        Indexed empty = null;
        if (next == null) {
            empty = commits.emptyCommit(r, branch);
            next = empty.commit();
        }
        if (!r.cas(RefKind.HEAD, branch, x.commit(), next)) {
            throw SluiceException.conflict("branch " + branch + " of repo " + r.name + " moved concurrently; try again");
        }
        if (empty != null) {
            r.remember(empty);
        }
    }

    private static List<CommitInfo> info(List<Located> commits) {
        List<CommitInfo> out = new ArrayList<>();
        commits.forEach(c -> out.add(c.commit().meta().info(c.repo().name)));
        out.sort(java.util.Comparator.comparing(CommitInfo::started).reversed());
        return out;
    }
}
