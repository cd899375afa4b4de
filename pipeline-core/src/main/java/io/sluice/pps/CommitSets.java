package io.sluice.pps;

import io.sluice.SluiceException;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.CommitRef;
import io.sluice.pfs.PfsService;
import io.sluice.pfs.RepoInfo;
import io.sluice.pps.PipelineSpec.RepoBranch;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Pachyderm's commit sets (global ids): the commits one change caused, read from the set each commit records
 * ({@link CommitInfo#set()}), and whether the DAG has caught up with it. A set is complete when all its
 * commits are finished and no running pipeline reading one of them still has to run for it: a pipeline owes
 * a commit a job until one of its jobs that read the commit has ended, unless the pipeline has already read
 * a newer commit of that branch or cannot run at all (an input without commits).
 */
public final class CommitSets {

    /** How often a waiter looks again; commits and job ends between two looks are seen at the next. */
    private static final long POLL_MS = 50;

    private final PfsService pfs;
    private final JobStore jobs;
    private final Supplier<List<PipelineSpec>> runningPipelines;

    CommitSets(PfsService pfs, JobStore jobs, Supplier<List<PipelineSpec>> runningPipelines) {
        this.pfs = pfs;
        this.jobs = jobs;
        this.runningPipelines = runningPipelines;
    }

    /**
     * One commit set: its id, when its first commit started, its commits (newest first), the pipelines that
     * still have to run for it, and whether it is complete.
     */
    public record CommitSetInfo(String id, Instant started, List<CommitInfo> commits, List<String> pending,
                                boolean complete) {
    }

    /** The newest {@code limit} sets (all when {@code limit <= 0}), newest first by their first commit. */
    public List<CommitSetInfo> list(int limit) {
        Map<String, List<CommitInfo>> bySet = new LinkedHashMap<>();
        for (CommitInfo c : allCommits()) {
            bySet.computeIfAbsent(c.set(), k -> new ArrayList<>()).add(c);
        }
        List<CommitSetInfo> out = new ArrayList<>();
        for (Map.Entry<String, List<CommitInfo>> e : bySet.entrySet()) {
            out.add(new CommitSetInfo(e.getKey(), first(e.getValue()), e.getValue(), List.of(), false));
        }
        out.sort(Comparator.comparing(CommitSetInfo::started).reversed());
        List<CommitSetInfo> page = limit > 0 && out.size() > limit ? out.subList(0, limit) : out;
        return page.stream().map(s -> withPending(s.id(), s.commits())).toList();
    }

    /** The set {@code id}; NOT_FOUND if no commit belongs to it. */
    public CommitSetInfo inspect(String id) {
        List<CommitInfo> commits = allCommits().stream().filter(c -> c.set().equals(id)).toList();
        if (commits.isEmpty()) {
            throw SluiceException.notFound("no commit set '" + id + "'");
        }
        return withPending(id, commits);
    }

    /**
     * The set once it is complete, or as it is when {@code timeout} passes; the wait holds no thread between
     * its looks. NOT_FOUND at once if no commit belongs to it.
     */
    public CompletableFuture<CommitSetInfo> await(String id, Duration timeout) {
        CommitSetInfo now = inspect(id);
        CompletableFuture<CommitSetInfo> f = new CompletableFuture<>();
        if (now.complete()) {
            f.complete(now);
            return f;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Executor later = CompletableFuture.delayedExecutor(POLL_MS, TimeUnit.MILLISECONDS);
        Runnable[] look = new Runnable[1];
        look[0] = () -> {
            try {
                CommitSetInfo s = inspect(id);
                if (s.complete() || System.nanoTime() >= deadline) {
                    f.complete(s);
                } else {
                    later.execute(look[0]);
                }
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        };
        later.execute(look[0]);
        return f;
    }

    /** The jobs of the set (each job belongs to the set of its input that finished last), newest first. */
    public List<JobInfo> jobs(String id) {
        CommitSetInfo s = inspect(id);
        Map<String, CommitInfo> byRef = new HashMap<>();
        s.commits().forEach(c -> byRef.put(c.repo() + "@" + c.id(), c));
        List<JobInfo> out = new ArrayList<>();
        Map<String, CommitInfo> seen = new HashMap<>();
        for (JobInfo j : jobs.list(null)) {
            if (j.inputs().stream().noneMatch(r -> byRef.containsKey(r.repo() + "@" + r.id()))) {
                continue;
            }
            CommitInfo newest = null;
            for (CommitRef r : j.inputs()) {
                CommitInfo c = seen.computeIfAbsent(r.repo() + "@" + r.id(), k -> commit(r));
                if (c != null && c.finished() != null
                        && (newest == null || c.finished().isAfter(newest.finished()))) {
                    newest = c;
                }
            }
            if (newest != null && newest.set().equals(id)) {
                out.add(j);
            }
        }
        return out;
    }

    private CommitSetInfo withPending(String id, List<CommitInfo> commits) {
        Set<String> pending = new LinkedHashSet<>();
        boolean open = false;
        List<PipelineSpec> pipelines = runningPipelines.get();
        for (CommitInfo c : commits) {
            if (c.finished() == null) {
                open = true;
                continue;
            }
            for (PipelineSpec p : pipelines) {
                if (owes(p, c)) {
                    pending.add(p.name());
                }
            }
        }
        return new CommitSetInfo(id, first(commits), commits, List.copyOf(pending), !open && pending.isEmpty());
    }

    /** Whether pipeline {@code p} still has to run for the finished commit {@code c}. */
    private boolean owes(PipelineSpec p, CommitInfo c) {
        RepoBranch rb = new RepoBranch(c.repo(), c.branch());
        if (!p.inputBranches().contains(rb)) {
            return false;
        }
        List<JobInfo> history = jobs.list(p.name());
        boolean read = false;
        for (JobInfo j : history) {
            if (j.inputs().stream().anyMatch(r -> r.repo().equals(c.repo()) && r.id().equals(c.id()))) {
                read = true;
                if (j.state().terminal()) {
                    return false;
                }
            }
        }
        if (read) {
            return true;
        }
        if (!history.isEmpty()) {
            // the newest job read a newer commit of this branch: this one was passed over, as Pachyderm's
            // pipelines pass over commits that land before their first job
            for (CommitRef r : history.get(0).inputs()) {
                if (r.repo().equals(c.repo()) && r.branch().equals(c.branch())) {
                    CommitInfo other = commit(r);
                    if (other != null && other.finished() != null && other.finished().isAfter(c.finished())) {
                        return false;
                    }
                }
            }
        }
        for (RepoBranch in : p.inputBranches()) {
            if (!in.equals(rb) && !hasCommit(in)) {
                return false;
            }
        }
        return true;
    }

    private boolean hasCommit(RepoBranch rb) {
        try {
            return !pfs.listCommit(rb.repo(), rb.branch(), 1).isEmpty();
        } catch (SluiceException e) {
            return false;
        }
    }

    private CommitInfo commit(CommitRef r) {
        try {
            return pfs.inspectCommit(r.repo(), r.id());
        } catch (SluiceException e) {
            return null;
        }
    }

    private List<CommitInfo> allCommits() {
        List<CommitInfo> out = new ArrayList<>();
        for (RepoInfo repo : pfs.listRepos()) {
            try {
                out.addAll(pfs.listCommit(repo.name(), null, 0, true));
            } catch (SluiceException e) {
                // a repo deleted while listing has no commits left to show
            }
        }
        out.sort(Comparator.comparing(CommitInfo::started).reversed());
        return out;
    }

    private static Instant first(List<CommitInfo> commits) {
        return commits.stream().map(CommitInfo::started).min(Comparator.naturalOrder()).orElse(Instant.EPOCH);
    }
}
