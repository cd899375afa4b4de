package io.sluice.api.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.Json;
import io.sluice.pfs.CommitInfo;
import io.sluice.pps.JobInfo;
import io.sluice.pps.JobState;
import io.sluice.pps.PpsService;
import io.sluice.pfs.CommitRef;
import io.sluice.pfs.FileBatch;
import io.sluice.pfs.PfsService;
import io.sluice.runner.DatumTask;
import io.sluice.runner.exec.DatumCommand;
import io.sluice.runner.exec.InputFile;
import io.sluice.runner.local.LocalJobRunner;
import io.sluice.storage.ObjectStores;

import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code sluice bench trigger} measurement: on a fresh data directory with a real PfsService,
 * PpsService and local runner, times finish commit -> job RUNNING and -> output commit finished for a
 * trivial copy pipeline over {@code commits} commits, then one commit of {@code manyFiles} small files (1,000 by default) with glob
 * {@code /*} (time per datum) and the next commit adding one file (processed and skipped datums, and how
 * long that job took: mostly carrying the skipped datums' outputs into its output commit; per skipped datum, the
 * skip path's cost).
 */
public final class TriggerBench {

    /** The figures, in milliseconds unless named otherwise; printed as JSON by the CLI. */
    public record Result(String isolation, int commits, double toRunningMedianMs, double toRunningP95Ms,
                         double toOutputMedianMs, double toOutputP95Ms, int manyFiles, double manyFilesJobSeconds,
                         double msPerDatum, double runnerAloneMsPerDatum, double ppsOverheadMsPerDatum,
                         long nextProcessed, long nextSkipped, double nextJobMs, double skipUsPerDatum) {
    }

    private TriggerBench() {
    }

    /** Runs the benchmark in {@code dataDir} (which should be empty; it is left for inspection). */
    public static Result run(Path dataDir, int commits, int manyFiles) throws IOException {
        try (PfsService pfs = new PfsService(dataDir, ObjectStores.open("file:" + dataDir.resolve("objects"), dataDir));
             LocalJobRunner runner = new LocalJobRunner(dataDir, List.of());
             PpsService pps = new PpsService(dataDir, pfs, runner)) {
            pps.start();
            pfs.createRepo("bench_in", "trigger benchmark input");
            pps.createPipeline("{\"pipeline\": {\"name\": \"bench_copy\"}, \"transform\": {\"cmd\": [\"sh\", \"-c\","
                    + " \"cp /pfs/in/* /pfs/out/\"]}, \"input\": {\"pfs\": {\"repo\": \"bench_in\", \"glob\": \"/\","
                    + " \"name\": \"in\"}}}");
            Map<String, Long> outputAt = new ConcurrentHashMap<>();
            Closeable sub = pfs.subscribe(c -> {
                if (c.repo().equals("bench_copy")) {
                    for (CommitRef p : c.provenance()) {
                        outputAt.put(p.id(), System.nanoTime());
                    }
                }
            });
            List<Double> toRunning = new ArrayList<>();
            List<Double> toOutput = new ArrayList<>();
            for (int i = 0; i < commits; i++) {
                pfs.startCommit("bench_in", "master", "", List.of());
                pfs.putFile("bench_in", "master", "/f" + i, bytes("commit " + i + "\n"), false);
                long t0 = System.nanoTime();
                CommitInfo c = pfs.finishCommit("bench_in", "master");
                JobInfo job = awaitJob(pps, "bench_copy", c.id(), t0, toRunning);
                pps.waitJob(job.id(), Duration.ofSeconds(60));
                Long out = awaitValue(outputAt, c.id());
                toOutput.add((out - t0) / 1e6);
            }
            sub.close();

            pfs.createRepo("bench_many", "1,000 small files");
            pps.createPipeline("{\"pipeline\": {\"name\": \"bench_each\"}, \"transform\": {\"cmd\": [\"sh\", \"-c\","
                    + " \"cp /pfs/many/* /pfs/out/\"]}, \"input\": {\"pfs\": {\"repo\": \"bench_many\", \"glob\": \"/*\","
                    + " \"name\": \"many\"}}}");
            CommitInfo big = putSmallFiles(pfs, "bench_many", manyFiles);
            // 10 minutes and 20 ms more per datum: 100,000 datums at 6.6 ms each take 11 minutes
            JobInfo bigJob = pps.waitJob(awaitJob(pps, "bench_each", big.id(), System.nanoTime(), new ArrayList<>()).id(),
                    Duration.ofMinutes(10).plusMillis(20L * manyFiles));
            double seconds = Duration.between(bigJob.started(), bigJob.finished()).toNanos() / 1e9;
            pfs.putFile("bench_many", "master", "/one-more", bytes("one more\n"), false);
            CommitInfo one = pfs.inspectCommit("bench_many", "master");
            JobInfo next = pps.waitJob(awaitJob(pps, "bench_each", one.id(), System.nanoTime(), new ArrayList<>()).id(),
                    Duration.ofMinutes(5));
            double perDatum = seconds * 1000 / Math.max(1, bigJob.datumsProcessed());
            double alone = runnerAlone(runner, pfs, big, 100);
            double nextMs = Duration.between(next.started(), next.finished()).toNanos() / 1e6;
            return new Result(runner.isolation().name(), commits, percentile(toRunning, 50), percentile(toRunning, 95),
                    percentile(toOutput, 50), percentile(toOutput, 95), manyFiles, round(seconds), round(perDatum),
                    round(alone), round(perDatum - alone), next.datumsProcessed(), next.datumsSkipped(), round(nextMs),
                    round(nextMs * 1000 / Math.max(1, next.datumsSkipped())));
        }
    }

    /**
     * The same datum work without pps: the runner alone materialising one small file and running the same
     * copy command, {@code n} times; the difference to a job's time per datum is what pps adds.
     */
    private static double runnerAlone(LocalJobRunner runner, PfsService pfs, CommitInfo commit, int n) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String path = String.format("/f%04d", i);
            Map<String, String> commits = Map.of("many", commit.id());
            DatumTask task = new DatumTask("bench-runner", "bench_each", "d" + i, 1,
                    DatumCommand.of(List.of("sh", "-c", "cp /pfs/many/* /pfs/out/"), List.of(), Map.of(),
                            "bench-runner", "d" + i, commits), commits,
                    List.of(new InputFile("many", "bench_many", commit.id(), path, 0)), null,
                    f -> pfs.getFile(f.repo(), f.commit(), f.path(), 0, -1), DatumTask.JobShape.local());
            try {
                runner.run(task, (stream, line) -> { });
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        runner.release("bench-runner");
        return (System.nanoTime() - t0) / 1e6 / n;
    }

    /**
     * The same benchmark run by the build in {@code before} and by this one, each in a JVM of its own, in turn
     * for {@code rounds} rounds (before first in odd rounds, after first in even ones, so neither always gets
     * the quieter machine), with the per-datum, skip and latency figures side by side and after / before
     * ratios of their medians.
     */
    public static Map<String, Object> beside(Path dir, Path before, Path after, int commits, int manyFiles, int rounds)
            throws IOException, InterruptedException {
        Map<String, Build> builds = Build.sideBySide(before, after);
        Map<String, List<JsonNode>> runs = new LinkedHashMap<>();
        builds.keySet().forEach(k -> runs.put(k, new ArrayList<>()));
        for (int round = 0; round < rounds; round++) {
            List<String> order = new ArrayList<>(builds.keySet());
            if (round % 2 == 1) {
                Collections.reverse(order);
            }
            for (String name : order) {
                JsonNode r = runBuild(builds.get(name), dir.resolve(name + "-" + round), commits, manyFiles);
                System.err.println(name + " (round " + (round + 1) + "): " + r);
                runs.get(name).add(r);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("before", builds.get("before").home().toString());
        out.put("after", builds.get("after").home().toString());
        out.put("manyFiles", manyFiles);
        out.put("load average (1 min) at the end", loadAverage());
        for (String field : List.of("msPerDatum", "runnerAloneMsPerDatum", "skipUsPerDatum", "nextJobMs",
                "toRunningMedianMs", "toOutputMedianMs")) {
            Map<String, Object> f = new LinkedHashMap<>();
            for (String name : builds.keySet()) {
                f.put(name, runs.get(name).stream().map(r -> field.equals("skipUsPerDatum")
                        ? round(r.path("nextJobMs").asDouble() * 1000 / Math.max(1, r.path("nextSkipped").asLong()))
                        : r.path(field).asDouble()).toList());
            }
            f.put("after / before (medians)", round(median(f.get("after")) / median(f.get("before"))));
            out.put(field, f);
        }
        out.put("runs", runs);
        return out;
    }

    /** One build's {@code bench trigger} in a JVM of its own, its JSON figures. */
    private static JsonNode runBuild(Build build, Path dir, int commits, int manyFiles) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path log = dir.resolve("bench.log");
        Path json = dir.resolve("figures.json");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", build.classpath(), "io.sluice.api.Main", "bench", "--scratch", dir.resolve("scratch").toString(),
                "trigger", "--commits", Integer.toString(commits), "--files", Integer.toString(manyFiles))
                .redirectOutput(json.toFile()).redirectError(log.toFile()).start();
        if (p.waitFor() != 0) {
            throw new IOException("bench trigger of " + build.home() + " exited with " + p.exitValue() + "; see " + log);
        }
        return Json.mapper().readTree(json.toFile());
    }

    @SuppressWarnings("unchecked")
    private static double median(Object values) {
        List<Double> sorted = new ArrayList<>((List<Double>) values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** One commit of {@code n} small files /f0000... on {@code repo@master}. */
    private static CommitInfo putSmallFiles(PfsService pfs, String repo, int n) {
        pfs.startCommit(repo, "master", n + " small files", List.of());
        try (FileBatch batch = pfs.openBatch(repo, "master")) {
            for (int i = 0; i < n; i++) {
                batch.put(String.format("/f%04d", i), bytes("file " + i + "\n"), false);
            }
            batch.commit();
        }
        return pfs.finishCommit(repo, "master");
    }

    /** Polls until the job for {@code commitId} is RUNNING (or past it), adding the latency since t0. */
    private static JobInfo awaitJob(PpsService pps, String pipeline, String commitId, long t0, List<Double> latencies) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            for (JobInfo j : pps.listJob(pipeline)) {
                if (j.inputs().stream().anyMatch(c -> c.id().equals(commitId))
                        && j.state() != JobState.JOB_CREATED
                        && j.state() != JobState.JOB_STARTING) {
                    latencies.add((System.nanoTime() - t0) / 1e6);
                    return j;
                }
            }
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
        throw new IllegalStateException("no running job of " + pipeline + " for commit " + commitId + " within 60 s");
    }

    private static Long awaitValue(Map<String, Long> map, String key) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Long v = map.get(key);
            if (v != null) {
                return v;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
        throw new IllegalStateException("no output commit for " + key + " within 60 s");
    }

    private static double percentile(List<Double> values, int p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return round(sorted.get(Math.max(0, Math.min(idx, sorted.size() - 1))));
    }

    private static ByteArrayInputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }
}
