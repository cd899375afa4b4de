package io.sluice.pps;

import io.sluice.SluiceException;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.CommitRef;
import io.sluice.pfs.FileBatch;
import io.sluice.pfs.FileInfo;
import io.sluice.pfs.PfsService;
import io.sluice.pps.Datums.Datum;
import io.sluice.pps.Datums.DatumFile;
import io.sluice.pps.PipelineSpec.RepoBranch;
import io.sluice.pps.PipelineStore.DatumRecord;
import io.sluice.runner.DatumResult;
import io.sluice.runner.DatumTask;
import io.sluice.runner.JobRunner;
import io.sluice.runner.exec.DatumCommand;
import io.sluice.runner.exec.InputFile;

import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
import java.util.function.IntUnaryOperator;

/**
 * One run of one job, on its pipeline's queue thread: computes the datums, skips those that already
 * succeeded under the pipeline's salt, runs the others through the {@link JobRunner} on
 * {@code parallelism} threads with {@code datum_tries} attempts each, and only when every datum succeeded
 * lands the output commit in one step (built from the previous output commit: only what changed is
 * written) with the inputs and their provenance as its provenance. A failed or killed job leaves no commit;
 * a job re-run after a crash that finds its own output commit already landed just marks itself successful.
 */
final class JobRun {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JobRun.class);

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
    private final SecretStore secrets;
    private final int salt;
    private final IntUnaryOperator saltOf;
    private final Map<String, DatumRecord> results;
    private final Map<String, DatumInfo> datumInfos = new LinkedHashMap<>();
    /** Set once the job ended its datums: a datum thread still winding down may not move one back to RUNNING. */
    private boolean datumsEnded;
    private final AtomicInteger busy = new AtomicInteger();
    /** Datums that failed but whose err_cmd exited 0: they end RECOVERED and are left out of the output. */
    private final Set<String> recovered = new HashSet<>();
    private volatile Stop stop = Stop.NONE;
    private volatile ExecutorService pool;
    private long lastCountsWrite;
    private JobInfo job;

    /**
     * {@code results} are the pipeline's datum results under {@code salt} (shared with the pipeline's later
     * jobs, which run on the same queue thread); successful datums are added to it and to {@code store}.
     * {@code saltOf} gives the salt of any version of the pipeline.
     */
    JobRun(PfsService pfs, JobRunner runner, JobStore jobs, LogStore logs, PipelineStore store, SecretStore secrets,
           PipelineSpec spec, int salt, IntUnaryOperator saltOf, Map<String, DatumRecord> results, JobInfo job) {
        this.pfs = pfs;
        this.secrets = secrets;
        this.runner = runner;
        this.jobs = jobs;
        this.logs = logs;
        this.store = store;
        this.spec = spec;
        this.salt = salt;
        this.saltOf = saltOf;
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
        if (!move(JobState.JOB_STARTING, null, null)) {
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
                String reason;
                if (e instanceof SluiceException) {
                    reason = e.getMessage();
                } else {
                    // a bug, not the user's doing: the trace goes to the daemon's log, a plain line to the job
                    LOG.error("job {} of pipeline {} broke", job.id(), job.pipeline(), e);
                    reason = "internal error in the job runner (the daemon's log has the details)";
                }
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
                boolean skip = spec.reprocessSpec() == PipelineSpec.ReprocessSpec.UNTIL_SUCCESS
                        && results.containsKey(d.id());
                datumInfos.put(d.id(), new DatumInfo(d.id(), job.id(), skip ? DatumState.SKIPPED : DatumState.PENDING,
                        d.described(), 0, null));
                if (!skip) {
                    todo.add(d);
                }
            }
        }
        List<CommitInfo> head = outputHead();
        if (!head.isEmpty() && isOutputOfThisJob(head.get(0))) {
            return alreadyCommitted(head.get(0), all, todo, jobLog);
        }
        List<InputFile> prev = spec.incremental() ? previousOutput(head) : null;
        if (!move(JobState.JOB_RUNNING, null, null)) {
            return job;
        }
        counts(0, all.size() - todo.size(), 0, all.size());
        say(jobLog, all.size() + " datums: " + todo.size() + " to process, " + (all.size() - todo.size())
                + " skipped");

        Map<String, DatumResult> done = runDatums(todo, prev, jobLog);
        if (done == null) {
            return job;
        }
        // a recovered datum contributes nothing, as in Pachyderm: the output is built as if it were not there
        all.keySet().removeAll(recovered);
        Set<String> inHead = head.isEmpty() ? Set.of() : datumsOf(head.get(0));
        for (List<Datum> again = sharers(all, done, inHead); !again.isEmpty(); again = sharers(all, done, inHead)) {
            say(jobLog, again.size() + " skipped datums write output paths that changed datums also write;"
                    + " processing them again to merge those files");
            Map<String, DatumResult> more = runDatums(again, prev, jobLog);
            if (more == null) {
                return job;
            }
            done.putAll(more);
            counts(done.size(), all.size() - done.size(), 0, all.size() + recovered.size());
        }
        say(jobLog, done.size() + " datums processed" + (recovered.isEmpty() ? "" : ", " + recovered.size()
                + " recovered") + "; writing the output commit");
        Map<String, List<String>> outputs = new LinkedHashMap<>();
        done.forEach((id, r) -> outputs.put(id, r.output().paths()));
        // durable before the commit lands: a crash after it still knows which datum wrote what
        jobs.putOutputs(job.id(), outputs);
        CommitInfo out = commitOutput(all, done, head, inHead);
        return succeeded(out, outputs, jobLog);
    }

    /**
     * Whether {@code c} is this job's own output commit, landed before the daemon stopped and the job was
     * marked successful: it names the job and its provenance starts with exactly the job's inputs.
     */
    private boolean isOutputOfThisJob(CommitInfo c) {
        List<CommitRef> prov = c.provenance();
        return c.description().equals(outputDescription()) && prov.size() >= job.inputs().size()
                && prov.subList(0, job.inputs().size()).equals(job.inputs());
    }

    private String outputDescription() {
        return "output of job " + job.id();
    }

    /**
     * The job's output commit already landed (the daemon died before the job was marked): finish the job.
     * The datums it processed are those still to do plus those whose results were recorded with that very
     * commit (the daemon may have died just after recording them); they stay SUCCESS, not SKIPPED.
     */
    private JobInfo alreadyCommitted(CommitInfo out, Map<String, Datum> all, List<Datum> todo,
                                     LogStore.Appender jobLog) {
        if (!move(JobState.JOB_RUNNING, null, null)) {
            return job;
        }
        Set<String> processed = new HashSet<>();
        todo.forEach(d -> processed.add(d.id()));
        results.forEach((id, r) -> {
            if (r.commit().equals(out.id())) {
                processed.add(id);
            }
        });
        synchronized (this) {
            for (Datum d : all.values()) {
                if (processed.contains(d.id())) {
                    datum(d, DatumState.SUCCESS, 1, null);
                }
            }
        }
        counts(processed.size(), all.size() - processed.size(), 0, all.size());
        say(jobLog, "output commit " + out.ref() + " of this job was finished before the daemon stopped; "
                + "not running it again");
        return succeeded(out, jobs.outputs(job.id()).orElse(Map.of()), jobLog);
    }

    private JobInfo succeeded(CommitInfo out, Map<String, List<String>> outputs, LogStore.Appender jobLog) {
        List<DatumRecord> records = new ArrayList<>();
        outputs.forEach((datum, paths) -> records.add(new DatumRecord(datum, out.id(), paths)));
        // recorded before SUCCESS: a crash in between re-runs the job, which then finds its commit again
        store.appendDatumResults(job.pipeline(), salt, records);
        records.forEach(r -> results.put(r.datum(), r));
        say(jobLog, "output commit " + out.ref() + " finished");
        finish(JobState.JOB_SUCCESS, null, out.ref());
        jobs.dropOutputs(job.id());
        return job;
    }

    /** Runs the datums; null when the job ended early (a datum failed, or it was stopped). */
    private Map<String, DatumResult> runDatums(List<Datum> todo, List<InputFile> prev,
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
            int ended = 0;
            long deadline = spec.jobTimeout() == null ? 0 : job.started() == null
                    ? System.nanoTime() + spec.jobTimeout().toNanos()
                    : System.nanoTime() + java.time.Duration.between(Instant.now(), job.started().plus(spec.jobTimeout())).toNanos();
            while (ended < todo.size()) {
                if (stop != Stop.NONE) {
                    throw new InterruptedException("stopped");
                }
                if (deadline != 0 && System.nanoTime() - deadline > 0) {
                    pool.shutdownNow();
                    String reason = "job timed out after " + DatumCommand.Policy.format(spec.jobTimeout().toMillis())
                            + " (job_timeout); its running datums were killed";
                    say(jobLog, reason);
                    counts(processed, job.datumsSkipped(), 0, job.datumsTotal());
                    finish(JobState.JOB_KILLED, reason, null);
                    return null;
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
                ended++;
                if (r.getValue().recovered()) {
                    recovered.add(r.getKey().id());
                    say(jobLog, "datum " + r.getKey().id().substring(0, 12) + " " + r.getKey().described()
                            + " recovered: " + r.getValue().error());
                    counts(processed, job.datumsSkipped(), 0, job.datumsTotal());
                    continue;
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

    private DatumResult runDatum(Datum d, List<InputFile> prev) throws InterruptedException {
        Map<String, String> inputCommits = new LinkedHashMap<>();
        List<InputFile> files = new ArrayList<>();
        for (Datums.Part part : d.parts()) {
            inputCommits.put(part.input(), part.commit());
        }
        for (DatumFile f : d.files()) {
            files.add(new InputFile(f.input(), f.repo(), f.commit(), f.path(), f.size()));
        }
        DatumCommand command = DatumCommand.of(spec.transform().cmd(), spec.transform().stdin(), datumEnv(d),
                job.id(), d.id(), inputCommits).withUser(spec.transform().user()).withPolicy(policy())
                .withSecretFiles(secretFiles());
        PipelineSpec.Transform t = spec.transform();
        Map<String, String> secretMounts = new LinkedHashMap<>();
        t.secrets().stream().filter(s -> s.mountPath() != null).forEach(s -> secretMounts.put(s.mountPath(), s.name()));
        DatumTask.JobShape shape = new DatumTask.JobShape(t.image(), t.env(), resources(spec.requests()),
                resources(spec.limits()), spec.parallelism(), spec.datumTries(), secretMounts, t.imagePullSecrets(),
                t.user(), t.workingDir());
        DatumResult result = null;
        boolean recovered = false;
        try (LogStore.Appender log = logs.open(job.id(), d.id())) {
            for (int attempt = 1; attempt <= spec.datumTries(); attempt++) {
                datum(d, DatumState.RUNNING, attempt, null);
                DatumTask task = new DatumTask(job.id(), job.pipeline(), d.id(), attempt, command, inputCommits,
                        files, prev, f -> pfs.getFile(f.repo(), f.commit(), f.path(), 0, -1), shape);
                result = runner.run(task, (stream, message) -> log.add(
                        new LogLine(job.pipeline(), job.id(), d.id(), Instant.now(), stream, message)));
                if (result.success()) {
                    datum(d, DatumState.SUCCESS, attempt, null);
                    return result;
                }
                log.add(new LogLine(job.pipeline(), job.id(), d.id(), Instant.now(), "sluice",
                        "attempt " + attempt + " of " + spec.datumTries() + " failed: " + result.error()));
                // as Pachyderm's worker: an attempt whose err_cmd succeeded leaves the datum recovered if no
                // later attempt succeeds
                recovered |= result.recovered();
                datum(d, recovered && attempt == spec.datumTries() ? DatumState.RECOVERED : DatumState.FAILED,
                        attempt, result.error());
            }
        }
        return recovered ? DatumResult.recovered(result.exitCode(), result.error()) : result;
    }

    /** What the datum executor enforces of the spec: accept_return_code, err_cmd, datum_timeout, working_dir. */
    private DatumCommand.Policy policy() {
        PipelineSpec.Transform t = spec.transform();
        return new DatumCommand.Policy(t.acceptReturnCode(), t.errCmd(), t.errStdin(),
                spec.datumTimeout() == null ? 0 : Math.max(1, spec.datumTimeout().toMillis()), t.workingDir());
    }

    /** The secrets with a mount_path, each as its directory of files: one per key, as Kubernetes mounts them. */
    private Map<String, Map<String, String>> secretFiles() {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (PipelineSpec.SecretMount s : spec.transform().secrets()) {
            if (s.mountPath() != null) {
                out.put(s.mountPath(), secrets.get(s.name()));
            }
        }
        return out;
    }

    private synchronized void datum(Datum d, DatumState state, int attempts, String error) {
        if (datumsEnded) {
            // a stopped job's datum thread that had not yet marked its datum RUNNING when the job ended
            return;
        }
        datumInfos.put(d.id(), new DatumInfo(d.id(), job.id(), state, d.described(), attempts, error));
    }

    private static Map<String, String> resources(PipelineSpec.Resources r) {
        return r == null ? Map.of() : r.amounts();
    }

    /**
     * What user code sees besides the runner's own variables, later entries winning: {@code transform.env},
     * the secrets it names as env vars, the datum's variables (its paths, input commits, join and group
     * keys) and {@code PACH_OUTPUT_COMMIT_ID}, which is the job id: Sluice's output commit gets its id only
     * when it lands, and in Pachyderm 2.x an output commit's id is its job's id.
     */
    private Map<String, String> datumEnv(Datum d) {
        Map<String, String> env = new LinkedHashMap<>(spec.transform().env());
        for (PipelineSpec.SecretMount s : spec.transform().secrets()) {
            if (s.envVar() != null) {
                String value = secrets.get(s.name()).get(s.key());
                if (value == null) {
                    throw SluiceException.invalid("secret '" + s.name() + "' has no key '" + s.key() + "'");
                }
                env.put(s.envVar(), value);
            }
        }
        env.putAll(d.env());
        env.put("PACH_OUTPUT_COMMIT_ID", job.id());
        return env;
    }

    /** The files of the output branch's head, shown read-only at /pfs/prev; null when there is none. */
    private List<InputFile> previousOutput(List<CommitInfo> head) {
        if (head.isEmpty()) {
            return null;
        }
        String commit = head.get(0).id();
        List<InputFile> out = new ArrayList<>();
        for (FileInfo f : pfs.globFile(job.pipeline(), commit, "/**")) {
            if (f.type() == FileInfo.Type.FILE) {
                out.add(new InputFile("prev", job.pipeline(), commit, f.path(), f.size()));
            }
        }
        return out;
    }

    /**
     * Lands the output commit in one step, built from the output branch's head: the outputs of datums the
     * head had and this job no longer has are removed, skipped datums the head lacks are copied from the
     * commits that hold them, and processed datums' outputs are put; skipped datums the head already has
     * cost nothing, so a job that adds one datum to a thousand writes one datum's files. When it is not
     * known which datums made the head, the head's files are all replaced.
     */
    private CommitInfo commitOutput(Map<String, Datum> all, Map<String, DatumResult> done, List<CommitInfo> head,
                                    Set<String> inHead) {
        Map<String, List<String>> owners = owners(all, done);
        String repo = job.pipeline();
        String branch = spec.outputBranch();
        // an output commit left open by an older Sluice or by hand: output repos are written by pps only
        pfs.abandonCommit(repo, branch);
        try (FileBatch batch = pfs.openBatch(repo, branch, outputDescription(), provenance())) {
            if (inHead == null) {
                for (FileInfo top : pfs.listFile(repo, head.get(0).id(), "/")) {
                    batch.delete(top.path());
                }
            } else {
                for (String id : inHead) {
                    if (!all.containsKey(id)) {
                        results.get(id).outputs().forEach(batch::remove);
                    }
                }
            }
            for (String id : all.keySet()) {
                if (!done.containsKey(id) && (inHead == null || !inHead.contains(id))) {
                    DatumRecord r = results.get(id);
                    for (String p : r.outputs()) {
                        batch.copy(repo, r.commit(), p, p);
                    }
                }
            }
            for (Map.Entry<String, DatumResult> e : done.entrySet()) {
                DatumResult.Output output = e.getValue().output();
                for (String p : output.paths()) {
                    List<String> writers = owners.get(p);
                    if (writers.size() > 1) {
                        // as Pachyderm 2.x merges same-path files of several datums: their bytes in datum-id order
                        if (!writers.get(0).equals(e.getKey())) {
                            continue;
                        }
                        for (String w : writers) {
                            try (InputStream in = done.get(w).output().open(p)) {
                                batch.put(p, in, !w.equals(e.getKey()));
                            }
                        }
                    } else if (output.source(p) != null) {
                        // a link to an input file: the output shares that file's chunks, nothing is uploaded
                        InputFile src = output.source(p);
                        batch.copy(src.repo(), src.commit(), src.path(), p);
                    } else {
                        try (InputStream in = output.open(p)) {
                            batch.put(p, in, false);
                        }
                    }
                }
            }
            return batch.commit();
        } catch (java.io.IOException e) {
            throw SluiceException.unavailable("cannot read a datum's output: " + e.getMessage(), e);
        }
    }

    /**
     * Each output path with the datums writing it, in datum-id order: the processed ones' new outputs and the
     * skipped ones' recorded outputs.
     */
    private Map<String, List<String>> owners(Map<String, Datum> all, Map<String, DatumResult> done) {
        Map<String, List<String>> owners = new HashMap<>();
        for (String id : all.keySet()) {
            List<String> paths = done.containsKey(id) ? done.get(id).output().paths() : results.get(id).outputs();
            paths.forEach(p -> owners.computeIfAbsent(p, k -> new ArrayList<>()).add(id));
        }
        owners.values().forEach(java.util.Collections::sort);
        return owners;
    }

    /**
     * The skipped datums that must run again because the file they share with other datums changes: a
     * merged file needs every writer's bytes, and a skipped datum's own share of it is not kept apart. That
     * is a path written by several datums of which one is processed or not in the head commit; a path a
     * datum of the head shared with a datum that is gone; and a path a datum would be copied with from a
     * commit where another datum wrote it too.
     */
    private List<Datum> sharers(Map<String, Datum> all, Map<String, DatumResult> done, Set<String> inHead) {
        Map<String, List<String>> writers = owners(all, done);
        Map<String, List<String>> gone = new HashMap<>();
        if (inHead != null) {
            inHead.stream().filter(id -> !all.containsKey(id)).forEach(id -> results.get(id).outputs()
                    .forEach(p -> gone.computeIfAbsent(p, k -> new ArrayList<>()).add(id)));
        }
        java.util.function.Predicate<String> fixed = id -> !done.containsKey(id) && inHead != null && inHead.contains(id);
        Set<String> again = new java.util.TreeSet<>();
        for (Map.Entry<String, List<String>> e : writers.entrySet()) {
            List<String> w = e.getValue();
            String only = w.get(0);
            boolean rerun = w.size() > 1 ? !w.stream().allMatch(fixed) || gone.containsKey(e.getKey())
                    : gone.containsKey(e.getKey()) && fixed.test(only)
                    || !done.containsKey(only) && !fixed.test(only) && sharedWhereKept(only, e.getKey());
            if (rerun) {
                w.stream().filter(id -> !done.containsKey(id)).forEach(again::add);
            }
        }
        return again.stream().map(all::get).toList();
    }

    /** Whether another datum also wrote {@code path} into the commit datum {@code id}'s output is kept in. */
    private boolean sharedWhereKept(String id, String path) {
        String commit = results.get(id).commit();
        return results.entrySet().stream().anyMatch(e -> !e.getKey().equals(id)
                && e.getValue().commit().equals(commit) && e.getValue().outputs().contains(path));
    }

    /**
     * The datums whose outputs make up output commit {@code c}, each with its result under this job's salt;
     * null when that is not known (written by a job of another salt, or its datums were never recorded).
     */
    private Set<String> datumsOf(CommitInfo c) {
        JobInfo producer = jobs.list(job.pipeline()).stream()
                .filter(j -> j.output() != null && j.output().id().equals(c.id())
                        && j.state() == JobState.JOB_SUCCESS)
                .findFirst().orElse(null);
        if (producer == null || saltOf.applyAsInt(producer.pipelineVersion()) != salt) {
            return null;
        }
        List<DatumInfo> datums = jobs.datums(producer.id());
        if (datums.size() != producer.datumsTotal()) {
            return null;
        }
        Set<String> out = new HashSet<>();
        for (DatumInfo d : datums) {
            if (!results.containsKey(d.id())) {
                return null;
            }
            out.add(d.id());
        }
        return out;
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

    /**
     * Updates the datum counts, recovered ones from {@link #recovered}; they reach disk at most every COUNTS_MS
     * (and with every state change).
     */
    private void counts(long processed, long skipped, long failed, long total) {
        synchronized (jobs) {
            job = jobs.get(job.id()).orElse(job).withCounts(processed, skipped, failed, total, recovered.size());
            long now = System.nanoTime();
            boolean durable = now - lastCountsWrite > COUNTS_MS * 1_000_000;
            if (durable) {
                lastCountsWrite = now;
            }
            jobs.put(job, durable);
        }
    }

    private void finish(JobState state, String reason, CommitRef output) {
        if (state != JobState.JOB_SUCCESS) {
            endDatums();
        }
        move(state, reason, output);
    }

    /** The datums the job was running or had yet to run end with it (before the job's end is visible). */
    private synchronized void endDatums() {
        datumsEnded = true;
        datumInfos.replaceAll((id, d) -> d.state().terminal() ? d
                : new DatumInfo(d.id(), d.jobId(), DatumState.KILLED, d.files(), d.attempts(), d.error()));
        jobs.putDatums(job.id(), datums());
    }

    /** Moves the job to {@code next} unless it already moved elsewhere (killed meanwhile): then false. */
    private boolean move(JobState next, String reason, CommitRef output) {
        synchronized (jobs) {
            JobInfo current = jobs.get(job.id()).orElse(job);
            if (!current.state().canMoveTo(next)) {
                job = current;
                return false;
            }
            job = current.moveTo(next, reason, Instant.now(), output);
            jobs.put(job);
            return true;
        }
    }
}
