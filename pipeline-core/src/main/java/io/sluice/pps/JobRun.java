package io.sluice.pps;

import io.sluice.SluiceException;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.CommitRef;
import io.sluice.pfs.FileInfo;
import io.sluice.pfs.PfsService;
import io.sluice.pps.Datums.Datum;
import io.sluice.pps.Datums.DatumFile;
import io.sluice.pps.PipelineSpec.RepoBranch;
import io.sluice.pps.PipelineStore.DatumRecord;
import io.sluice.runner.DatumResult;
import io.sluice.runner.DatumTask;
import io.sluice.runner.JobRunner;

import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One run of one job, on its pipeline's queue thread: computes the datums, skips those that already
 * succeeded under the pipeline's salt, runs the others through the {@link JobRunner} on
 * {@code parallelism} threads with {@code datum_tries} attempts each, and only when every datum succeeded
 * writes the output commit (new outputs put, skipped datums' outputs copied from the commits that hold
 * them) with the inputs and their provenance as its provenance. A failed or killed job leaves no commit.
 */
final class JobRun {

    /** What stopping a job means: killed by a user, or the daemon closing (the job runs again on restart). */
    enum Stop { NONE, KILL, SHUTDOWN }

    private static final long POLL_MS = 20;
    private static final long COUNTS_MS = 250;

    private final PfsService pfs;
    private final JobRunner runner;
    private final JobStore jobs;
    private final LogStore logs;
    private final PipelineSpec spec;
    private final PipelineStore store;
    private final int salt;
    private final Map<String, DatumRecord> results;
    private final Map<String, DatumInfo> datumInfos = new LinkedHashMap<>();
    private final AtomicInteger busy = new AtomicInteger();
    private volatile Stop stop = Stop.NONE;
    private volatile ExecutorService pool;
    private long lastCountsWrite;
    private JobInfo job;

    /**
     * {@code results} are the pipeline's datum results under {@code salt} (shared with the pipeline's later
     * jobs, which run on the same queue thread); successful datums are added to it and to {@code store}.
     */
    JobRun(PfsService pfs, JobRunner runner, JobStore jobs, LogStore logs, PipelineStore store, PipelineSpec spec,
           int salt, Map<String, DatumRecord> results, JobInfo job) {
        this.pfs = pfs;
        this.runner = runner;
        this.jobs = jobs;
        this.logs = logs;
        this.store = store;
        this.spec = spec;
        this.salt = salt;
        this.results = results;
        this.job = job;
    }

    /** Asks the run to stop; running user code is stopped at once. */
    void stop(Stop how) {
        stop = how;
        ExecutorService p = pool;
        if (p != null) {
            p.shutdownNow();
        }
    }

    /** The datums as they stand now (for {@code list datum} while the job runs). */
    synchronized List<DatumInfo> datums() {
        return List.copyOf(datumInfos.values());
    }

    /** Runs the job to its end; returns the job as it ended (still unfinished after a SHUTDOWN stop). */
    JobInfo run() {
        if (!move(JobState.JOB_STARTING, null, Instant.now(), null, null)) {
            return job;
        }
        try (LogStore.Appender jobLog = logs.open(job.id(), LogStore.JOB_LOG)) {
            try {
                return execute(jobLog);
            } catch (InterruptedException e) {
                return stopped(jobLog);
            } catch (RuntimeException e) {
                if (stop != Stop.NONE) {
                    return stopped(jobLog);
                }
                String reason = e instanceof SluiceException ? e.getMessage() : e.toString();
                say(jobLog, "job failed: " + reason);
                finish(JobState.JOB_FAILURE, reason, null);
                return job;
            } finally {
                jobs.putDatums(job.id(), datums());
            }
        }
    }

    private JobInfo execute(LogStore.Appender jobLog) throws InterruptedException {
        Map<RepoBranch, String> commits = new HashMap<>();
        for (CommitRef in : job.inputs()) {
            commits.put(new RepoBranch(in.repo(), in.branch()), in.id());
        }
        Map<String, Datum> all = new LinkedHashMap<>();
        for (Datum d : Datums.of(spec.input(), commits, pfs::globFile)) {
            all.putIfAbsent(d.id(), d);
        }
        List<Datum> todo = new ArrayList<>();
        synchronized (this) {
            for (Datum d : all.values()) {
                boolean skip = results.containsKey(d.id());
                datumInfos.put(d.id(), new DatumInfo(d.id(), job.id(), skip ? "SKIPPED" : "PENDING",
                        d.described(), 0, null));
                if (!skip) {
                    todo.add(d);
                }
            }
        }
        List<DatumTask.InputFile> prev = spec.incremental() ? previousOutput() : null;
        if (!move(JobState.JOB_RUNNING, null, null, null, null)) {
            return job;
        }
        counts(0, all.size() - todo.size(), 0, all.size());
        say(jobLog, all.size() + " datums: " + todo.size() + " to process, " + (all.size() - todo.size())
                + " skipped");

        Map<String, DatumResult> done = runDatums(todo, prev, jobLog);
        if (done == null) {
            return job;
        }
        say(jobLog, done.size() + " datums processed; writing the output commit");
        CommitInfo out = commitOutput(all, done);
        List<DatumRecord> records = new ArrayList<>();
        for (Map.Entry<String, DatumResult> e : done.entrySet()) {
            records.add(new DatumRecord(e.getKey(), out.id(), e.getValue().output().paths()));
        }
        // recorded before SUCCESS: a crash in between re-runs the job, which then skips these datums
        store.appendDatumResults(job.pipeline(), salt, records);
        records.forEach(r -> results.put(r.datum(), r));
        say(jobLog, "output commit " + out.ref() + " finished");
        finish(JobState.JOB_SUCCESS, null, out.ref());
        return job;
    }

    /** Runs the datums; null when the job ended early (a datum failed, or it was stopped). */
    private Map<String, DatumResult> runDatums(List<Datum> todo, List<DatumTask.InputFile> prev,
                                               LogStore.Appender jobLog) throws InterruptedException {
        Map<String, DatumResult> done = new LinkedHashMap<>();
        if (todo.isEmpty()) {
            return done;
        }
        pool = Executors.newFixedThreadPool(Math.min(spec.parallelism(), todo.size()), r -> {
            Thread t = new Thread(r, "job-" + job.id().substring(0, 8) + "-worker");
            t.setDaemon(true);
            return t;
        });
        if (stop != Stop.NONE) {
            pool.shutdownNow();
        }
        try {
            CompletionService<Map.Entry<Datum, DatumResult>> cs = new ExecutorCompletionService<>(pool);
            List<Future<Map.Entry<Datum, DatumResult>>> futures = new ArrayList<>();
            for (Datum d : todo) {
                futures.add(cs.submit(() -> Map.entry(d, runDatum(d, prev))));
            }
            int processed = 0;
            while (done.size() < todo.size()) {
                if (stop != Stop.NONE) {
                    throw new InterruptedException("stopped");
                }
                Future<Map.Entry<Datum, DatumResult>> f = cs.poll(POLL_MS, TimeUnit.MILLISECONDS);
                if (f == null) {
                    continue;
                }
                Map.Entry<Datum, DatumResult> r;
                try {
                    r = f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (stop != Stop.NONE) {
                        throw new InterruptedException("stopped");
                    }
                    Throwable cause = e.getCause();
                    throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
                } catch (java.util.concurrent.CancellationException e) {
                    throw new InterruptedException("stopped");
                }
                if (!r.getValue().success()) {
                    Datum d = r.getKey();
                    String reason = "datum " + d.id().substring(0, 12) + " " + d.described() + " failed after "
                            + spec.datumTries() + " attempt" + (spec.datumTries() == 1 ? "" : "s") + ": "
                            + r.getValue().error();
                    say(jobLog, reason);
                    pool.shutdownNow();
                    counts(processed, job.datumsSkipped(), 1, job.datumsTotal());
                    finish(JobState.JOB_FAILURE, reason, null);
                    return null;
                }
                done.put(r.getKey().id(), r.getValue());
                processed++;
                counts(processed, job.datumsSkipped(), 0, job.datumsTotal());
            }
            return done;
        } finally {
            pool.shutdownNow();
        }
    }

    private DatumResult runDatum(Datum d, List<DatumTask.InputFile> prev) throws InterruptedException {
        Map<String, String> inputCommits = new LinkedHashMap<>();
        List<DatumTask.InputFile> files = new ArrayList<>();
        for (Datums.Part part : d.parts()) {
            inputCommits.put(part.input(), part.commit());
        }
        for (DatumFile f : d.files()) {
            files.add(new DatumTask.InputFile(f.input(), f.repo(), f.commit(), f.path(), f.size()));
        }
        DatumResult result = null;
        try (LogStore.Appender log = logs.open(job.id(), d.id())) {
            for (int attempt = 1; attempt <= spec.datumTries(); attempt++) {
                datum(d, "RUNNING", attempt, null);
                DatumTask task = new DatumTask(job.id(), job.pipeline(), d.id(), attempt, spec.transform().cmd(),
                        spec.transform().stdin(), spec.transform().env(), spec.transform().image(),
                        resources(spec.requests()), resources(spec.limits()), files, inputCommits, prev,
                        (repo, commit, path) -> pfs.getFile(repo, commit, path, 0, -1),
                        spec.parallelism(), spec.datumTries());
                result = runner.run(task, (stream, message) -> log.add(
                        new LogLine(job.pipeline(), job.id(), d.id(), Instant.now(), stream, message)));
                if (result.success()) {
                    datum(d, "SUCCESS", attempt, null);
                    return result;
                }
                log.add(new LogLine(job.pipeline(), job.id(), d.id(), Instant.now(), "sluice",
                        "attempt " + attempt + " of " + spec.datumTries() + " failed: " + result.error()));
                datum(d, "FAILED", attempt, result.error());
            }
        }
        return result;
    }

    private synchronized void datum(Datum d, String state, int attempts, String error) {
        datumInfos.put(d.id(), new DatumInfo(d.id(), job.id(), state, d.described(), attempts, error));
    }

    private static Map<String, String> resources(PipelineSpec.Resources r) {
        Map<String, String> out = new LinkedHashMap<>();
        if (r != null && r.cpu() != null) {
            out.put("cpu", r.cpu());
        }
        if (r != null && r.memory() != null) {
            out.put("memory", r.memory());
        }
        return out;
    }

    /** The files of the output branch's head, shown read-only at /pfs/prev; null when there is none. */
    private List<DatumTask.InputFile> previousOutput() {
        List<CommitInfo> head = outputHead();
        if (head.isEmpty()) {
            return null;
        }
        String commit = head.get(0).id();
        List<DatumTask.InputFile> out = new ArrayList<>();
        for (FileInfo f : pfs.globFile(job.pipeline(), commit, "/**")) {
            if (f.type() == FileInfo.Type.FILE) {
                out.add(new DatumTask.InputFile("prev", job.pipeline(), commit, f.path(), f.size()));
            }
        }
        return out;
    }

    private CommitInfo commitOutput(Map<String, Datum> all, Map<String, DatumResult> done) {
        Map<String, String> owner = new HashMap<>();
        for (String id : all.keySet()) {
            List<String> paths = done.containsKey(id) ? done.get(id).output().paths() : results.get(id).outputs();
            for (String p : paths) {
                String other = owner.putIfAbsent(p, id);
                if (other != null) {
                    throw SluiceException.invalid("datums " + other.substring(0, 12) + " and " + id.substring(0, 12)
                            + " both wrote " + p + "; each output path must come from one datum");
                }
            }
        }
        String repo = job.pipeline();
        String branch = spec.outputBranch();
        List<CommitInfo> head = outputHead();
        // an output commit left open by a crash mid-commit: output repos are written by this pipeline only
        pfs.abandonCommit(repo, branch);
        pfs.startCommit(repo, branch, "output of job " + job.id(), provenance());
        try (PfsService.FileBatch batch = pfs.openBatch(repo, branch)) {
            // a new commit starts as a copy of its parent: the job's output replaces all of it
            if (!head.isEmpty()) {
                for (FileInfo top : pfs.listFile(repo, head.get(0).id(), "/")) {
                    batch.delete(top.path());
                }
            }
            for (String id : all.keySet()) {
                if (!done.containsKey(id)) {
                    DatumRecord r = results.get(id);
                    for (String p : r.outputs()) {
                        batch.copy(repo, r.commit(), p, p);
                    }
                }
            }
            for (Map.Entry<String, DatumResult> e : done.entrySet()) {
                DatumResult.Output output = e.getValue().output();
                for (String p : output.paths()) {
                    try (InputStream in = output.open(p)) {
                        batch.put(p, in, false);
                    }
                }
            }
            batch.commit();
            return pfs.finishCommit(repo, branch);
        } catch (java.io.IOException e) {
            abandon(repo, branch);
            throw SluiceException.unavailable("cannot read a datum's output: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            abandon(repo, branch);
            throw e;
        }
    }

    /** The output branch's head commit, or nothing before the pipeline's first output. */
    private List<CommitInfo> outputHead() {
        try {
            return pfs.listCommit(job.pipeline(), spec.outputBranch(), 1);
        } catch (SluiceException e) {
            if (e.kind() == SluiceException.Kind.NOT_FOUND) {
                return List.of();
            }
            throw e;
        }
    }

    private void abandon(String repo, String branch) {
        pfs.abandonCommit(repo, branch);
    }

    /** The exact input commits, then everything they came from, each once. */
    private List<CommitRef> provenance() {
        Set<CommitRef> out = new LinkedHashSet<>(job.inputs());
        for (CommitRef in : job.inputs()) {
            out.addAll(pfs.inspectCommit(in.repo(), in.id()).provenance());
        }
        return List.copyOf(out);
    }

    private JobInfo stopped(LogStore.Appender jobLog) {
        if (stop == Stop.SHUTDOWN) {
            say(jobLog, "daemon stopping: the job runs again on restart");
            return job;
        }
        say(jobLog, "job killed");
        finish(JobState.JOB_KILLED, "stopped by a user", null);
        return job;
    }

    private void say(LogStore.Appender jobLog, String message) {
        jobLog.add(new LogLine(job.pipeline(), job.id(), null, Instant.now(), "sluice", message));
    }

    /** Updates the datum counts; they reach disk at most every COUNTS_MS (and with every state change). */
    private void counts(long processed, long skipped, long failed, long total) {
        synchronized (jobs) {
            JobInfo j = jobs.get(job.id()).orElse(job);
            job = new JobInfo(j.id(), j.pipeline(), j.pipelineVersion(), j.state(), j.reason(), j.inputs(),
                    j.output(), j.created(), j.started(), j.finished(), processed, skipped, failed, total);
            long now = System.nanoTime();
            boolean durable = now - lastCountsWrite > COUNTS_MS * 1_000_000;
            if (durable) {
                lastCountsWrite = now;
            }
            jobs.put(job, durable);
        }
    }

    private void finish(JobState state, String reason, CommitRef output) {
        move(state, reason, null, Instant.now(), output);
    }

    /** Moves the job to {@code next} unless it already moved elsewhere (killed meanwhile): then false. */
    private boolean move(JobState next, String reason, Instant started, Instant finished, CommitRef output) {
        synchronized (jobs) {
            JobInfo current = jobs.get(job.id()).orElse(job);
            if (!JobState.valueOf(current.state()).canMoveTo(next)) {
                job = current;
                return false;
            }
            JobInfo j = job;
            job = new JobInfo(j.id(), j.pipeline(), j.pipelineVersion(), next.name(), reason, j.inputs(),
                    output != null ? output : j.output(), j.created(), started != null ? started : j.started(),
                    finished != null ? finished : j.finished(), j.datumsProcessed(), j.datumsSkipped(),
                    j.datumsFailed(), j.datumsTotal());
            jobs.put(job);
            return true;
        }
    }
}
