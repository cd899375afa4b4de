package io.sluice.pps;

import io.sluice.SluiceException;
import io.sluice.Waiters;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.CommitRef;
import io.sluice.pfs.CommitRemoval;
import io.sluice.pfs.PfsService;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Pachyderm's commit sets (global ids): the commits one change caused, read from the set each commit records
 * ({@link CommitInfo#set()}), and whether the DAG has caught up with it. A set is complete when all its
 * commits are finished and no running pipeline reading one of them still has to run for it: a pipeline owes
 * a commit a job until one of its jobs that read the commit has ended, unless the pipeline has already read
 * a newer commit of that branch or cannot run at all (an input without commits).
 */
public final class CommitSets {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CommitSets.class);


    private final PfsService pfs;
    private final CommitRemoval removal;
    private final JobStore jobs;
    private final JobControl control;
    private final Supplier<List<PipelineSpec>> runningPipelines;
    /** Waits on sets, by set id, completed when a look after some change finds the set complete. */
    private final Waiters<String, CommitSetInfo> waiters = new Waiters<>(10_000);
    /** Looks at the waited sets again after changes; one look covers every change before it started. */
    private final ExecutorService looker;
    private final AtomicBoolean lookDue = new AtomicBoolean();

    /** What pps does with the jobs of a set being removed. */
    interface JobControl {
        /** Stops the job unless it has ended, and returns once it has. */
        void stop(String jobId);

        /** Forgets an ended job, with its logs. */
        void forget(String jobId);
    }

    CommitSets(PfsService pfs, JobStore jobs, JobControl control, Supplier<List<PipelineSpec>> runningPipelines,
               ExecutorService looker) {
        this.pfs = pfs;
        this.removal = pfs.commitRemoval();
        this.jobs = jobs;
        this.control = control;
        this.runningPipelines = runningPipelines;
        this.looker = looker;
    }

    /**
     * Notes that something a set's completeness depends on changed (a commit finished, a job was stored, a
     * pipeline was created, changed or deleted): every waited set is looked at again, once for a burst.
     */
    void changed() {
        if (!waiters.keys().isEmpty() && lookDue.compareAndSet(false, true)) {
            try {
                looker.execute(this::lookAgain);
            } catch (RejectedExecutionException e) {
                lookDue.set(false); // shutting down: the waiters end at their timeouts
            }
        }
    }

    private void lookAgain() {
        lookDue.set(false);
        for (String id : waiters.keys()) {
            try {
                CommitSetInfo s = inspect(id);
                if (s.complete()) {
                    waiters.complete(id, s);
                }
            } catch (SluiceException e) {
                // gone (its repos deleted): its waiters answer with what their own look finds at the timeout
                LOG.debug("commit set {} cannot be looked at: {}", id, e.getMessage());
            }
        }
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
        List<CommitSetInfo> out = new ArrayList<>();
        for (String id : pfs.newestCommitSets(limit)) {
            List<CommitInfo> commits = pfs.commitsInSet(id);
            if (!commits.isEmpty()) { // removed meanwhile
                out.add(withPending(id, commits));
            }
        }
        return out;
    }

    /** The set {@code id}; NOT_FOUND if no commit belongs to it. */
    public CommitSetInfo inspect(String id) {
        List<CommitInfo> commits = pfs.commitsInSet(id);
        if (commits.isEmpty()) {
            throw SluiceException.notFound("no commit set '" + id + "'");
        }
        return withPending(id, commits);
    }

    /**
     * The set once it is complete, or as it is when {@code timeout} passes; the wait holds no thread, and is
     * looked at again only after a change ({@link #changed()}). NOT_FOUND at once if no commit belongs to it.
     */
    public CompletableFuture<CommitSetInfo> await(String id, Duration timeout) {
        inspect(id); // NOT_FOUND at once
        return waiters.await(id, timeout, () -> {
            CommitSetInfo now = inspect(id);
            return now.complete() ? now : null;
        }, () -> inspect(id));
    }

    /** The jobs of the set (each job belongs to the set of its input that finished last), newest first. */
    public List<JobInfo> jobs(String id) {
        CommitSetInfo s = inspect(id);
        Map<String, JobInfo> candidates = new LinkedHashMap<>();
        for (CommitInfo c : s.commits()) {
            jobs.reading(c.repo(), c.id()).forEach(j -> candidates.put(j.id(), j));
        }
        List<JobInfo> out = new ArrayList<>();
        Map<String, CommitInfo> seen = new HashMap<>();
        for (JobInfo j : candidates.values()) {
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
        out.sort(Comparator.comparing(JobInfo::created).thenComparing(JobInfo::id).reversed());
        return out;
    }

    /** What removing a set took away: its commits and the ids of its jobs. */
    public record Removed(String set, List<CommitInfo> commits, List<String> jobs) {
    }

    /**
     * Removes set {@code id} as Pachyderm's drop ({@code delete commit}) or squash does, with their rules (see
     * {@link CommitRemoval}); its jobs are stopped first, so none lands an output into it meanwhile, and
     * forgotten after. Also refused while a job of another set still runs on one of its commits, since that
     * job's output would name a removed commit. A refusal stops and changes nothing.
     */
    public Removed remove(String id, CommitRemoval.Mode mode) {
        List<CommitInfo> commits = removal.check(id, mode);
        List<JobInfo> own = jobs(id);
        Set<String> ownIds = new java.util.HashSet<>();
        own.forEach(j -> ownIds.add(j.id()));
        for (CommitInfo c : commits) {
            for (JobInfo j : jobs.reading(c.repo(), c.id())) {
                if (!j.state().terminal() && !ownIds.contains(j.id())) {
                    throw SluiceException.conflict("cannot " + (mode == CommitRemoval.Mode.DROP ? "delete" : "squash")
                            + " commit set " + id + ": job " + j.id() + " of pipeline " + j.pipeline()
                            + " still runs on " + c.repo() + "@" + c.id() + "; wait for it or stop it first");
                }
            }
        }
        own.forEach(j -> control.stop(j.id()));
        List<JobInfo> stopped = jobs(id); // and any job created for the set meanwhile
        stopped.forEach(j -> control.stop(j.id()));
        List<CommitInfo> removed = removal.remove(id, mode);
        Set<String> forgotten = new java.util.TreeSet<>(ownIds);
        stopped.forEach(j -> forgotten.add(j.id()));
        forgotten.forEach(control::forget);
        changed();
        return new Removed(id, removed, List.copyOf(forgotten));
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
        boolean read = false;
        for (JobInfo j : jobs.reading(c.repo(), c.id())) {
            if (j.pipeline().equals(p.name())) {
                read = true;
                if (j.state().terminal()) {
                    return false;
                }
            }
        }
        if (read) {
            return true;
        }
        JobInfo latest = jobs.latest(p.name()).orElse(null);
        if (latest != null) {
            // the newest job read a newer commit of this branch: this one was passed over, as Pachyderm's
            // pipelines pass over commits that land before their first job
            for (CommitRef r : latest.inputs()) {
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

    private static Instant first(List<CommitInfo> commits) {
        return commits.stream().map(CommitInfo::started).min(Comparator.naturalOrder()).orElse(Instant.EPOCH);
    }
}
