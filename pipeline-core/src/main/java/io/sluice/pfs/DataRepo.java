package io.sluice.pfs;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.SluiceException;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.PackInserter;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * One data repo: its bare JGit repository (commits, trees of manifests, branch refs under
 * {@code refs/heads/}, open commits under {@code refs/sluice/open/}, the heads of deleted branches under
 * {@code refs/sluice/kept/}, which also keep the old heads of branches moved off them) plus an in-memory index from commit id to git commit, rebuilt from the refs when
 * the repo is opened. Refs are named by kind ({@link RefKind}) and only move by compare-and-set ({@link #cas}),
 * retried through {@link #retry} where a change must land.
 */
final class DataRepo implements Closeable {

    /** The kinds of ref a data repo keeps; every ref is one of these plus a branch name or commit id. */
    enum RefKind {
        /** A branch's finished head, by branch name. */
        HEAD("refs/heads/"),
        /** A branch's open commit, by branch name. */
        OPEN("refs/sluice/open/"),
        /**
         * Heads of deleted branches and old heads of branches moved elsewhere, by commit id: as in Pachyderm,
         * deleting a branch keeps its commits, and (as Git's reflog does, but without expiry) moving one does too.
         */
        KEPT("refs/sluice/kept/");

        /** Where refs of this kind live in Git: only this class knows the layout. */
        private final String prefix;

        RefKind(String prefix) {
            this.prefix = prefix;
        }
    }

    /** A ref by kind and the branch name (HEAD, OPEN) or commit id (KEPT) it is kept under. */
    record RefName(RefKind kind, String name) {
        @Override
        public String toString() {
            return switch (kind) {
                case HEAD -> "branch " + name;
                case OPEN -> "the open commit of branch " + name;
                case KEPT -> "the kept commit " + name;
            };
        }
    }

    /** A commit as indexed: its metadata, git commit, root tree and git parent (null for a root commit). */
    record Indexed(CommitMeta meta, ObjectId commit, ObjectId tree, ObjectId parentCommit) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(DataRepo.class);

    final String name;
    final Path dir;
    final FileRepository git;
    private final ObjectMapper json;
    private final Map<String, Indexed> byId = new ConcurrentHashMap<>();
    private final Map<ObjectId, String> idOfCommit = new ConcurrentHashMap<>();
    /** The ids of the indexed commits of each commit set, so a set's commits are found without a walk. */
    private final Map<String, Set<String>> idsBySet = new ConcurrentHashMap<>();
    /**
     * The ids of the indexed commits computed from each commit (by the "repo@id" of every provenance entry),
     * so what was derived from a commit is found without a scan of this repo's history.
     */
    private final Map<String, Set<String>> idsByProvenance = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> branchLocks = new ConcurrentHashMap<>();

    private DataRepo(String name, Path dir, ObjectMapper json) throws IOException {
        this.name = name;
        this.dir = dir;
        this.json = json;
        this.git = (FileRepository) new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build();
    }

    /** Creates the bare repository under a temporary name and renames it into place, so it appears whole. */
    static DataRepo create(Path root, String name, String description, ObjectMapper json) throws IOException {
        Path tmp = root.resolve(".tmp-" + Projects.fileName(name) + "-" + System.nanoTime());
        try (FileRepository repo = (FileRepository) new FileRepositoryBuilder().setGitDir(tmp.toFile()).setBare()
                .build()) {
            repo.create(true);
            StoredConfig c = repo.getConfig();
            // a finished commit must survive a crash: fsync loose objects and refs
            c.setBoolean("core", null, "fsyncObjectFiles", true);
            c.setBoolean("core", null, "fsyncRefFiles", true);
            c.setBoolean("core", null, "logAllRefUpdates", false);
            c.setInt("gc", null, "auto", 0);
            c.setString("sluice", null, "description", description == null ? "" : description);
            c.setString("sluice", null, "created", Instant.now().toString());
            c.save();
        }
        Path target = root.resolve(Projects.fileName(name) + ".git");
        Files.move(tmp, target);
        fsync(root);
        return open(root, name, json);
    }

    /** Opens repo {@code name} (qualified: {@link Projects}) kept in {@code root}. */
    static DataRepo open(Path root, String name, ObjectMapper json) throws IOException {
        Path dir = root.resolve(Projects.fileName(name) + ".git");
        removeStaleLocks(dir);
        DataRepo r = new DataRepo(name, dir, json);
        r.rebuildIndex();
        return r;
    }

    /**
     * A process killed in the middle of a ref update leaves Git's {@code <ref>.lock} behind, and every later
     * update of that ref would fail. Repos are opened only when the daemon starts, when no update of this
     * process can be under way, so any lock found then is a crash's leftover and is removed.
     */
    private static void removeStaleLocks(Path gitDir) throws IOException {
        if (!Files.isDirectory(gitDir)) {
            return;
        }
        List<Path> locks;
        try (var walk = Files.walk(gitDir)) {
            locks = walk.filter(p -> p.getFileName().toString().endsWith(".lock") && Files.isRegularFile(p)).toList();
        }
        for (Path lock : locks) {
            LOG.warn("removing {} left by an interrupted update", lock);
            Files.deleteIfExists(lock);
        }
    }

    String description() {
        return git.getConfig().getString("sluice", null, "description");
    }

    Instant created() {
        String s = git.getConfig().getString("sluice", null, "created");
        return s == null ? Instant.EPOCH : Instant.parse(s);
    }

    private void rebuildIndex() throws IOException {
        Map<String, ObjectId> opens = refs(RefKind.OPEN);
        try (RevWalk walk = new RevWalk(git)) {
            for (ObjectId tip : tips()) {
                walk.markStart(walk.parseCommit(tip));
            }
            for (RevCommit c : walk) {
                index(c);
                c.disposeBody();
            }
        }
        for (Map.Entry<String, ObjectId> ref : opens.entrySet()) {
            Indexed wip = atCommit(ref.getValue());
            Indexed known = byId.get(wip.meta().id());
            if (known.meta().finished() != null) {
                // a finish that stopped between moving the branch and dropping the open ref
                cas(RefKind.OPEN, ref.getKey(), ref.getValue(), null);
            }
        }
    }

    private Indexed index(RevCommit c) throws IOException {
        CommitMeta meta = CommitMeta.parse(json, c.getFullMessage());
        ObjectId parent = c.getParentCount() == 0 ? null : c.getParent(0).copy();
        Indexed x = new Indexed(meta, c.copy(), c.getTree().copy(), parent);
        remember(x);
        return x;
    }

    /** Adds a commit to the index; a finished commit is never shadowed by an open one with the same id. */
    void remember(Indexed x) {
        idOfCommit.put(x.commit(), x.meta().id());
        idsBySet.computeIfAbsent(x.meta().setId(), k -> ConcurrentHashMap.newKeySet()).add(x.meta().id());
        for (CommitRef p : x.meta().provenance()) {
            idsByProvenance.computeIfAbsent(provenanceKey(p.repo(), p.id()), k -> ConcurrentHashMap.newKeySet()).add(x.meta().id());
        }
        byId.merge(x.meta().id(), x, (old, now) -> {
            if (old.meta().finished() != null && now.meta().finished() == null) {
                return old;
            }
            if (!old.commit().equals(now.commit())) {
                idOfCommit.remove(old.commit());
            }
            return now;
        });
    }

    Indexed byId(String id) {
        return byId.get(id);
    }

    /** The indexed commits (finished, or open when not finished yet) of commit set {@code set}. */
    List<Indexed> inSet(String set) {
        return indexed(idsBySet.get(set));
    }

    /** The indexed commits (finished, or open when not finished yet) whose provenance holds commit {@code id} of {@code repo}. */
    List<Indexed> derivedFrom(String repo, String id) {
        return indexed(idsByProvenance.get(provenanceKey(repo, id)));
    }

    private static String provenanceKey(String repo, String id) {
        return repo + "@" + id;
    }

    private List<Indexed> indexed(Set<String> ids) {
        if (ids == null) {
            return List.of();
        }
        List<Indexed> out = new ArrayList<>();
        for (String id : ids) {
            Indexed x = byId.get(id);
            if (x != null) {
                out.add(x);
            }
        }
        return out;
    }

    /** The indexed commit for a git commit, parsing it if this process has not seen it yet. */
    Indexed atCommit(ObjectId commit) throws IOException {
        String id = idOfCommit.get(commit);
        Indexed x = id == null ? null : byId.get(id);
        if (x != null && x.commit().equals(commit)) {
            return x;
        }
        try (RevWalk walk = new RevWalk(git)) {
            RevCommit c = walk.parseCommit(commit);
            CommitMeta meta = CommitMeta.parse(json, c.getFullMessage());
            Indexed parsed = new Indexed(meta, c.copy(), c.getTree().copy(),
                    c.getParentCount() == 0 ? null : c.getParent(0).copy());
            if (x == null) {
                remember(parsed);
            }
            return parsed;
        }
    }

    /** Every indexed finished commit. */
    List<Indexed> finishedCommits() {
        return byId.values().stream().filter(x -> x.meta().finished() != null).toList();
    }

    /** Drops commits no ref reaches any more (after a branch was deleted). */
    void prune() throws IOException {
        Set<String> live = new HashSet<>();
        for (ObjectId start : tips()) {
            Indexed x = atCommit(start);
            live.add(x.meta().id());
            String parent = x.meta().parent();
            while (parent != null && live.add(parent)) {
                Indexed p = byId.get(parent);
                parent = p == null ? null : p.meta().parent();
            }
        }
        byId.values().removeIf(x -> {
            boolean dead = !live.contains(x.meta().id());
            if (dead) {
                idOfCommit.remove(x.commit());
                forget(idsBySet, x.meta().setId(), x.meta().id());
                for (CommitRef p : x.meta().provenance()) {
                    forget(idsByProvenance, provenanceKey(p.repo(), p.id()), x.meta().id());
                }
            }
            return dead;
        });
    }

    /** Drops {@code id} from the ids kept under {@code key}, and the key once it keeps none. */
    private static void forget(Map<String, Set<String>> index, String key, String id) {
        index.computeIfPresent(key, (k, ids) -> {
            ids.remove(id);
            return ids.isEmpty() ? null : ids;
        });
    }

    private ObjectId ref(String refName) throws IOException {
        org.eclipse.jgit.lib.Ref ref = git.exactRef(refName);
        return ref == null ? null : ref.getObjectId();
    }

    /** The finished head of {@code branch}, or null if it has none. */
    ObjectId head(String branch) throws IOException {
        return ref(RefKind.HEAD.prefix + branch);
    }

    /** The open commit of {@code branch}, or null if it has none. */
    ObjectId open(String branch) throws IOException {
        return ref(RefKind.OPEN.prefix + branch);
    }

    /** The commits every ref points at (heads, open commits, kept heads): every commit descends from one. */
    List<ObjectId> tips() throws IOException {
        List<ObjectId> out = new ArrayList<>();
        for (org.eclipse.jgit.lib.Ref ref : git.getRefDatabase().getRefsByPrefix("refs/")) {
            out.add(ref.getObjectId());
        }
        return out;
    }

    /**
     * As {@link #tips()}, read while every branch is locked: a commit moving from one ref to another (a finish
     * from the open ref to the head, a moved or deleted head to its kept ref) is seen under one of them.
     * Every such move holds its branch's lock and no holder waits for a second one, so locking all in name
     * order cannot deadlock.
     */
    List<ObjectId> stableTips() throws IOException {
        try (AllBranches locked = lockAll()) {
            return tips();
        }
    }

    /** Every branch's lock, held until closed: no ref of this repo moves meanwhile. */
    interface AllBranches extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Locks every branch in name order (see {@link #stableTips()} for why this cannot deadlock). Only a ref of
     * a branch created after the call could still move.
     */
    AllBranches lockAll() throws IOException {
        Set<String> names = new TreeSet<>(branchLocks.keySet());
        names.addAll(branchNames());
        List<ReentrantLock> held = new ArrayList<>();
        try {
            for (String b : names) {
                ReentrantLock l = lock(b);
                l.lock();
                held.add(l);
            }
        } catch (RuntimeException e) {
            held.forEach(ReentrantLock::unlock);
            throw e;
        }
        return () -> held.forEach(ReentrantLock::unlock);
    }

    /** Every indexed commit, finished or open. */
    List<Indexed> indexed() {
        return List.copyOf(byId.values());
    }

    /**
     * Every ref with the commit it points at, by kind and name. A ref of no {@link RefKind} is not one Sluice
     * makes: the repo was changed by hand, and nothing that rewrites refs may go on.
     */
    Map<RefName, ObjectId> refs() throws IOException {
        Map<RefName, ObjectId> out = new java.util.LinkedHashMap<>();
        for (org.eclipse.jgit.lib.Ref ref : git.getRefDatabase().getRefsByPrefix("refs/")) {
            out.put(refName(ref.getName()), ref.getObjectId());
        }
        return out;
    }

    private RefName refName(String full) throws IOException {
        for (RefKind kind : RefKind.values()) {
            if (full.startsWith(kind.prefix)) {
                return new RefName(kind, full.substring(kind.prefix.length()));
            }
        }
        throw new IOException("repo " + name + " has a ref Sluice does not make: " + full);
    }

    /** The refs of {@code kind} with the commits they point at, by branch name or commit id, sorted. */
    private Map<String, ObjectId> refs(RefKind kind) throws IOException {
        Map<String, ObjectId> out = new java.util.TreeMap<>();
        for (org.eclipse.jgit.lib.Ref ref : git.getRefDatabase().getRefsByPrefix(kind.prefix)) {
            out.put(ref.getName().substring(kind.prefix.length()), ref.getObjectId());
        }
        return out;
    }

    /** The git commits at the heads of branches and of deleted branches: every finished commit descends from one. */
    List<ObjectId> finishedHeads() throws IOException {
        List<ObjectId> out = new ArrayList<>(refs(RefKind.HEAD).values());
        out.addAll(refs(RefKind.KEPT).values());
        return out;
    }

    /** Names of branches with a head or an open commit, sorted. */
    List<String> branchNames() throws IOException {
        Set<String> names = new TreeSet<>(refs(RefKind.HEAD).keySet());
        names.addAll(refs(RefKind.OPEN).keySet());
        return List.copyOf(names);
    }

    /**
     * Moves the ref {@code kind}/{@code name} from {@code expected} (null: must not exist) to {@code next} (null:
     * delete it); false if it moved meanwhile. A write that fails on the disk is an IOException; a failed
     * delete is only false (the ref is then left as it was, which every caller can live with).
     */
    boolean cas(RefKind kind, String name, ObjectId expected, ObjectId next) throws IOException {
        return next == null ? deleteRef(kind.prefix + name, expected) : cas(kind.prefix + name, expected, next);
    }

    /** One try at moving refs: reads what it needs, writes, compare-and-sets; null when a ref moved meanwhile. */
    interface Attempt<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code attempt} until it lands (returns non-null): the one retry loop for a change that must go in
     * however often its refs move underneath; each try starts again from the refs as they are now.
     */
    static <T> T retry(Attempt<T> attempt) throws IOException {
        while (true) {
            T done = attempt.run();
            if (done != null) {
                return done;
            }
        }
    }

    private boolean cas(String refName, ObjectId expected, ObjectId next) throws IOException {
        RefUpdate u = git.updateRef(refName);
        u.setExpectedOldObjectId(expected == null ? ObjectId.zeroId() : expected);
        u.setNewObjectId(next);
        u.setForceUpdate(true);
        u.disableRefLog();
        RefUpdate.Result result = u.update();
        return switch (result) {
            case NEW, FORCED, FAST_FORWARD, NO_CHANGE -> true;
            case LOCK_FAILURE, REJECTED, REJECTED_CURRENT_BRANCH, REJECTED_MISSING_OBJECT,
                 REJECTED_OTHER_REASON, IO_FAILURE, NOT_ATTEMPTED, RENAMED -> {
                if (result == RefUpdate.Result.IO_FAILURE) {
                    throw new IOException("could not write ref " + refName + " of repo " + name);
                }
                yield false;
            }
        };
    }

    /** Keeps the commit {@code head} and its ancestors reachable (readable by id, safe from gc) for good. */
    void keep(ObjectId head) throws IOException {
        cas(RefKind.KEPT, atCommit(head).meta().id(), null, head); // false: already kept, by an earlier move or deletion
    }

    /**
     * Moves {@code branch} from {@code expected} to {@code next} by compare-and-set, first keeping the old head
     * when the move leaves it behind (not an ancestor of {@code next}); false if the branch moved meanwhile.
     */
    boolean keepThenMove(String branch, ObjectId expected, ObjectId next) throws IOException {
        if (expected != null && !expected.equals(next)) {
            try (RevWalk walk = new RevWalk(git)) {
                if (!walk.isMergedInto(walk.parseCommit(expected), walk.parseCommit(next))) {
                    keep(expected);
                }
            }
        }
        return cas(RefKind.HEAD, branch, expected, next);
    }

    private boolean deleteRef(String refName, ObjectId expected) throws IOException {
        RefUpdate u = git.updateRef(refName);
        u.setExpectedOldObjectId(expected);
        u.setForceUpdate(true);
        u.disableRefLog();
        RefUpdate.Result r = u.delete();
        return r == RefUpdate.Result.FORCED || r == RefUpdate.Result.NO_CHANGE;
    }

    /** A step that reads this repo's objects (trees, manifests, commits) through one reader. */
    interface Reading<T> {
        T read(ObjectReader reader) throws IOException;
    }

    /**
     * Runs {@code reading} with a reader of this repo's objects, closed after: the one way pfs opens one, so
     * every step that walks a tree or reads a manifest shares the reader's cache for the whole step.
     */
    <T> T read(Reading<T> reading) throws IOException {
        try (ObjectReader reader = git.newObjectReader()) {
            return reading.read(reader);
        }
    }

    ObjectId writeCommit(ObjectInserter ins, ObjectId tree, ObjectId parent, CommitMeta meta) throws IOException {
        CommitBuilder b = new CommitBuilder();
        b.setTreeId(tree);
        if (parent != null) {
            b.setParentId(parent);
        }
        PersonIdent who = new PersonIdent("sluice", "sluice@localhost",
                meta.finished() != null ? meta.finished() : meta.started(), ZoneOffset.UTC);
        b.setAuthor(who);
        b.setCommitter(who);
        b.setMessage(new String(meta.toJson(json), java.nio.charset.StandardCharsets.UTF_8));
        return ins.insert(b);
    }

    ObjectId emptyTree(ObjectInserter ins) throws IOException {
        return ins.insert(new TreeFormatter());
    }

    ReentrantLock lock(String branch) {
        return branchLocks.computeIfAbsent(branch, b -> new ReentrantLock());
    }

    /**
     * Objects written for one change: loose (fsynced by JGit) while few, then into a single pack, so a
     * commit of 100,000 files makes one pack file instead of 100,000 loose objects.
     */
    final class Writer implements Closeable {
        private static final int LOOSE_LIMIT = 64;
        /** JGit keeps a few dozen bytes per object of an open pack: a pack is closed at this many. */
        private static final int PACK_OBJECTS = 200_000;
        private final ObjectInserter loose = git.newObjectInserter();
        private PackInserter pack;
        private int count;

        ObjectInserter inserter() {
            if (++count > LOOSE_LIMIT && pack == null) {
                pack = git.getObjectDatabase().newPackInserter();
            }
            return pack != null ? pack : loose;
        }

        /**
         * Keeps the open pack's memory bounded: once it holds {@link #PACK_OBJECTS} objects it is written out
         * (durable, though nothing names its objects until a commit does) and the next insert starts another.
         */
        void bound() throws IOException {
            if (pack != null && count > LOOSE_LIMIT + PACK_OBJECTS) {
                flush();
                pack.close();
                pack = git.getObjectDatabase().newPackInserter();
                count = LOOSE_LIMIT + 1;
            }
        }

        /** A reader that sees the objects inserted so far, flushed or not; obtain a new one after more inserts. */
        ObjectReader reader() {
            return pack != null ? pack.newReader() : git.newObjectReader(); // loose objects are on disk at once
        }

        /** Makes everything inserted so far durable and visible. */
        void flush() throws IOException {
            loose.flush();
            if (pack != null) {
                Path packDir = git.getObjectDatabase().getPackDirectory().toPath();
                Set<Path> before = listing(packDir);
                pack.flush();
                for (Path p : listing(packDir)) {
                    if (!before.contains(p)) {
                        fsync(p);
                    }
                }
                fsync(packDir);
            }
        }

        @Override
        public void close() {
            loose.close();
            if (pack != null) {
                pack.close();
            }
        }
    }

    private static Set<Path> listing(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return new HashSet<>(s.toList());
        }
    }

    static void fsync(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // directories cannot be opened for sync on every platform; the data itself was synced
        }
    }

    @Override
    public void close() {
        git.close();
    }

    static SluiceException corrupt(String repo, Exception e) {
        return SluiceException.unavailable("repo " + repo + " is unreadable: " + e.getMessage(), e);
    }
}
