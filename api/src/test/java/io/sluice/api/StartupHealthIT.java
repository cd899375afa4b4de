package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import io.sluice.train.RatingGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A real {@code sluice up} with its demo: health says 503 starting until the demo answers, never 200 before. */
class StartupHealthIT {
    private static final ObjectMapper JSON = Json.mapper();

    @TempDir
    Path dir;

    @Test
    void healthIsStartingUntilTheDemoIsInPlace() throws Exception {
        Path dataset = dir.resolve("ratings.txt");
        RatingGenerator.write(new RatingGenerator(new RatingGenerator.Shape(100, 100, 3_000, 5, 0.6, 7L)).generate(), dataset);
        int port = DaemonProcess.freePort();
        List<String> cmd = new ArrayList<>(DaemonProcess.upWithDemoCommand(port, dir.resolve("data")));
        cmd.addAll(List.of("--dataset", dataset.toString()));
        Path log = dir.resolve("daemon.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SLUICE_HOME", TestDaemon.HOME.toString());
        pb.environment().put("SLUICE_AUTH_TOKEN", "startup-test-token");
        Process process = pb.start();
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            URI health = URI.create("http://127.0.0.1:" + port + "/api/v1/health");
            int starting = 0;
            Instant deadline = Instant.now().plusSeconds(180);
            HttpResponse<String> answer = null;
            while (Instant.now().isBefore(deadline) && process.isAlive()) {
                try {
                    answer = http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString());
                } catch (java.io.IOException notListening) {
                    Thread.sleep(20);
                    continue;
                }
                if (answer.statusCode() == 200) {
                    break;
                }
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
                JsonNode body = JSON.readTree(answer.body());
                assertThat(body.get("status").asText()).isEqualTo("starting");
                assertThat(body.get("error").asText()).startsWith("starting: ");
                starting++;
                Thread.sleep(20);
            }
            assertThat(answer).as("health answered 200 within 180 s; log: %s", Files.readString(log)).isNotNull();
            assertThat(answer.statusCode()).as(Files.readString(log)).isEqualTo(200);
            // the API listens while the demo is set up (training the first model takes seconds), and said so
            assertThat(starting).isPositive();
            // the moment health says up, the recommender answers: its repos are there
            HttpResponse<String> train = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/train"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"data\": [\"1 2 3 880606923\"]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(train.statusCode()).as(train.body()).isEqualTo(200);
            assertThat(Files.readString(log)).contains("sluice is ready: model");
        } finally {
            process.destroyForcibly();
            process.waitFor();
        }
    }
}
