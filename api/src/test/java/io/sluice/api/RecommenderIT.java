package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import io.sluice.api.demo.Demo;
import io.sluice.train.RatingGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The original recommender's curl session replayed over real HTTP against a daemon running its demo with
 * real train and predict stage processes, plus every bad input the API must refuse.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // few request files while models change: each new model re-predicts them all
class RecommenderIT {
    private static final ObjectMapper JSON = Json.mapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;
    static TestDaemon daemon;
    static String demoOutput;

    @BeforeAll
    static void startWithDemo() throws IOException {
        daemon = new TestDaemon(dir.resolve("data"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // A smaller generated base set than the default keeps the suite fast; the code path is the same.
        Path dataset = dir.resolve("ratings.txt");
        RatingGenerator.write(new RatingGenerator(new RatingGenerator.Shape(300, 400, 20_000, 5, 0.6, 42L)).generate(), dataset);
        new Demo(daemon.daemon, new PrintStream(out, true, StandardCharsets.UTF_8)).run(dataset, daemon.address);
        demoOutput = out.toString(StandardCharsets.UTF_8);
    }

    @AfterAll
    static void stop() throws IOException {
        daemon.close();
    }

    private static HttpResponse<String> post(String path, String contentType, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(daemon.address + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode postOk(String path, String body) throws Exception {
        HttpResponse<String> response = post(path, "application/json", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static JsonNode awaitResult(String filename) throws Exception {
        Instant deadline = Instant.now().plusSeconds(120);
        while (Instant.now().isBefore(deadline)) {
            JsonNode result = postOk("/result", "{\"filename\": \"" + filename + "\"}");
            if (result.get("ready").asBoolean()) {
                return result;
            }
            assertThat(result.get("data").asText()).isEmpty();
            Thread.sleep(100);
        }
        throw new AssertionError("no result for " + filename + " in 120 s");
    }

    @Test
    @Order(1)
    void theOriginalSessionAnswersAndTheModelUpdates() throws Exception {
        assertThat(demoOutput).contains("sluice is ready: model");

        JsonNode predict = postOk("/predict", "{\"data\": [\"233 346\", \"125 378\", \"99999 1\"]}");
        String filename = predict.get("filename").asText();
        assertThat(filename).matches("predict-\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}\\.txt");
        JsonNode first = awaitResult(filename);
        String[] lines = first.get("data").asText().split("\n");
        assertThat(lines).hasSize(3);
        Pattern line = Pattern.compile("(\\d+) (\\d+) (-?\\d+\\.\\d+(E-?\\d+)?)");
        assertThat(lines[0]).startsWith("233 346 ").matches(line);
        assertThat(lines[1]).startsWith("125 378 ").matches(line);
        assertThat(lines[2]).startsWith("99999 1 ").matches(line);
        String firstModel = first.get("model").asText();

        // predict again without training: the same model, the same answer, on the first ready one
        JsonNode same = awaitResult(postOk("/predict", "{\"data\": [\"233 346\", \"125 378\", \"99999 1\"]}")
                .get("filename").asText());
        assertThat(same.get("model").asText()).isEqualTo(firstModel);
        assertThat(same.get("data").asText()).isEqualTo(first.get("data").asText());

        JsonNode train = postOk("/train", "{\"data\": [\"233 346 1 880606923\", \"233 346 1 880606924\", \"125 378 5 880606925\"]}");
        assertThat(train.get("filename").asText()).startsWith("train-").endsWith(".txt");
        String commit = train.get("commit").asText();
        assertThat(commit).matches("[0-9a-f]{32}");
        // at once, no waiting for the model: the first ready answer is made with the new training data
        JsonNode second = awaitResult(postOk("/predict", "{\"data\": [\"233 346\", \"125 378\", \"99999 1\"]}")
                .get("filename").asText());
        assertThat(second.get("training").asText()).isEqualTo(commit);
        assertThat(second.get("model").asText()).isNotEqualTo(firstModel);
        assertThat(second.get("data").asText()).isNotEqualTo(first.get("data").asText());
    }

    /**
     * Train then predict at once, round after round: every first ready answer (polled, or from a waiting
     * /predict) comes from a model trained on that round's ratings. Three rounds keep the suite fast; `bench
     * api` runs fifty.
     */
    @Test
    @Order(2)
    void everyFirstReadyResultReflectsTheTrainingPostedBeforeIt() throws Exception {
        String previous = null;
        for (int round = 0; round < 3; round++) {
            int rating = 1 + (round % 2) * 4;
            String commit = postOk("/train", "{\"data\": [\"42 7 " + rating + " 88060" + round + "\", \"42 8 "
                    + rating + " 88061" + round + "\"]}").get("commit").asText();
            JsonNode ready;
            if (round % 2 == 0) {
                ready = awaitResult(postOk("/predict", "{\"data\": [\"42 7\", \"42 8\"]}").get("filename").asText());
            } else {
                ready = postOk("/predict", "{\"data\": [\"42 7\", \"42 8\"], \"wait\": 120}");
                assertThat(ready.get("filename").asText()).startsWith("predict-");
                assertThat(ready.get("ready").asBoolean()).as("ready within 120 s: %s", ready).isTrue();
            }
            assertThat(ready.get("training").asText()).as("round %d", round).isEqualTo(commit);
            assertThat(ready.get("data").asText()).isNotEqualTo(previous);
            previous = ready.get("data").asText();
        }
        assertBad(post("/predict", "application/json", "{\"data\": [\"1 2\"], \"wait\": -1}"), 400, "wait");
        assertBad(post("/predict", "application/json", "{\"data\": [\"1 2\"], \"wait\": \"soon\"}"), 400, "wait");
    }

    @Test
    void filenamesAreUniqueUnderConcurrentRequests() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> names = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                names.add(pool.submit(() -> postOk("/predict", "{\"data\": [\"1 1\"]}").get("filename").asText()));
            }
            Set<String> unique = new HashSet<>();
            for (Future<String> name : names) {
                unique.add(name.get());
            }
            assertThat(unique).hasSize(40);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badInputIsRefusedAndWritesNothing() throws Exception {
        long trainingCommits = commits("training");
        long streamingCommits = commits("streaming");
        assertBad(post("/train", "text/plain", "{\"data\": [\"1 2 3 4\"]}"), 400, "Content-Type");
        assertBad(post("/train", null, "{\"data\": [\"1 2 3 4\"]}"), 400, "Content-Type");
        assertBad(post("/train", "application/json", "{not json"), 400, "not valid JSON");
        assertBad(post("/train", "application/json", "[1, 2]"), 400, "object");
        assertBad(post("/train", "application/json", "{}"), 400, "'data'");
        assertBad(post("/train", "application/json", "{\"data\": []}"), 400, "'data'");
        assertBad(post("/train", "application/json", "{\"data\": \"1 2 3 4\"}"), 400, "'data'");
        assertBad(post("/train", "application/json", "{\"data\": [\"1 2 3\"]}"), 400, "line 1");
        assertBad(post("/train", "application/json", "{\"data\": [\"1 2 3 4\", \"1 2 x 4\"]}"), 400, "line 2");
        assertBad(post("/train", "application/json", "{\"data\": [\"1 2 NaN 4\"]}"), 400, "rating");
        assertBad(post("/predict", "application/json", "{\"data\": [\"1 2 3\"]}"), 400, "line 1");
        assertBad(post("/predict", "application/json", "{\"data\": [\"a b\"]}"), 400, "user_id");
        assertBad(post("/predict", "application/json", "{\"data\": [1, 2]}"), 400, "string");
        assertBad(post("/predict", "application/json", "{\"data\": [\"1 2\"]" + "]".repeat(3)), 400, "JSON");
        assertBad(post("/predict", "application/json", "[".repeat(5000) + "]".repeat(5000)), 400, "JSON");
        StringBuilder many = new StringBuilder("{\"data\": [");
        for (int i = 0; i <= 100_000; i++) {
            many.append(i == 0 ? "" : ",").append("\"1 2\"");
        }
        assertBad(post("/predict", "application/json", many.append("]}").toString()), 413, "100000");
        assertBad(post("/result", "application/json", "{\"filename\": \"../training/base-ratings.txt\"}"), 400, "filename");
        assertBad(post("/result", "application/json", "{\"filename\": \"/etc/passwd\"}"), 400, "filename");
        assertBad(post("/result", "application/json", "{\"filename\": \"a\\u0000b\"}"), 400, "filename");
        assertBad(post("/result", "application/json", "{}"), 400, "filename");
        assertBad(post("/result", "application/json", "{\"filename\": \"predict-never.txt\"}"), 404, "predict-never.txt");
        assertThat(commits("training")).isEqualTo(trainingCommits);
        assertThat(commits("streaming")).isEqualTo(streamingCommits);
    }

    @Test
    void healthAndStatistics() throws Exception {
        for (int i = 0; i < 3; i++) {
            get("/api/v1/health");
        }
        JsonNode health = JSON.readTree(get("/api/v1/health").body());
        assertThat(health.get("message").asText()).isEqualTo("Application is up and running");
        JsonNode stats = JSON.readTree(get("/api/v1/statistics?api=health").body());
        assertThat(stats.get("api").asText()).isEqualTo("health");
        assertThat(stats.get("number of calls in current minute").asLong()).isGreaterThanOrEqualTo(4);
        JsonNode all = JSON.readTree(get("/api/v1/statistics").body());
        assertThat(all.has("health")).isTrue();
        assertThat(all.get("health").has("p95 ms")).isTrue();
        assertThat(get("/api/v1/statistics?api=nope").statusCode()).isEqualTo(404);
        assertThat(get("/api/v1/nothing-here").statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(get("/api/v1/nothing-here").body()).has("error")).isTrue();
    }

    private static long commits(String repo) throws Exception {
        return JSON.readTree(get("/api/v1/repos/" + repo + "/commits").body()).size();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void assertBad(HttpResponse<String> response, int status, String mentions) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("error").asText()).contains(mentions);
    }
}
