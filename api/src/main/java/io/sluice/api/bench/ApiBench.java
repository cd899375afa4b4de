package io.sluice.api.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.sluice.Json;
import io.sluice.api.demo.Demo;
import io.sluice.api.server.ApiServer;
import io.sluice.api.server.Daemon;
import io.sluice.api.server.DaemonConfig;
import io.sluice.pfs.CommitRef;
import io.sluice.pps.JobInfo;
import io.sluice.pps.JobState;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code sluice bench api}: a daemon with its demo on a scratch data dir, then (1) POST /predict to a ready
 * POST /result, sequentially, with where the time went, (2) the same right after a POST /train each time
 * (the first ready answer must come from a model trained on it), and (3) POST /result throughput for a
 * ready file.
 */
public final class ApiBench {
    private final ObjectMapper json = Json.mapper();
    private final HttpClient http = HttpClient.newHttpClient();

    /** Options: how many predict round trips, and how long and how wide the /result load is. */
    public record Options(int requests, double loadSeconds, int connections, double soakSeconds) {
    }

    public Map<String, Object> run(Path scratch, List<Path> jobPath, Options options) throws Exception {
        DaemonConfig config = new DaemonConfig(scratch.resolve("data"), null, "127.0.0.1", 0, jobPath);
        try (Daemon daemon = Daemon.open(config)) {
            Javalin app = ApiServer.create(daemon).start("127.0.0.1", 0);
            try {
                String base = "http://127.0.0.1:" + app.port();
                long t0 = System.nanoTime();
                new Demo(daemon, new PrintStream(OutputStream.nullOutputStream())).run(null, base);
                double firstModelSeconds = (System.nanoTime() - t0) / 1e9;
                // the model commit is in before its job is marked done: wait for the job's end, not only for the model
                long jobDeadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < jobDeadline
                        && daemon.pps().listJob("train").stream().anyMatch(j -> !j.state().terminal())) {
                    Thread.sleep(50);
                }
                if (daemon.pps().listJob("train").stream().noneMatch(j -> j.state() == JobState.JOB_SUCCESS)) {
                    // no model, so no prediction would ever be ready: say why instead of waiting for ever
                    throw new IllegalStateException("the demo trained no model: " + daemon.pps().listJob("train").stream()
                            .map(j -> j.state() + " " + j.reason()).findFirst().orElse("no train job"));
                }

                Map<String, Object> out = new LinkedHashMap<>();
                out.put("benchmark", "api");
                out.put("demoToFirstModelSeconds", round(firstModelSeconds));
                // first, while few request files exist: each new model re-predicts every one of them
                Map<String, Object> afterTraining = trainThenPredict(base, options.requests());
                String readyFile = predictLatency(daemon, base, options.requests(), out);
                out.put("trainThenPredictToResult", afterTraining);
                HttpLoad.Result load = HttpLoad.post("127.0.0.1", app.port(), "/result",
                        "{\"filename\": \"" + readyFile + "\"}", options.connections(), options.loadSeconds());
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("connections", options.connections());
                result.put("seconds", round(load.seconds()));
                result.put("requests", load.requests());
                result.put("errors", load.errors());
                result.put("requestsPerSecond", Math.round(load.requestsPerSecond()));
                result.put("p50Millis", round(load.p50Millis()));
                result.put("p99Millis", round(load.p99Millis()));
                out.put("resultThroughput", result);
                if (options.soakSeconds() > 0) {
                    out.put("soak", soak(base, app.port(), readyFile, options));
                }
                return out;
            } finally {
                app.stop();
            }
        }
    }

    /** Sequential predict round trips; returns the name of a ready file for the load phase. */
    private String predictLatency(Daemon daemon, String base, int n, Map<String, Object> out) throws Exception {
        double[] total = new double[n];
        double[] write = new double[n];
        double[] trigger = new double[n];
        double[] run = new double[n];
        double[] notice = new double[n];
        String last = null;
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            JsonNode predicted = post(base + "/predict", "{\"data\": [\"" + (1 + i % 900) + " " + (1 + i % 1600)
                    + "\", \"" + (2 + i % 900) + " " + (3 + i % 1600) + "\"]}");
            long written = System.nanoTime();
            last = predicted.get("filename").asText();
            long giveUp = written + TimeUnit.MINUTES.toNanos(5);
            while (!post(base + "/result", "{\"filename\": \"" + last + "\"}").get("ready").asBoolean()) {
                if (System.nanoTime() > giveUp) {
                    throw new IllegalStateException("no result for " + last + " within 5 minutes (a failed predict job?)");
                }
                Thread.sleep(2);
            }
            long ready = System.nanoTime();
            total[i] = (ready - start) / 1e6;
            write[i] = (written - start) / 1e6;
            JobInfo job = jobFor(daemon, last);
            if (job != null) {
                CommitRef input = job.inputs().stream().filter(c -> c.repo().equals("streaming")).findFirst().orElseThrow();
                var commit = daemon.pfs().inspectCommit("streaming", input.id());
                var output = daemon.pfs().inspectCommit("predict", job.output().id());
                trigger[i] = millisBetween(commit.finished(), job.started());
                run[i] = millisBetween(job.started(), output.finished());
                notice[i] = Math.max(0, total[i] - write[i] - trigger[i] - run[i]);
            }
        }
        Map<String, Object> latency = new LinkedHashMap<>();
        latency.put("requests", n);
        latency.put("medianMillis", round(percentile(total, 50)));
        latency.put("p95Millis", round(percentile(total, 95)));
        Map<String, Object> spent = new LinkedHashMap<>();
        spent.put("writeRequestFileMillis", round(percentile(write, 50)));
        spent.put("requestCommitToJobRunningMillis", round(percentile(trigger, 50)));
        spent.put("jobRunningToOutputCommitMillis (datum materialised, JVM start, model load, predict, commit)",
                round(percentile(run, 50)));
        spent.put("outputCommitToResultSeenMillis (client polls every 2 ms)", round(percentile(notice, 50)));
        latency.put("medianBreakdown", spent);
        out.put("predictToResult", latency);
        return last;
    }

    /**
     * Rounds of POST /train (two ratings) then at once POST /predict and polling /result until ready; counts
     * the first ready answers whose model was not trained on that round's commit (must be 0).
     */
    private Map<String, Object> trainThenPredict(String base, int n) throws Exception {
        double[] total = new double[n];
        int stale = 0;
        for (int i = 0; i < n; i++) {
            String commit = post(base + "/train", "{\"data\": [\"" + (1 + i % 900) + " " + (1 + i % 1600) + " "
                    + (1 + i % 5) + " 88060" + i + "\"]}").get("commit").asText();
            long start = System.nanoTime();
            String file = post(base + "/predict", "{\"data\": [\"" + (1 + i % 900) + " " + (1 + i % 1600) + "\"]}")
                    .get("filename").asText();
            JsonNode result;
            while (!(result = post(base + "/result", "{\"filename\": \"" + file + "\"}")).get("ready").asBoolean()) {
                Thread.sleep(2);
            }
            total[i] = (System.nanoTime() - start) / 1e6;
            if (!commit.equals(result.path("training").asText())) {
                stale++;
            }
        }
        Map<String, Object> latency = new LinkedHashMap<>();
        latency.put("rounds", n);
        latency.put("medianMillis", round(percentile(total, 50)));
        latency.put("p95Millis", round(percentile(total, 95)));
        latency.put("firstReadyWithoutThatTraining", stale);
        return latency;
    }

    /**
     * Minutes of mixed load: /result at full speed from every connection while one client keeps posting
     * /predict requests; heap in use (after a GC) is sampled so a leak shows as a rising line.
     */
    private Map<String, Object> soak(String base, int port, String readyFile, Options options) throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        List<Long> heapMib = new ArrayList<>();
        AtomicLong predicts = new AtomicLong();
        AtomicLong predictErrors = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread predictor = new Thread(() -> {
            int i = 0;
            while (running.get()) {
                try {
                    post(base + "/predict", "{\"data\": [\"" + (1 + i % 900) + " " + (1 + i++ % 1600) + "\"]}");
                    predicts.incrementAndGet();
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                } catch (IOException e) {
                    predictErrors.incrementAndGet();
                }
            }
        }, "soak-predict");
        Thread sampler = new Thread(() -> {
            while (running.get()) {
                System.gc();
                heapMib.add(memory.getHeapMemoryUsage().getUsed() >> 20);
                try {
                    Thread.sleep(10_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "soak-heap");
        predictor.start();
        sampler.start();
        HttpLoad.Result load = HttpLoad.post("127.0.0.1", port, "/result", "{\"filename\": \"" + readyFile + "\"}",
                options.connections(), options.soakSeconds());
        running.set(false);
        predictor.interrupt();
        sampler.interrupt();
        predictor.join();
        sampler.join();
        Map<String, Object> soak = new LinkedHashMap<>();
        soak.put("seconds", round(load.seconds()));
        soak.put("resultRequests", load.requests());
        soak.put("resultErrors", load.errors());
        soak.put("resultRequestsPerSecond", Math.round(load.requestsPerSecond()));
        soak.put("predictRequests", predicts.get());
        soak.put("predictErrors", predictErrors.get());
        soak.put("heapUsedMibEvery10s", heapMib);
        return soak;
    }

    private static double millisBetween(java.time.Instant from, java.time.Instant to) {
        return Duration.between(from, to).toNanos() / 1e6;
    }

    /** The successful predict job whose output commit first holds {@code filename}; waits for its state to land. */
    private JobInfo jobFor(Daemon daemon, String filename) throws InterruptedException {
        for (int attempt = 0; attempt < 200; attempt++) {
            JobInfo job = findJob(daemon, filename);
            if (job != null) {
                return job;
            }
            Thread.sleep(10);
        }
        return null;
    }

    private JobInfo findJob(Daemon daemon, String filename) {
        for (JobInfo job : daemon.pps().listJob("predict")) {
            if (job.state() == JobState.JOB_SUCCESS && job.output() != null) {
                try {
                    daemon.pfs().inspectFile("predict", job.output().id(), "/" + filename);
                    return job;
                } catch (RuntimeException notThisOne) {
                    // keep looking: the newest job containing the file produced it
                }
            }
        }
        return null;
    }

    private JsonNode post(String url, String body) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IOException(url + " answered " + response.statusCode() + ": " + new String(response.body()));
        }
        return json.readTree(response.body());
    }

    private static double percentile(double[] values, double p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length == 0 ? 0 : sorted[Math.max(0, (int) Math.ceil(p / 100 * sorted.length) - 1)];
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
