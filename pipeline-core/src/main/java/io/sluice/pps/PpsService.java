package io.sluice.pps;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import io.sluice.SluiceException;
import io.sluice.Waiters;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.CommitRef;
import io.sluice.pfs.FileBatch;
import io.sluice.pfs.FileInfo;
import io.sluice.pfs.Glob;
import io.sluice.pfs.PfsService;
import io.sluice.pfs.Projects;
import io.sluice.pfs.RepoInfo;
import io.sluice.pps.PipelineSpec.RepoBranch;
import io.sluice.pps.PipelineStore.DatumRecord;
import io.sluice.runner.JobRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Pipelines and jobs: keeps pipeline specs (every version), watches the branches they read, and runs one
 * job per new input head through a {@link io.sluice.runner.JobRunner}, recording provenance on each
 * output commit. Errors the caller can act on are {@link io.sluice.SluiceException}s.
 *
 * <p>Every finished commit on a branch a running pipeline reads creates, in commit order on one watcher
 * thread, exactly one job whose inputs are that commit and the current heads of the pipeline's other
 * input branches; each pipeline runs its jobs one after the other on a queue thread of its own, so
 * commits that land while a job runs wait their turn and none is lost. Everything is kept under
 * {@code <dataDir>/pps/}; {@link #start()} after a restart re-runs jobs that had not ended and creates the
 * jobs, oldest first, for input commits that landed while the daemon was down or whose job a crash lost.
 */
public final class PpsService implements Closeable {

    static final String RUNNING = "PIPELINE_RUNNING";
    static final String PAUSED = "PIPELINE_PAUSED";

    private static final Logger LOG = LoggerFactory.getLogger(PpsService.class);
    /** How far back {@link #start()} looks for input commits that never got a job. */
    private static final int CATCH_UP_LIMIT = 10_000;
    /** How often the cron thread looks for due ticks. */
    private static final long CRON_POLL_MS = 200;
    private static final DateTimeFormatter TICK_NAME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssXXX")
            .withZone(ZoneOffset.UTC);

    private final PfsService pfs;
    private final JobRunner runner;
    private final SpecParser parser;
    private final PipelineStore pipelineStore;
    private final SecretStore secrets;
    private final ObjectMapper mapper;
    private final JobStore jobs;
    /** Which repos pps made as cron inputs' tick repos, so a start deletes only those, never a user's. */
    private final TickRepoRecords tickRecords;
    private final CommitSets sets;
    private final LogStore logs;
    private final Map<String, Pipeline> pipelines = new ConcurrentHashMap<>();
    private final Map<String, JobRun> running = new ConcurrentHashMap<>();
    private final List<String> damaged = new ArrayList<>();
    private final ExecutorService watcher = Executors.newSingleThreadExecutor(r -> daemon(r, "pps-watcher"));
    private final ExecutorService setLooker = Executors.newSingleThreadExecutor(r -> daemon(r, "pps-commit-sets"));
    private final Closeable setEvents;
    private final ScheduledExecutorService cron = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "pps-cron"));
    /** The latest tick of each cron input (by tick repo) and cron trigger ("trigger:" pipeline/input); cron thread and run cron. */
    private final Map<String, Instant> lastTicks = new ConcurrentHashMap<>();
    private Instant lastCreated = Instant.EPOCH;
    private Closeable subscription;
    private volatile boolean closed;

    /** Runtime state of one pipeline: its record, its specs by version, its job queue, its datum results. */
    private final class Pipeline {
        volatile PipelineStore.State state;
        final Map<Integer, PipelineSpec> specs = new ConcurrentHashMap<>();
        final ExecutorService queue;
        /** Datum results of one salt; touched only by the queue thread. */
        Map<String, DatumRecord> results;
        int resultsSalt;

        Pipeline(PipelineStore.State state) {
            this.state = state;
            this.queue = Executors.newSingleThreadExecutor(r -> daemon(r, "pps-" + state.name()));
        }

        String name() {
            return state.name();
        }

        PipelineSpec spec() {
            return spec(state.version());
        }

        PipelineSpec spec(int version) {
            return specs.computeIfAbsent(version, v -> parser.parse(pipelineStore.spec(name(), v), Projects.of(name())));
        }

        Map<String, DatumRecord> results(int salt) {
            if (results == null || resultsSalt != salt) {
                results = new ConcurrentHashMap<>(pipelineStore.datumResults(name(), salt));
                resultsSalt = salt;
            }
            return results;
        }
    }

    public PpsService(Path dataDir, PfsService pfs, JobRunner runner) {
        this.pfs = pfs;
        this.runner = runner;
        ObjectMapper mapper = Json.mapper();
        this.mapper = mapper;
        this.parser = new SpecParser(mapper, Glob::compile);
        Path root = dataDir.resolve("pps");
        this.pipelineStore = new PipelineStore(root.resolve("pipelines"), mapper);
        this.secrets = new SecretStore(root.resolve("secrets"), mapper);
        this.jobs = new JobStore(root.resolve("jobs"), mapper);
        this.logs = new LogStore(root.resolve("logs"), mapper);
        this.tickRecords = new TickRepoRecords(root.resolve("tick-repos"));
        this.sets = new CommitSets(pfs, jobs, new CommitSets.JobControl() {
            @Override
            public void stop(String jobId) {
                stopJob(jobId);
            }

            @Override
            public void forget(String jobId) {
                forgetJob(jobId);
            }
        }, () -> pipelines.values().stream()
                .filter(p -> p.state.state().equals(RUNNING)).map(Pipeline::spec).toList(), setLooker);
        // a waited set changes only when a commit finishes or a job is stored (or a pipeline changes, below)
        this.setEvents = pfs.subscribe(c -> sets.changed());
        jobs.subscribe(j -> sets.changed());
        for (String name : pipelineStore.names()) {
            PipelineStore.State s = recover(name);
            if (s != null) {
                pipelines.put(s.name(), new Pipeline(s));
            }
        }
        deleteOrphanTickRepos();
        damaged.addAll(jobs.damaged());
        damaged.forEach(d -> LOG.error("pps: {}", d));
    }

    /**
     * Deletes the tick repos pps made that no version of any pipeline reads: a crash between making a cron
     * input's tick repo and saving the spec that names it (in create or update) leaves one behind. Only repos
     * pps recorded as its own are candidates, never one a user made, whatever its name or description. When a
     * spec cannot be read, nothing is deleted, since that spec might name any of them.
     */
    private void deleteOrphanTickRepos() {
        Set<String> read = new HashSet<>();
        try {
            for (Pipeline p : pipelines.values()) {
                for (int v = 1; v <= p.state.version(); v++) {
                    PipelineSpec spec = p.spec(v);
                    spec.input().crons().forEach(c -> read.add(c.repo()));
                    spec.input().leaves().forEach(in -> read.add(in.repo()));
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("pps: a pipeline spec is unreadable, so tick repos no pipeline reads are kept: {}", e.getMessage());
            return;
        }
        Map<String, RepoInfo> repos = new HashMap<>();
        pfs.listRepos().forEach(r -> repos.put(r.qualified(), r));
        tickRecords.all().forEach((name, created) -> {
            RepoInfo r = repos.get(name);
            if (r != null && created.isPresent() && !created.get().equals(r.created())) {
                r = null; // the tick repo was deleted, and this is a later repo of the same name: not ours
            }
            if (r != null && read.contains(name)) {
                return;
            }
            if (r != null) {
                LOG.info("pps: deleting tick repo {}, which no pipeline reads (left by a crash while a pipeline with "
                        + "a cron input was created or updated)", name);
                pfs.deleteRepo(name);
            }
            tickRecords.forget(name);
        });
    }

    /**
     * Brings one pipeline's directory to a consistent state after a crash and returns its state (null: no
     * pipeline): an interrupted create is rolled back (its output repo too), an interrupted delete finished,
     * and a damaged state file rebuilt from the spec files, each reported in {@link #damaged()}.
     */
    private PipelineStore.State recover(String name) {
        Optional<PipelineStore.IntentRecord> intent = pipelineStore.intent(name);
        PipelineStore.State state;
        try {
            state = pipelineStore.state(name).orElse(null);
        } catch (RuntimeException e) {
            state = null;
            if (intent.isEmpty()) {
                state = rebuiltState(name);
            }
        }
        if (intent.isPresent() && (intent.get().op() == PipelineStore.Intent.DELETE || state == null)) {
            boolean delete = intent.get().op() == PipelineStore.Intent.DELETE;
            LOG.info("pps: the daemon stopped in the {} of pipeline {}: {} it", delete ? "delete" : "create", name,
                    delete ? "finishing" : "rolling back");
            removeEverything(name, intent.get().repos());
            return null;
        }
        intent.ifPresent(i -> pipelineStore.clearIntent(name)); // a create whose state was saved: complete
        return state;
    }

    /** A pipeline whose state.json is damaged, running its newest spec version again; null when it has none. */
    private PipelineStore.State rebuiltState(String name) {
        List<Integer> versions = pipelineStore.specVersions(name);
        if (versions.isEmpty()) {
            damaged.add("pipeline " + name + ": its state and specs are damaged or missing; left out (its output "
                    + "repo, if any, stays)");
            return null;
        }
        int version = versions.get(0);
        Instant now = Instant.now();
        PipelineStore.State s = new PipelineStore.State(name, version, RUNNING, now, now,
                Map.of(version, pipelineStore.latestSalt(name, version)));
        pipelineStore.saveState(s);
        damaged.add("pipeline " + name + ": its state.json was damaged; rebuilt from its spec files at version "
                + version + ", running");
        return s;
    }

    /**
     * The output repo, the {@code extraRepos} (cron ticks), jobs, logs and record of a pipeline, gone; each
     * step may already have been done.
     */
    private void removeEverything(String name, List<String> extraRepos) {
        List<String> repos = new ArrayList<>(List.of(name));
        repos.addAll(extraRepos);
        lastTicks.keySet().removeIf(k -> k.startsWith("trigger:" + name + "/"));
        for (String repo : repos) {
            lastTicks.remove(repo);
            try {
                pfs.deleteRepo(repo);
            } catch (SluiceException e) {
                if (e.kind() != SluiceException.Kind.NOT_FOUND) {
                    throw e;
                }
            }
        }
        for (JobInfo j : jobs.list(name)) {
            forgetJob(j.id());
        }
        pipelineStore.delete(name);
    }

    /** Drops an ended job's record, datums, logs and whatever the runner kept for it. */
    private void forgetJob(String id) {
        jobs.delete(id);
        logs.delete(id);
        runner.release(id);
    }

    /** What was found damaged at start (job records, pipeline states), one readable line each. */
    public List<String> damaged() {
        return List.copyOf(damaged);
    }

    /** Starts watching input branches and resumes any job that was running when the daemon stopped. */
    public synchronized void start() {
        if (subscription != null || closed) {
            return;
        }
        LOG.info("pps: {} pipelines, runner: {}", pipelines.size(), runner.describe());
        List<JobInfo> unfinished = new ArrayList<>(jobs.list(null).stream()
                .filter(j -> !j.state().terminal()).toList());
        unfinished.sort(Comparator.comparing(JobInfo::created));
        for (JobInfo j : unfinished) {
            Pipeline p = pipelines.get(j.pipeline());
            if (p == null) {
                continue;
            }
            if (j.state() != JobState.JOB_CREATED) {
                LOG.info("job {} of pipeline {} was {} when the daemon stopped: running it again", j.id(),
                        j.pipeline(), j.state());
                jobs.put(j.moveTo(JobState.JOB_CREATED, null, Instant.now(), null));
            }
            enqueue(p, j.id());
        }
        subscription = pfs.subscribe(c -> watcher.execute(() -> onCommit(c)));
        for (Pipeline p : pipelines.values()) {
            watcher.execute(() -> catchUp(p));
        }
        cron.scheduleWithFixedDelay(this::cronTicks, 0, CRON_POLL_MS, TimeUnit.MILLISECONDS);
    }

    /** The secrets that {@code transform.secrets} names. */
    /** Commit sets: the commits and jobs one change caused, and whether the DAG has caught up with it. */
    public CommitSets commitSets() {
        return sets;
    }

    public SecretStore secrets() {
        return secrets;
    }

    /**
     * Creates, oldest first, the jobs of input commits that landed without getting one (the daemon was down,
     * or died between a commit and its job), then the job for the current heads if that is new. Only
     * commits newer than the newest one a job of the pipeline has read count: a pipeline created on a repo
     * with history starts from its head, as in Pachyderm.
     */
    private void catchUp(Pipeline p) {
        if (closed || pipelines.get(p.name()) != p || !p.state.state().equals(RUNNING)) {
            return;
        }
        Set<String> seen = new HashSet<>();
        for (JobInfo j : jobs.list(p.name())) {
            j.inputs().forEach(c -> seen.add(c.id()));
        }
        if (!seen.isEmpty()) {
            for (RepoBranch rb : p.spec().inputBranches()) {
                for (CommitInfo c : missed(rb, seen)) {
                    trigger(p, Map.of(rb, c.id()));
                }
            }
        }
        trigger(p, Map.of());
    }

    /** Commits of {@code rb} newer than the newest one in {@code seen}, oldest first (none if none is). */
    private List<CommitInfo> missed(RepoBranch rb, Set<String> seen) {
        List<CommitInfo> history;
        try {
            history = pfs.listCommit(rb.repo(), rb.branch(), CATCH_UP_LIMIT);
        } catch (SluiceException e) {
            return List.of();
        }
        List<CommitInfo> out = new ArrayList<>();
        for (CommitInfo c : history) {
            if (seen.contains(c.id())) {
                java.util.Collections.reverse(out);
                return out;
            }
            out.add(c);
        }
        return List.of();
    }

    // ---- pipelines

    /** Creates a pipeline from the one Pachyderm-format spec (JSON or YAML) in {@code specText}. */
    public PipelineInfo createPipeline(String specText) {
        return create(parser.parse(specText));
    }

    /** As {@link #createPipelines(String, String, boolean, boolean)} in the default project. */
    public List<PipelineInfo> createPipelines(String specText, boolean update, boolean reprocess) {
        return createPipelines(specText, Projects.DEFAULT, update, reprocess);
    }

    /**
     * Creates, or with {@code update} creates or updates, every pipeline of the specs in {@code specText}
     * (JSON objects, a JSON array or YAML documents), in {@code project} unless a spec names its own, in
     * order, so that a later spec may read an earlier
     * one's output; all or none: when one is refused, the pipelines this call created are deleted again
     * (updates already made stay, as after that many single updates), and the refusal names the spec.
     */
    public List<PipelineInfo> createPipelines(String specText, String project, boolean update, boolean reprocess) {
        List<PipelineSpec> specs = parser.parseAll(specText, project);
        List<String> created = new ArrayList<>();
        List<PipelineInfo> out = new ArrayList<>();
        try {
            for (PipelineSpec spec : specs) {
                boolean exists = pipelines.containsKey(spec.name());
                boolean again = reprocess || spec.raw().path("reprocess").asBoolean(false);
                if (exists && (update || spec.raw().path("update").asBoolean(false))) {
                    out.add(update(spec, again));
                } else {
                    out.add(create(spec));
                    created.add(spec.name());
                }
            }
        } catch (SluiceException e) {
            java.util.Collections.reverse(created);
            for (String name : created) {
                try {
                    deletePipeline(name);
                } catch (RuntimeException ex) {
                    LOG.warn("cannot undo the creation of pipeline {}", name, ex);
                }
            }
            if (specs.size() == 1) {
                throw e;
            }
            String which = specs.get(out.size()).name();
            throw new SluiceException(e.kind(), "pipeline '" + which + "' (spec #" + (out.size() + 1) + " of "
                    + specs.size() + "): " + e.getMessage() + (created.isEmpty() ? "" : "; the " + created.size()
                    + " created before it were deleted again"), e);
        }
        return out;
    }

    private PipelineInfo create(PipelineSpec spec) {
        String specJson = json(spec);
        Pipeline p;
        synchronized (this) {
            if (pipelines.containsKey(spec.name())) {
                throw SluiceException.conflict("pipeline '" + spec.name() + "' already exists; use update pipeline");
            }
            pfs.inspectProject(Projects.of(spec.name())); // its output repo goes there: NOT_FOUND before anything is made
            List<String> tickRepos = createTickRepos(spec);
            try {
                checkInputs(spec);
                if (pfs.listRepos().stream().anyMatch(r -> r.qualified().equals(spec.name()))) {
                    throw SluiceException.conflict("repo '" + spec.name() + "' already exists; a pipeline's output "
                            + "repo carries the pipeline's name, so choose another name or delete the repo");
                }
            } catch (RuntimeException e) {
                tickRepos.forEach(pfs::deleteRepo);
                throw e;
            }
            // a crash from here until the state is saved leaves the intent: the next start rolls it all back
            pipelineStore.saveIntent(spec.name(), PipelineStore.Intent.CREATE, tickRepos);
            Instant now = Instant.now();
            PipelineStore.State state = new PipelineStore.State(spec.name(), 1, RUNNING, now, now, Map.of(1, 1));
            try {
                pfs.createRepo(spec.name(), "output of pipeline " + spec.name());
            } catch (RuntimeException e) {
                pipelineStore.delete(spec.name()); // the repo is not ours (someone took the name meanwhile)
                tickRepos.forEach(pfs::deleteRepo);
                throw e;
            }
            try {
                pipelineStore.saveSpec(spec.name(), 1, specJson);
                pipelineStore.saveState(state);
                pipelineStore.clearIntent(spec.name());
            } catch (RuntimeException e) {
                removeEverything(spec.name(), tickRepos);
                throw e;
            }
            p = new Pipeline(state);
            p.specs.put(1, spec);
            pipelines.put(spec.name(), p);
        }
        sets.changed();
        kick(p);
        return info(p);
    }

    /**
     * Stores a new version of pipeline {@code name}'s spec, whose own name must be {@code name};
     * {@code reprocess}, or a {@code salt} other than the current version's, ignores earlier datum results.
     */
    public PipelineInfo updatePipeline(String name, String specText, boolean reprocess) {
        PipelineSpec spec = parser.parse(specText, Projects.of(name));
        if (!spec.name().equals(name)) {
            throw SluiceException.invalid("the spec names pipeline '" + spec.name() + "', not '" + name
                    + "'; a pipeline cannot be renamed (create the new one, then delete the old)");
        }
        return update(spec, reprocess);
    }

    private PipelineInfo update(PipelineSpec spec, boolean reprocess) {
        String specJson = json(spec);
        Pipeline p;
        synchronized (this) {
            p = pipeline(spec.name());
            List<String> tickRepos = createTickRepos(spec);
            try {
                checkInputs(spec);
            } catch (RuntimeException e) {
                tickRepos.forEach(pfs::deleteRepo);
                throw e;
            }
            PipelineStore.State old = p.state;
            int version = old.version() + 1;
            Map<Integer, Integer> salts = new HashMap<>(old.salts());
            boolean newSalt = !spec.salt().equals(p.spec().salt());
            salts.put(version, reprocess || newSalt ? version : old.salt(old.version()));
            PipelineStore.State state = new PipelineStore.State(old.name(), version, old.state(), old.created(),
                    Instant.now(), salts);
            pipelineStore.saveSpec(spec.name(), version, specJson);
            pipelineStore.saveState(state);
            p.specs.put(version, spec);
            p.state = state;
        }
        sets.changed();
        kick(p);
        return info(p);
    }

    public List<PipelineInfo> listPipeline() {
        return pipelines.values().stream().sorted(Comparator.comparing(Pipeline::name)).map(this::info).toList();
    }

    /** The pipelines of one project (NOT_FOUND if there is no such project), by name. */
    public List<PipelineInfo> listPipeline(String project) {
        pfs.inspectProject(project);
        return pipelines.values().stream().filter(p -> Projects.of(p.name()).equals(project))
                .sorted(Comparator.comparing(Pipeline::name)).map(this::info).toList();
    }

    // ---- projects

    /**
     * Deletes project {@code name}: refused (CONFLICT) for {@code default}, and, unless {@code force}, while it
     * holds a repo or pipeline; with {@code force} its pipelines (downstream first) and repos go too, refused
     * before anything is deleted while a pipeline of another project reads one of its repos.
     */
    public void deleteProject(String name, boolean force) {
        pfs.inspectProject(name);
        if (name.equals(Projects.DEFAULT)) {
            throw SluiceException.conflict("the default project cannot be deleted");
        }
        List<String> pipes;
        synchronized (this) {
            pipes = pipelines.keySet().stream().filter(p -> Projects.of(p).equals(name)).sorted().toList();
            List<String> repos = pfs.listRepos(name).stream().map(RepoInfo::qualified).sorted().toList();
            if (!force && (!pipes.isEmpty() || !repos.isEmpty())) {
                throw SluiceException.conflict("project '" + name + "' is not empty (" + repos.size() + " repos, "
                        + pipes.size() + " pipelines); delete them first, or delete it with force");
            }
            for (Pipeline q : pipelines.values()) {
                if (!Projects.of(q.name()).equals(name)) {
                    for (PipelineSpec.Pfs in : q.spec().input().leaves()) {
                        if (Projects.of(in.repo()).equals(name)) {
                            throw SluiceException.conflict("pipeline '" + q.name() + "' of another project reads repo '"
                                    + in.repo() + "'; delete or update it first");
                        }
                    }
                }
            }
        }
        List<String> left = new ArrayList<>(pipes);
        while (!left.isEmpty()) {
            // downstream first: a pipeline no other one left reads
            String next = left.stream().filter(p -> left.stream().noneMatch(q -> !q.equals(p)
                    && pipeline(q).spec().input().leaves().stream().anyMatch(in -> in.repo().equals(p))))
                    .findFirst().orElse(left.get(0));
            deletePipeline(next);
            left.remove(next);
        }
        for (RepoInfo r : pfs.listRepos(name)) {
            deleteRepo(r.qualified());
        }
        pfs.deleteProject(name);
    }

    public PipelineInfo inspectPipeline(String name) {
        return info(pipeline(name));
    }

    /** The spec of one stored version (1 up to the current one) of a pipeline, every version being kept. */
    public PipelineSpec inspectPipelineVersion(String name, int version) {
        Pipeline p = pipeline(name);
        int current = p.state.version();
        if (version < 1 || version > current) {
            throw SluiceException.notFound("pipeline '" + name + "' has no version " + version
                    + "; its versions are 1 to " + current);
        }
        return p.spec(version);
    }

    /** Deletes a pipeline, its output repo, jobs and logs; refused while another pipeline reads its output. */
    public void deletePipeline(String name) {
        Pipeline p;
        List<String> cronRepos;
        synchronized (this) {
            p = pipeline(name);
            for (Pipeline q : pipelines.values()) {
                if (q != p && q.spec().input().leaves().stream().anyMatch(in -> in.repo().equals(name))) {
                    throw SluiceException.conflict("pipeline '" + q.name() + "' reads repo '" + name
                            + "'; delete or update it first");
                }
            }
            // from here on the delete happens: a crash leaves the intent, and the next start finishes it
            cronRepos = p.spec().input().crons().stream().map(PipelineSpec.Cron::repo).toList();
            pipelineStore.saveIntent(name, PipelineStore.Intent.DELETE, cronRepos);
            pipelines.remove(name);
        }
        for (JobInfo j : jobs.list(name)) {
            JobRun run = running.get(j.id());
            if (run != null) {
                run.stop(JobRun.Stop.KILL);
            }
        }
        p.queue.shutdown();
        awaitQuietly(p.queue);
        removeEverything(name, cronRepos);
        sets.changed();
    }

    /**
     * Deletes a repo, refused (CONFLICT, naming the pipeline) while a pipeline reads it or it is a pipeline's
     * output: either would break the pipeline for good. Atomic with pipeline creation.
     */
    public synchronized void deleteRepo(String repo) {
        if (pipelines.containsKey(repo)) {
            throw SluiceException.conflict("repo '" + repo + "' is the output of pipeline '" + repo
                    + "'; delete the pipeline instead (that deletes its output repo too)");
        }
        for (Pipeline p : pipelines.values()) {
            if (p.spec().input().leaves().stream().anyMatch(in -> in.repo().equals(repo))) {
                throw SluiceException.conflict("repo '" + repo + "' is an input of pipeline '" + p.name()
                        + "'; delete or update that pipeline first");
            }
        }
        pfs.deleteRepo(repo);
    }

    /**
     * Refuses (CONFLICT) a user's change to {@code repo} when it is a pipeline's output repo: only the
     * pipeline's jobs write there, each commit with the provenance of the inputs it was made from.
     */
    public void checkUserWrite(String repo) {
        if (pipelines.containsKey(repo)) {
            throw SluiceException.conflict("repo '" + repo + "' is the output of pipeline '" + repo + "': only its "
                    + "jobs write to it; write to its input repos instead");
        }
    }

    // ---- cron inputs

    /**
     * {@code run cron}: one tick now on every cron input of the pipeline (all with the same time), as
     * Pachyderm's RunCron does; INVALID when it has none.
     */
    public List<CommitInfo> runCron(String name) {
        Pipeline p = pipeline(name);
        List<PipelineSpec.Cron> crons = p.spec().input().crons();
        if (crons.isEmpty()) {
            throw SluiceException.invalid("pipeline '" + name + "' has no cron input");
        }
        Instant now = Instant.now();
        List<CommitInfo> out = new ArrayList<>();
        for (PipelineSpec.Cron c : crons) {
            out.add(tick(c, now));
        }
        return out;
    }

    /**
     * The cron thread: for each running pipeline's cron inputs, commits the tick that is due. After a gap
     * (the daemon was down) only the latest missed tick is made, not one per missed period.
     */
    private void cronTicks() {
        if (closed) {
            return;
        }
        Instant now = Instant.now();
        for (Pipeline p : pipelines.values()) {
            if (!p.state.state().equals(RUNNING)) {
                continue;
            }
            for (PipelineSpec.Cron c : p.spec().input().crons()) {
                try {
                    CronSchedule schedule = CronSchedule.parse(c.spec());
                    Instant last = lastTicks.computeIfAbsent(c.repo(), r -> latestTick(c, p.state.created()));
                    Instant next = schedule.next(last);
                    if (next == null || next.isAfter(now)) {
                        continue;
                    }
                    for (Instant later = schedule.next(next); later != null && !later.isAfter(now);
                         later = schedule.next(later)) {
                        next = later;
                    }
                    tick(c, next);
                } catch (RuntimeException e) {
                    LOG.warn("cron input {} of pipeline {}: cannot tick", c.name(), p.name(), e);
                }
            }
            for (PipelineSpec.Pfs in : p.spec().input().leaves()) {
                if (in.trigger() != null && !in.trigger().cronSpec().isEmpty()) {
                    cronTrigger(p, in, now);
                }
            }
        }
    }

    /**
     * Pachyderm's cron trigger: at each tick of {@code trigger.cron_spec} after the last one (at first, after
     * the input branch head's creation, or the pipeline's), the input branch moves to the trigger branch's
     * head if that differs, and the pipeline gets a job for it; after a gap only one move is made.
     */
    private void cronTrigger(Pipeline p, PipelineSpec.Pfs in, Instant now) {
        PipelineSpec.Trigger t = in.trigger();
        String key = "trigger:" + p.name() + "/" + in.name() + "/" + in.repo() + "@" + in.branch();
        try {
            CronSchedule schedule = CronSchedule.parse(t.cronSpec());
            Instant last = lastTicks.computeIfAbsent(key, k -> {
                List<CommitInfo> head = headOf(in.repo(), in.branch());
                return head.isEmpty() || head.get(0).started().isBefore(p.state.created())
                        ? p.state.created() : head.get(0).started();
            });
            Instant next = schedule.next(last);
            if (next == null || next.isAfter(now)) {
                return;
            }
            lastTicks.put(key, now);
            List<CommitInfo> source = headOf(in.repo(), t.branch());
            List<CommitInfo> target = headOf(in.repo(), in.branch());
            if (source.isEmpty() || (!target.isEmpty() && target.get(0).id().equals(source.get(0).id()))) {
                return;
            }
            String id = source.get(0).id();
            pfs.createBranch(in.repo(), in.branch(), id);
            LOG.info("cron trigger of pipeline {}: {}@{} moved to {}", p.name(), in.repo(), in.branch(), id);
            trigger(p, Map.of(new RepoBranch(in.repo(), in.branch()), id));
        } catch (RuntimeException e) {
            LOG.warn("cron trigger of pipeline {} on {}@{}: cannot fire", p.name(), in.repo(), t.branch(), e);
        }
    }

    /** The head commit of {@code repo@branch}, or nothing when the branch has none. */
    private List<CommitInfo> headOf(String repo, String branch) {
        try {
            return pfs.listCommit(repo, branch, 1);
        } catch (SluiceException e) {
            if (e.kind() == SluiceException.Kind.NOT_FOUND) {
                return List.of();
            }
            throw e;
        }
    }

    /** The newest tick file's time in the tick repo, else the input's start (else the pipeline's creation). */
    private Instant latestTick(PipelineSpec.Cron c, Instant created) {
        Instant start = c.start() != null ? c.start() : created;
        Instant latest = start;
        try {
            for (FileInfo f : pfs.listFile(c.repo(), "master", "/")) {
                try {
                    Instant t = java.time.OffsetDateTime.parse(f.path().substring(1)).toInstant();
                    if (t.isAfter(latest)) {
                        latest = t;
                    }
                } catch (java.time.format.DateTimeParseException e) {
                    // not a tick file: someone put it there by hand
                }
            }
        } catch (SluiceException e) {
            // no commit yet
        }
        return latest;
    }

    /**
     * One tick commit on the tick repo's master branch: an empty file named by {@code at} in RFC 3339, as
     * Pachyderm writes it, after deleting every earlier file when the input says {@code overwrite}.
     */
    private synchronized CommitInfo tick(PipelineSpec.Cron c, Instant at) {
        Instant t = at.truncatedTo(ChronoUnit.SECONDS);
        try (FileBatch batch = pfs.openBatch(c.repo(), "master", "cron tick " + TICK_NAME.format(t),
                List.of())) {
            if (c.overwrite()) {
                try {
                    for (FileInfo f : pfs.listFile(c.repo(), "master", "/")) {
                        batch.delete(f.path());
                    }
                } catch (SluiceException e) {
                    if (e.kind() != SluiceException.Kind.NOT_FOUND) {
                        throw e;
                    }
                }
            }
            batch.put("/" + TICK_NAME.format(t), new java.io.ByteArrayInputStream(new byte[0]), false);
            CommitInfo out = batch.commit();
            lastTicks.merge(c.repo(), t, (a, b) -> a.isAfter(b) ? a : b);
            return out;
        }
    }

    /** Stops creating jobs for the pipeline (a running job finishes). */
    public PipelineInfo stopPipeline(String name) {
        return setState(name, PAUSED);
    }

    /** Resumes a stopped pipeline: a job for its current input heads is created if they are new to it. */
    public PipelineInfo startPipeline(String name) {
        PipelineInfo info = setState(name, RUNNING);
        kick(pipeline(name));
        return info;
    }

    private synchronized PipelineInfo setState(String name, String to) {
        Pipeline p = pipeline(name);
        PipelineStore.State s = p.state;
        p.state = new PipelineStore.State(s.name(), s.version(), to, s.created(), Instant.now(), s.salts());
        pipelineStore.saveState(p.state);
        sets.changed();
        return info(p);
    }

    private PipelineInfo info(Pipeline p) {
        PipelineStore.State s = p.state;
        PipelineSpec spec = p.spec();
        return new PipelineInfo(Projects.local(s.name()), Projects.of(s.name()), s.version(), s.state(),
                spec.description(), spec.raw(), s.created(),
                s.updated(), jobs.latest(s.name()).map(JobInfo::state).orElse(null), warnings(spec));
    }

    /** What of {@code spec} this daemon runs differently from Pachyderm, one line each. */
    private List<String> warnings(PipelineSpec spec) {
        List<String> out = new ArrayList<>();
        if (runner.runsOnHost()) {
            out.add("the local runner runs transform.cmd on this host" + (spec.transform().image().isEmpty() ? ""
                    : " and does not pull transform.image '" + spec.transform().image() + "'"
                    + (spec.transform().imagePullSecrets().isEmpty() ? "" : " (so transform.image_pull_secrets go unused)"))
                    + "; its tools must be installed here");
            if (!runner.isolationGap().isEmpty()) {
                out.add(runner.isolationGap());
            }
            boolean gpu = (spec.requests() != null && spec.requests().gpu() != null)
                    || (spec.limits() != null && spec.limits().gpu() != null);
            if (gpu) {
                out.add("GPU resources are reported, not scheduled: the local runner gives user code this host's "
                        + "devices as they are");
            }
            if (spec.autoscaling()) {
                out.add("autoscaling is accepted; the local runner starts its parallelism_spec workers per job anyway");
            }
        }
        return out;
    }

    private String json(PipelineSpec spec) {
        try {
            return mapper.writeValueAsString(spec.raw());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Creates the tick repos of the spec's cron inputs that do not exist yet; returns those it created. */
    private List<String> createTickRepos(PipelineSpec spec) {
        List<String> made = new ArrayList<>();
        Set<String> existing = new HashSet<>();
        pfs.listRepos().forEach(r -> existing.add(r.qualified()));
        for (PipelineSpec.Cron c : spec.input().crons()) {
            if (!existing.contains(c.repo())) {
                // recorded first, so a crash right after making it still leaves it known as pps's
                tickRecords.making(c.repo());
                RepoInfo r;
                try {
                    r = pfs.createRepo(c.repo(), "cron ticks of pipeline " + spec.name() + " (" + c.spec() + ")");
                } catch (RuntimeException e) {
                    tickRecords.forget(c.repo()); // someone made a repo of that name meanwhile: it is theirs
                    throw e;
                }
                tickRecords.made(c.repo(), r.created());
                existing.add(c.repo());
                made.add(c.repo());
            }
        }
        return made;
    }

    private Pipeline pipeline(String name) {
        Pipeline p = name == null ? null : pipelines.get(name);
        if (p == null) {
            throw SluiceException.notFound("no pipeline '" + name + "'");
        }
        return p;
    }

    /**
     * Input repos and named secrets must exist, and no pipeline may end up reading its own output, directly
     * or not.
     */
    private void checkInputs(PipelineSpec spec) {
        List<PipelineSpec.SecretMount> mounts = spec.transform().secrets();
        for (int i = 0; i < mounts.size(); i++) {
            PipelineSpec.SecretMount s = mounts.get(i);
            Map<String, String> keys = secrets.get(s.name());
            if (s.key() != null && !keys.containsKey(s.key())) {
                throw SluiceException.invalid("secret '" + s.name() + "' has no key '" + s.key() + "'");
            }
            if (s.mountPath() != null && !runner.secretFilesGap().isEmpty()) {
                throw SluiceException.invalid("'transform.secrets[" + i + "].mount_path' cannot be run here: "
                        + runner.secretFilesGap() + "; use env_var with key");
            }
        }
        for (PipelineSpec.Pfs in : spec.input().leaves()) {
            if (in.repo().equals(spec.name())) {
                throw SluiceException.invalid("pipeline '" + spec.name() + "' cannot read its own output repo");
            }
            if (pfs.listRepos().stream().noneMatch(r -> r.qualified().equals(in.repo()))) {
                throw SluiceException.notFound("input repo '" + in.repo() + "' of pipeline '" + spec.name()
                        + "' does not exist");
            }
        }
        Map<String, String> readBy = new HashMap<>();
        Deque<String> todo = new ArrayDeque<>();
        for (PipelineSpec.Pfs in : spec.input().leaves()) {
            readBy.putIfAbsent(in.repo(), spec.name());
            todo.add(in.repo());
        }
        while (!todo.isEmpty()) {
            String repo = todo.pop();
            if (repo.equals(spec.name())) {
                List<String> chain = new ArrayList<>();
                for (String r = repo; chain.size() <= pipelines.size() + 1; r = readBy.get(r)) {
                    chain.add(r);
                    if (readBy.get(r).equals(spec.name())) {
                        break;
                    }
                }
                java.util.Collections.reverse(chain);
                throw SluiceException.invalid("pipeline '" + spec.name() + "' would form a cycle: '" + spec.name()
                        + "' reads " + String.join(" <- ", chain));
            }
            Pipeline up = pipelines.get(repo);
            if (up != null && !up.name().equals(spec.name())) {
                for (PipelineSpec.Pfs in : up.spec().input().leaves()) {
                    if (readBy.putIfAbsent(in.repo(), repo) == null) {
                        todo.add(in.repo());
                    }
                }
            }
        }
    }

    // ---- watching and queueing

    private void onCommit(CommitInfo c) {
        RepoBranch rb = new RepoBranch(c.repo(), c.branch());
        for (Pipeline p : pipelines.values()) {
            if (p.spec().inputBranches().contains(rb)) {
                trigger(p, Map.of(rb, c.id()));
            }
            for (PipelineSpec.Pfs in : p.spec().input().leaves()) {
                if (in.trigger() != null && in.trigger().cronSpec().isEmpty() && in.repo().equals(c.repo())
                        && in.trigger().branch().equals(c.branch())) {
                    fireTrigger(p, in, c);
                }
            }
        }
    }

    /**
     * Pachyderm's branch trigger: when commit {@code c} lands on the trigger's branch and the commits or
     * bytes that arrived there since the input branch's head satisfy its conditions (all of them with
     * {@code all}, else any), the input branch moves to {@code c} and the pipeline gets a job for it.
     */
    private void fireTrigger(Pipeline p, PipelineSpec.Pfs in, CommitInfo c) {
        PipelineSpec.Trigger t = in.trigger();
        try {
            List<CommitInfo> head = headOf(in.repo(), in.branch());
            CommitInfo target = head.isEmpty() ? null : head.get(0);
            if (target != null && target.id().equals(c.id())) {
                return;
            }
            long commits = 0;
            for (CommitInfo x : pfs.listCommit(in.repo(), t.branch(), CATCH_UP_LIMIT)) {
                if (target != null && x.id().equals(target.id())) {
                    break;
                }
                commits++;
            }
            long grown = c.sizeBytes() - (target == null ? 0 : target.sizeBytes());
            List<Boolean> met = new ArrayList<>();
            if (t.commits() > 0) {
                met.add(commits >= t.commits());
            }
            if (t.size() != null) {
                met.add(grown >= SpecParser.sizeBytes(t.size(), "trigger.size"));
            }
            boolean fire = t.all() ? !met.contains(false) : met.contains(true);
            if (fire) {
                pfs.createBranch(in.repo(), in.branch(), c.id());
                LOG.info("trigger of pipeline {}: {}@{} moved to {} ({} new commits, {} new bytes)", p.name(),
                        in.repo(), in.branch(), c.id(), commits, grown);
                trigger(p, Map.of(new RepoBranch(in.repo(), in.branch()), c.id()));
            }
        } catch (RuntimeException e) {
            LOG.warn("trigger of pipeline {} on {}@{}: cannot fire", p.name(), in.repo(), t.branch(), e);
        }
    }

    /** Asks the watcher thread to look at the pipeline's input heads (after create, update, start). */
    private void kick(Pipeline p) {
        if (subscription != null && !closed) {
            watcher.execute(() -> trigger(p, Map.of()));
        }
    }

    /**
     * Creates a job for the pipeline's inputs as they are now ({@code known} pins the commit that triggered
     * it), unless the pipeline is paused, an input has no commit yet, or its last job had exactly these
     * inputs under the current spec version.
     */
    private void trigger(Pipeline p, Map<RepoBranch, String> known) {
        if (closed || pipelines.get(p.name()) != p || !p.state.state().equals(RUNNING)) {
            return;
        }
        try {
            List<CommitRef> inputs = heads(p.spec(), known);
            if (inputs == null) {
                return;
            }
            JobInfo last = jobs.latest(p.name()).orElse(null);
            if (last != null && last.pipelineVersion() == p.state.version() && last.inputs().equals(inputs)) {
                return;
            }
            JobInfo job = JobInfo.newJob(p.name(), p.state.version(), inputs, nextCreated());
            jobs.put(job);
            enqueue(p, job.id());
        } catch (RuntimeException e) {
            LOG.error("cannot create a job for pipeline {}", p.name(), e);
        }
    }

    /**
     * One commit per input branch, in spec order (a pfs input's {@code commit} pins its branch's); null when
     * a branch has no commit yet.
     */
    private List<CommitRef> heads(PipelineSpec spec, Map<RepoBranch, String> known) {
        List<CommitRef> out = new ArrayList<>();
        Map<RepoBranch, String> pinned = new HashMap<>();
        for (PipelineSpec.Pfs in : spec.input().leaves()) {
            if (!in.commit().isEmpty()) {
                pinned.put(new RepoBranch(in.repo(), in.branch()), in.commit());
            }
        }
        for (RepoBranch rb : spec.inputBranches()) {
            String id = pinned.containsKey(rb) ? pfs.inspectCommit(rb.repo(), pinned.get(rb)).id() : known.get(rb);
            if (id == null) {
                List<CommitInfo> head;
                try {
                    head = pfs.listCommit(rb.repo(), rb.branch(), 1);
                } catch (SluiceException e) {
                    return null;
                }
                if (head.isEmpty()) {
                    return null;
                }
                id = head.get(0).id();
            }
            out.add(new CommitRef(rb.repo(), rb.branch(), id));
        }
        return out;
    }

    private synchronized Instant nextCreated() {
        Instant now = Instant.now();
        lastCreated = now.isAfter(lastCreated) ? now : lastCreated.plus(1, ChronoUnit.MICROS);
        return lastCreated;
    }

    private void enqueue(Pipeline p, String jobId) {
        p.queue.execute(() -> runJob(p, jobId));
    }

    private void runJob(Pipeline p, String jobId) {
        JobInfo job = jobs.get(jobId).orElse(null);
        if (job == null || closed || job.state().terminal()) {
            return;
        }
        int salt = p.state.salt(job.pipelineVersion());
        JobRun run = new JobRun(pfs, runner, jobs, logs, pipelineStore, secrets, p.spec(job.pipelineVersion()), salt,
                v -> p.state.salt(v), p.results(salt), job);
        running.put(jobId, run);
        JobInfo ended;
        try {
            ended = run.run();
        } catch (RuntimeException e) {
            LOG.error("job {} of pipeline {} broke", jobId, p.name(), e);
            ended = jobs.get(jobId).orElse(job);
        } finally {
            running.remove(jobId);
            runner.release(jobId);
            Thread.interrupted();
        }
        JobState state = ended.state();
        if (state == JobState.JOB_FAILURE || state == JobState.JOB_KILLED) {
            unrunnableDownstream(p, ended);
        }
    }

    /** A failed job leaves no output commit: jobs downstream of it are recorded as unrunnable, transitively. */
    private void unrunnableDownstream(Pipeline failed, JobInfo job) {
        RepoBranch out = new RepoBranch(failed.name(), failed.spec(job.pipelineVersion()).outputBranch());
        for (Pipeline q : pipelines.values()) {
            if (!q.spec().inputBranches().contains(out) || !q.state.state().equals(RUNNING)) {
                continue;
            }
            List<CommitRef> inputs = heads(q.spec(), Map.of());
            Instant now = nextCreated();
            JobInfo unrunnable = JobInfo.newJob(q.name(), q.state.version(), inputs == null ? List.of() : inputs, now)
                    .moveTo(JobState.JOB_UNRUNNABLE, "upstream job " + job.id() + " of pipeline " + failed.name()
                            + " ended " + job.state() + ": " + job.reason(), now, null);
            jobs.put(unrunnable);
            unrunnableDownstream(q, unrunnable);
        }
    }

    // ---- jobs

    /** Jobs newest first, of one pipeline or of all when {@code pipeline} is null. */
    public List<JobInfo> listJob(String pipeline) {
        if (pipeline != null) {
            pipeline(pipeline);
        }
        return jobs.list(pipeline);
    }

    /** Jobs newest first of the pipelines of {@code project} (NOT_FOUND if there is no such project). */
    public List<JobInfo> listProjectJobs(String project) {
        pfs.inspectProject(project);
        return jobs.list(null).stream().filter(j -> Projects.of(j.pipeline()).equals(project)).toList();
    }

    public JobInfo inspectJob(String id) {
        return jobs.get(id).orElseThrow(() -> SluiceException.notFound("no job '" + id + "'"));
    }

    /** Blocks until the job has ended (success, failure, killed, unrunnable) or the timeout passes. */
    public JobInfo waitJob(String id, Duration timeout) {
        return Waiters.join(awaitJob(id, timeout));
    }

    /** As {@link #waitJob} without holding a thread: the future completes when the job ends. */
    public CompletableFuture<JobInfo> awaitJob(String id, Duration timeout) {
        inspectJob(id);
        return jobs.awaitEnd(id, timeout);
    }

    /** Kills a job: its user code is stopped, it ends JOB_KILLED and leaves no output commit. */
    public JobInfo stopJob(String id) {
        JobInfo job = inspectJob(id);
        if (job.state().terminal()) {
            return job;
        }
        synchronized (jobs) {
            JobInfo now = inspectJob(id);
            if (now.state() == JobState.JOB_CREATED) {
                jobs.put(now.moveTo(JobState.JOB_KILLED, "stopped by a user before it started", Instant.now(), null));
            }
        }
        JobRun run = running.get(id);
        if (run != null) {
            run.stop(JobRun.Stop.KILL);
        }
        return waitJob(id, Duration.ofSeconds(30));
    }

    public List<DatumInfo> listDatum(String jobId) {
        inspectJob(jobId);
        JobRun run = running.get(jobId);
        return run != null ? run.datums() : jobs.datums(jobId);
    }

    /** Log lines of a pipeline's jobs or of one job, optionally of one datum, oldest first. */
    public List<LogLine> logs(String pipeline, String jobId, String datumId) {
        if (jobId != null) {
            inspectJob(jobId);
            return logs.read(jobId, datumId);
        }
        if (pipeline == null) {
            throw SluiceException.invalid("logs need a pipeline or a job");
        }
        pipeline(pipeline);
        List<LogLine> out = new ArrayList<>();
        for (JobInfo j : jobs.list(pipeline)) {
            out.addAll(logs.read(j.id(), datumId));
        }
        out.sort(Comparator.comparing(LogLine::time));
        return out;
    }

    /**
     * Stops watching and stops running jobs without ending them: they stay unfinished on disk and
     * {@link #start()} runs them again (a job busy writing its output commit finishes it first). The
     * runner and PfsService stay open: whoever made them closes them, after this.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (Closeable c : subscription == null ? List.of(setEvents) : List.of(subscription, setEvents)) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.warn("cannot unsubscribe from pfs", e);
            }
        }
        watcher.shutdownNow();
        setLooker.shutdownNow();
        cron.shutdownNow();
        running.values().forEach(r -> r.stop(JobRun.Stop.SHUTDOWN));
        pipelines.values().forEach(p -> p.queue.shutdown());
        awaitQuietly(watcher);
        awaitQuietly(cron);
        pipelines.values().forEach(p -> awaitQuietly(p.queue));
    }

    private static void awaitQuietly(ExecutorService e) {
        try {
            if (!e.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("a pps thread did not stop within 30 s");
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
