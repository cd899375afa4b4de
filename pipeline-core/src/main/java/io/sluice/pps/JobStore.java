package io.sluice.pps;

import io.sluice.SluiceException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.SluiceException;
import io.sluice.Waiters;
import io.sluice.pfs.CommitRef;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Jobs on disk, one JSON file each ({@code pps/jobs/<id>.json}, rewritten atomically on every state
 * change) plus the datums of each ended job ({@code <id>.datums.json}) and, while a job lands its output
 * commit, which outputs each processed datum wrote ({@code <id>.outputs.json}); all jobs are also kept in
 * memory.
 * Waiters on {@link #awaitEnd} are completed when the job ends.
 */
final class JobStore {

    private static final Comparator<JobInfo> NEWEST_FIRST =
            Comparator.comparing(JobInfo::created).thenComparing(JobInfo::id).reversed();

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JobStore.class);
    private static final String DATUMS = ".datums.json";
    private static final String OUTPUTS = ".outputs.json";

    private final Path root;
    private final ObjectMapper mapper;
    private final Map<String, JobInfo> jobs = new ConcurrentHashMap<>();
    private final List<String> damaged = new java.util.ArrayList<>();
    /** Long polls on jobs, by id, completed when the job is stored in a terminal state. */
    private final Waiters<String, JobInfo> endWaiters = new Waiters<>(10_000);
    /** The ids of the jobs that read each input commit ("repo@id"): a job's inputs never change. */
    private final Map<String, Set<String>> byInput = new ConcurrentHashMap<>();
    /** The newest job of each pipeline, so the newest is found without sorting all of them. */
    private final Map<String, JobInfo> newest = new ConcurrentHashMap<>();
    private final List<Consumer<JobInfo>> listeners = new CopyOnWriteArrayList<>();

    JobStore(Path root, ObjectMapper mapper) {
        this.root = root;
        this.mapper = mapper;
        if (Files.isDirectory(root)) {
            try (Stream<Path> files = Files.list(root)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    String n = f.getFileName().toString();
                    if (n.endsWith(".json") && !n.endsWith(DATUMS) && !n.endsWith(OUTPUTS) && !n.startsWith(".")) {
                        load(f);
                    }
                }
            } catch (IOException e) {
                throw SluiceException.unavailable("cannot read jobs under " + root + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Loads one job record; a damaged one (empty, cut short, not a job) is left out and reported instead of
     * stopping the daemon: the input commit it was for gets a new job, as if the crash had lost it.
     */
    private void load(Path f) throws IOException {
        try {
            JobInfo j = mapper.readValue(f.toFile(), JobInfo.class);
            if (j == null || j.id() == null || j.pipeline() == null || j.state() == null || j.inputs() == null) {
                throw new IOException("fields missing");
            }
            index(j);
        } catch (IOException | IllegalArgumentException e) {
            String why = Files.size(f) == 0 ? "it is empty" : "it is not a complete job record";
            damaged.add("job record " + root.getFileName() + "/" + f.getFileName() + " is damaged (" + why
                    + "): left out; its input commit gets a new job; delete the file to stop this report");
        }
    }

    /** What was found damaged when the jobs were loaded, one readable line each. */
    List<String> damaged() {
        return List.copyOf(damaged);
    }

    synchronized void put(JobInfo job) {
        put(job, true);
    }

    /** Stores {@code job}; with {@code durable} false only in memory (progress counters between writes). */
    synchronized void put(JobInfo job, boolean durable) {
        if (durable) {
            AtomicFiles.write(root.resolve(job.id() + ".json"), json(job));
        }
        index(job);
        if (job.state().terminal()) {
            endWaiters.complete(job.id(), job);
        }
        listeners.forEach(l -> l.accept(job));
    }

    private void index(JobInfo job) {
        jobs.put(job.id(), job);
        for (CommitRef in : job.inputs()) {
            byInput.computeIfAbsent(key(in.repo(), in.id()), k -> ConcurrentHashMap.newKeySet()).add(job.id());
        }
        newest.merge(job.pipeline(), job, (old, now) -> NEWEST_FIRST.compare(now, old) <= 0 ? now : old);
    }

    private static String key(String repo, String commitId) {
        return repo + "@" + commitId;
    }

    /**
     * Calls {@code listener} with every job as it is stored, on the storing thread and under this store's lock,
     * so it must only note the change and return.
     */
    void subscribe(Consumer<JobInfo> listener) {
        listeners.add(listener);
    }

    /** The jobs that read commit {@code commitId} of {@code repo}, newest first. */
    List<JobInfo> reading(String repo, String commitId) {
        Set<String> ids = byInput.get(key(repo, commitId));
        if (ids == null) {
            return List.of();
        }
        return ids.stream().map(jobs::get).filter(java.util.Objects::nonNull).sorted(NEWEST_FIRST).toList();
    }

    Optional<JobInfo> get(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    /** Jobs newest first, of one pipeline or of all when {@code pipeline} is null. */
    List<JobInfo> list(String pipeline) {
        return jobs.values().stream().filter(j -> pipeline == null || j.pipeline().equals(pipeline))
                .sorted(NEWEST_FIRST).toList();
    }

    Optional<JobInfo> latest(String pipeline) {
        return Optional.ofNullable(newest.get(pipeline));
    }

    /** The job once it has ended, or as it is when the timeout passes; the wait holds no thread. */
    CompletableFuture<JobInfo> awaitEnd(String id, Duration timeout) {
        Supplier<JobInfo> current = () -> get(id).orElseThrow(() -> SluiceException.notFound("job '" + id
                + "' was deleted"));
        return endWaiters.await(id, timeout, () -> {
            JobInfo now = current.get();
            return now.state().terminal() ? now : null;
        }, current);
    }

    void putDatums(String jobId, List<DatumInfo> datums) {
        AtomicFiles.write(root.resolve(jobId + DATUMS), json(datums));
    }

    /** The datums of an ended job; empty when none were recorded (or the job ended in a crash). */
    List<DatumInfo> datums(String jobId) {
        return read(root.resolve(jobId + DATUMS), new TypeReference<List<DatumInfo>>() { }).orElse(List.of());
    }

    /**
     * Records, durably and before the job's output commit lands, the output paths of each datum the job
     * processed: if the daemon dies after the commit landed, the restarted job finds them here.
     */
    void putOutputs(String jobId, Map<String, List<String>> outputsByDatum) {
        AtomicFiles.write(root.resolve(jobId + OUTPUTS), json(outputsByDatum));
    }

    Optional<Map<String, List<String>>> outputs(String jobId) {
        return read(root.resolve(jobId + OUTPUTS), new TypeReference<Map<String, List<String>>>() { });
    }

    /** Drops the record of {@link #putOutputs} once the job's datum results are stored. */
    void dropOutputs(String jobId) {
        try {
            Files.deleteIfExists(root.resolve(jobId + OUTPUTS));
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot delete the outputs record of job " + jobId + ": " + e.getMessage(), e);
        }
    }

    private <T> Optional<T> read(Path f, TypeReference<T> type) {
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(mapper.readValue(f.toFile(), type));
        } catch (JsonProcessingException e) {
            // damaged by a crash or the disk: the same as never written, which callers handle
            LOG.warn("{} is damaged and taken as absent", f.getFileName());
            return Optional.empty();
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    synchronized void delete(String jobId) {
        JobInfo gone = jobs.remove(jobId);
        if (gone != null) {
            for (CommitRef in : gone.inputs()) {
                byInput.computeIfPresent(key(in.repo(), in.id()), (k, ids) -> {
                    ids.remove(jobId);
                    return ids.isEmpty() ? null : ids;
                });
            }
            newest.remove(gone.pipeline());
            jobs.values().stream().filter(j -> j.pipeline().equals(gone.pipeline())).min(NEWEST_FIRST)
                    .ifPresent(j -> newest.put(j.pipeline(), j));
        }
        try {
            Files.deleteIfExists(root.resolve(jobId + ".json"));
            Files.deleteIfExists(root.resolve(jobId + DATUMS));
            Files.deleteIfExists(root.resolve(jobId + OUTPUTS));
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot delete job " + jobId + ": " + e.getMessage(), e);
        }
    }

    private byte[] json(Object o) {
        try {
            return mapper.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
