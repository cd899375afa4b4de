package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills the daemon with SIGKILL at random moments under a stream of concurrent writes and pipeline updates,
 * many times, and checks after each restart that every acknowledged commit is intact, nothing half-written
 * is visible, fsck is clean, the pipeline is at its last acknowledged version or later, and it still gets a
 * job for the last input commit.
 */
class CrashIT {
    private static final ObjectMapper JSON = Json.mapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final int CYCLES = 8;
    private static final int WRITERS = 4;

    /** One acknowledged write: the file, what was in it, and the commit the daemon said holds it. */
    record Ack(String path, String content, String commit) {
    }

    @Test
    void acknowledgedCommitsSurviveKillNine(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path log = dir.resolve("daemon.log");
        Random random = new Random(20261123);
        Map<String, Ack> acked = new ConcurrentHashMap<>();
        AtomicInteger counter = new AtomicInteger();
        AtomicInteger ackedVersion = new AtomicInteger(1);
        List<String> refused = new java.util.concurrent.CopyOnWriteArrayList<>();

        try (DaemonProcess first = DaemonProcess.start(data, log)) {
            send(first, "POST", "/api/v1/repos", Map.of(), "{\"name\": \"events\"}");
            send(first, "POST", "/api/v1/pipelines", Map.of(), COPY_PIPELINE);
        }
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            DaemonProcess daemon = DaemonProcess.start(data, log);
            verify(daemon, acked);
            verifyPipeline(daemon, ackedVersion.get());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger cycleUpdates = new AtomicInteger();
            AtomicInteger cycleWrites = new AtomicInteger();
            List<Thread> writers = new ArrayList<>();
            // pipeline updates race the writes and the kill too: an acknowledged version is never lost
            Thread updater = new Thread(() -> {
                while (!stop.get()) {
                    try {
                        int version = updatePipeline(daemon, counter.incrementAndGet(), refused);
                        ackedVersion.accumulateAndGet(version, Math::max);
                        cycleUpdates.incrementAndGet();
                        Thread.sleep(250);
                    } catch (IOException | InterruptedException killed) {
                        return;
                    }
                }
            });
            writers.add(updater);
            updater.start();
            for (int w = 0; w < WRITERS; w++) {
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        int n = counter.incrementAndGet();
                        String path = "/w" + (n % 50) + "/f" + n + ".txt";
                        String content = "event " + n + "\n".repeat(1 + n % 3);
                        try {
                            JsonNode commit = putFile(daemon, path, content);
                            acked.put(path, new Ack(path, content, commit.get("id").asText()));
                            cycleWrites.incrementAndGet();
                        } catch (IOException | InterruptedException | RuntimeException killed) {
                            return; // the daemon died mid-request: this write was never acknowledged
                        }
                    }
                });
                writers.add(t);
                t.start();
            }
            // kill only once this cycle has made progress, so a loaded machine slows the test, not fails it
            awaitMoment(() -> cycleUpdates.get() > 0 && cycleWrites.get() > 0, Duration.ofSeconds(120), 20);
            Thread.sleep(300 + random.nextInt(1200));
            daemon.kill();
            stop.set(true);
            for (Thread t : writers) {
                t.join();
            }
        }
        try (DaemonProcess last = DaemonProcess.start(data, log)) {
            verify(last, acked);
            verifyPipeline(last, ackedVersion.get());
            assertThat(refused).as("answers other than success or a dead connection").isEmpty();
            assertThat(ackedVersion.get()).as("pipeline updates acknowledged across the crashes").isGreaterThan(CYCLES);
            assertThat(acked).as("writes acknowledged across the crashes").hasSizeGreaterThanOrEqualTo(CYCLES);
            JsonNode head = send(last, "GET", "/api/v1/repos/events/commit", Map.of("ref", "master"), null);
            JsonNode job = awaitJobFor(last, head.get("id").asText());
            assertThat(job.get("state").asText()).as("job %s, logs %s", job,
                    send(last, "GET", "/api/v1/logs", Map.of("job", job.get("id").asText()), null)).isEqualTo("JOB_SUCCESS");
        }
    }

    @Test
    void killNineDuringCreateOrDeletePipelineLeavesAllOrNothing(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path log = dir.resolve("daemon.log");
        try (DaemonProcess first = DaemonProcess.start(data, log)) {
            send(first, "POST", "/api/v1/repos", Map.of(), "{\"name\": \"events\"}");
            putFile(first, "/a.txt", "a\n");
        }
        List<String> cut = new ArrayList<>();
        for (int cycle = 0; cycle < 3; cycle++) {
            String name = "p" + cycle;
            Path outputRepo = data.resolve("pfs/" + name + ".git");
            Path pipelineDir = data.resolve("pps/pipelines/" + name);
            DaemonProcess daemon = DaemonProcess.start(data, log);
            checkAllOrNothing(daemon, cut);
            // killed the moment the create has begun to write: its output repo appears before its state
            HTTP.sendAsync(daemon.request("/api/v1/pipelines").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(COPY_PIPELINE.replace("\"copy\"", "\"" + name + "\"")))
                    .build(), HttpResponse.BodyHandlers.ofString());
            killWhen(daemon, () -> Files.exists(outputRepo));
            cut.add("create " + name);

            daemon = DaemonProcess.start(data, log);
            checkAllOrNothing(daemon, cut);
            send(daemon, "POST", "/api/v1/pipelines", Map.of(), COPY_PIPELINE.replace("\"copy\"", "\"" + name + "\""));
            awaitJobFor(daemon, name, send(daemon, "GET", "/api/v1/repos/events/commit", Map.of("ref", "master"), null)
                    .get("id").asText());
            // and the moment the delete has begun to remove things: the output repo or the pipeline's record
            HTTP.sendAsync(daemon.request("/api/v1/pipelines/" + name).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            killWhen(daemon, () -> !Files.exists(outputRepo) || !Files.exists(pipelineDir.resolve("state.json")));
            cut.add("delete " + name);
        }
        try (DaemonProcess last = DaemonProcess.start(data, log)) {
            checkAllOrNothing(last, cut);
            JsonNode fsck = send(last, "POST", "/api/v1/fsck", Map.of(), "{}");
            assertThat(fsck.get("ok").asBoolean()).as("fsck: %s", fsck).isTrue();
        }
    }

    /** SIGKILLs the daemon as soon as {@code moment} holds (watched without pause), or after 60 s. */
    private static void killWhen(DaemonProcess daemon, java.util.function.BooleanSupplier moment) throws Exception {
        awaitMoment(moment, Duration.ofSeconds(60), 0);
        daemon.kill();
    }

    /** Returns once {@code moment} holds or {@code limit} has passed, looking every {@code pauseMillis} (0: without pause). */
    private static void awaitMoment(java.util.function.BooleanSupplier moment, Duration limit, long pauseMillis)
            throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!moment.getAsBoolean() && System.nanoTime() < deadline) {
            if (pauseMillis > 0) {
                Thread.sleep(pauseMillis);
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /** Every pipeline has its output repo and only its own jobs; every p* repo has its pipeline. */
    private static void checkAllOrNothing(DaemonProcess daemon, List<String> cut) throws Exception {
        java.util.Set<String> pipelines = new java.util.TreeSet<>();
        send(daemon, "GET", "/api/v1/pipelines", Map.of(), null).forEach(p -> pipelines.add(p.get("name").asText()));
        java.util.Set<String> outputs = new java.util.TreeSet<>();
        send(daemon, "GET", "/api/v1/repos", Map.of(), null).forEach(r -> outputs.add(r.get("name").asText()));
        outputs.remove("events");
        assertThat(outputs).as("output repos after %s", cut).isEqualTo(pipelines);
        for (JsonNode job : send(daemon, "GET", "/api/v1/jobs", Map.of(), null)) {
            assertThat(pipelines).as("the pipeline of job %s after %s", job, cut).contains(job.get("pipeline").asText());
        }
    }

    @Test
    void aDamagedRecordIsReportedAndTheDaemonStartsAnyway(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path log = dir.resolve("daemon.log");
        try (DaemonProcess first = DaemonProcess.start(data, log)) {
            send(first, "POST", "/api/v1/repos", Map.of(), "{\"name\": \"events\"}");
            send(first, "POST", "/api/v1/repos", Map.of(), "{\"name\": \"broken\"}");
            send(first, "POST", "/api/v1/pipelines", Map.of(), COPY_PIPELINE);
            String head = putFile(first, "/a.txt", "a\n").get("id").asText();
            awaitJobFor(first, "copy", head);
            HttpResponse<String> r = HTTP.send(first.request("/api/v1/repos/broken/files?path=/b.txt")
                    .PUT(HttpRequest.BodyPublishers.ofString("b\n")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        }
        // what a power cut or a bad disk leaves: an empty job record, a cut-short pipeline state, empty Git objects
        try (var files = Files.list(data.resolve("pps/jobs"))) {
            Path job = files.filter(f -> f.getFileName().toString().matches("[0-9a-f]+\\.json")).findFirst().orElseThrow();
            Files.write(job, new byte[0]);
        }
        Path state = data.resolve("pps/pipelines/copy/state.json");
        byte[] bytes = Files.readAllBytes(state);
        Files.write(state, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        try (var objects = Files.walk(data.resolve("pfs/broken.git/objects"))) {
            for (Path o : objects.filter(f -> Files.isRegularFile(f) && f.getParent().getFileName().toString().matches("[0-9a-f]{2}")).toList()) {
                Files.write(o, new byte[0]);
            }
        }
        long logBefore = Files.size(log);

        try (DaemonProcess again = DaemonProcess.start(data, log)) {
            JsonNode health = JSON.readTree(HTTP.send(again.request("/api/v1/health").build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            String damaged = health.get("damaged").toString();
            assertThat(damaged).as("health: %s", health).contains("job record").contains("pipeline copy")
                    .contains("repo broken");
            JsonNode fsck = send(again, "POST", "/api/v1/fsck", Map.of(), "{}");
            assertThat(fsck.get("ok").asBoolean()).isFalse();
            assertThat(fsck.get("problems").toString()).contains("repo broken");
            // the rest works: the pipeline, rebuilt from its spec, gets a job for the next commit
            assertThat(send(again, "GET", "/api/v1/pipelines/copy", Map.of(), null).get("state").asText())
                    .isEqualTo("PIPELINE_RUNNING");
            String next = putFile(again, "/b.txt", "b\n").get("id").asText();
            assertThat(awaitJobFor(again, "copy", next).get("state").asText()).isEqualTo("JOB_SUCCESS");
            HttpResponse<String> create = HTTP.send(again.request("/api/v1/repos").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"broken\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(create.statusCode()).as(create.body()).isEqualTo(409);
        }
        String after = Files.readString(log).substring((int) logBefore);
        assertThat(after).contains("damaged");
        assertThat(after.lines().filter(l -> l.startsWith("\tat ") || l.contains("Exception:")))
                .as("no stack trace in the log of the restart").isEmpty();
    }

    private static void verify(DaemonProcess daemon, Map<String, Ack> acked) throws Exception {
        JsonNode fsck = send(daemon, "POST", "/api/v1/fsck", Map.of(), "{}");
        assertThat(fsck.get("ok").asBoolean()).as("fsck: %s", fsck).isTrue();
        for (Ack ack : acked.values()) {
            assertThat(getFile(daemon, ack.commit(), ack.path())).as("%s in its commit", ack.path()).isEqualTo(ack.content());
            assertThat(getFile(daemon, "master", ack.path())).as("%s at the head", ack.path()).isEqualTo(ack.content());
        }
        for (JsonNode commit : send(daemon, "GET", "/api/v1/repos/events/commits", Map.of(), null)) {
            assertThat(commit.get("finished").isNull()).as("only finished commits are listed").isFalse();
        }
    }

    /** The pipeline is there, readable, at the last acknowledged version or a later one. */
    private static void verifyPipeline(DaemonProcess daemon, int ackedVersion) throws Exception {
        JsonNode p = send(daemon, "GET", "/api/v1/pipelines/copy", Map.of(), null);
        assertThat(p.get("version").asInt()).as("pipeline %s", p).isGreaterThanOrEqualTo(ackedVersion);
        assertThat(p.get("spec").path("transform").path("cmd").isArray()).as("pipeline %s", p).isTrue();
    }

    /** Updates the copy pipeline (a new description each time); its new version, or IOException if killed. */
    private static int updatePipeline(DaemonProcess d, int n, List<String> refused)
            throws IOException, InterruptedException {
        String spec = COPY_PIPELINE.replace("\"name\": \"copy\"}", "\"name\": \"copy\"}, \"description\": \"update " + n + "\"");
        HttpResponse<String> r = HTTP.send(d.request(path("/api/v1/pipelines/copy", Map.of()))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(spec))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            refused.add("update " + n + ": " + r.statusCode() + " " + r.body());
            throw new IOException("refused");
        }
        return JSON.readTree(r.body()).get("version").asInt();
    }

    private static JsonNode awaitJobFor(DaemonProcess daemon, String inputCommit) throws Exception {
        return awaitJobFor(daemon, "copy", inputCommit);
    }

    /**
     * The finished job for {@code inputCommit}. Every input commit gets a job, so the writes of the crash cycles
     * leave a backlog that a loaded machine drains slowly: this waits as long as the pipeline keeps finishing
     * jobs, and fails once 90 s pass without one finishing (a stalled scheduler), saying what the jobs are doing.
     */
    private static JsonNode awaitJobFor(DaemonProcess daemon, String pipeline, String inputCommit) throws Exception {
        long stall = Duration.ofSeconds(90).toMillis();
        long lastProgress = System.currentTimeMillis();
        long finished = -1;
        JsonNode jobs = JSON.createArrayNode();
        while (System.currentTimeMillis() - lastProgress < stall) {
            jobs = send(daemon, "GET", "/api/v1/jobs", Map.of("pipeline", pipeline), null);
            long done = 0;
            for (JsonNode job : jobs) {
                boolean over = job.get("finished").isTextual();
                done += over ? 1 : 0;
                for (JsonNode input : job.get("inputs")) {
                    if (over && input.get("id").asText().equals(inputCommit)) {
                        return job;
                    }
                }
            }
            if (done > finished) {
                finished = done;
                lastProgress = System.currentTimeMillis();
            }
            Thread.sleep(200);
        }
        Map<String, Integer> states = new java.util.TreeMap<>();
        jobs.forEach(j -> states.merge(j.get("state").asText(), 1, Integer::sum));
        throw new AssertionError("no finished job for input commit " + inputCommit + ", and none of " + pipeline
                + "'s jobs finished in the last 90 s; jobs by state: " + states);
    }

    private static final String COPY_PIPELINE = """
            {"pipeline": {"name": "copy"},
             "transform": {"cmd": ["sh", "-c", "cp -r /pfs/events/. /pfs/out/"]},
             "input": {"pfs": {"repo": "events", "glob": "/"}}}
            """;

    private static JsonNode putFile(DaemonProcess d, String path, String content) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(d.request(path("/api/v1/repos/events/files",
                        Map.of("branch", "master", "path", path)))
                .PUT(HttpRequest.BodyPublishers.ofString(content)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("put " + path + ": " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private static String getFile(DaemonProcess d, String ref, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(d.request(path("/api/v1/repos/events/files",
                Map.of("ref", ref, "path", path))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("get %s@%s: %s", path, ref, r.body()).isEqualTo(200);
        return r.body();
    }

    private static JsonNode send(DaemonProcess d, String method, String path, Map<String, String> query, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = d.request(path(path, query)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isLessThan(300);
        return JSON.readTree(r.body());
    }

    private static String path(String path, Map<String, String> query) {
        StringBuilder sb = new StringBuilder(path);
        char sep = '?';
        for (Map.Entry<String, String> e : query.entrySet()) {
            sb.append(sep).append(e.getKey()).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        return sb.toString();
    }
}
