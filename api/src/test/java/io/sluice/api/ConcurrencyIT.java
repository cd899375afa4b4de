package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** Eight writers on one branch over real HTTP while readers watch: no write lost, no half commit seen. */
class ConcurrencyIT {
    private static final ObjectMapper JSON = Json.mapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int WRITERS = 8;
    private static final int WRITES_EACH = 25;

    @Test
    void concurrentWritersNeverLoseACommit(@TempDir Path dir) throws Exception {
        try (TestDaemon daemon = new TestDaemon(dir)) {
            send(daemon, HttpRequest.newBuilder(URI.create(daemon.address + "/api/v1/repos"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"shared\"}")));
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 2);
            AtomicBoolean writing = new AtomicBoolean(true);
            Set<String> commitIds = ConcurrentHashMap.newKeySet();
            try {
                List<Future<?>> writers = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    int writer = w;
                    writers.add(pool.submit(() -> {
                        for (int i = 0; i < WRITES_EACH; i++) {
                            String path = "/writer-" + writer + "/" + i + ".txt";
                            JsonNode commit = send(daemon, HttpRequest.newBuilder(URI.create(daemon.address
                                    + "/api/v1/repos/shared/files?branch=master&path=" + path))
                                    .PUT(HttpRequest.BodyPublishers.ofString(writer + ":" + i)));
                            commitIds.add(commit.get("id").asText());
                        }
                        return null;
                    }));
                }
                Future<Integer> reader = pool.submit(() -> {
                    int reads = 0;
                    while (writing.get()) {
                        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address
                                + "/api/v1/repos/shared/commits?branch=master&limit=1")).GET().build(),
                                HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() == 404) {
                            continue; // no commit on master yet
                        }
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        for (JsonNode c : JSON.readTree(r.body())) {
                            assertThat(c.get("finished").isTextual()).as("readers see finished commits only").isTrue();
                        }
                        reads++;
                    }
                    return reads;
                });
                for (Future<?> f : writers) {
                    f.get();
                }
                writing.set(false);
                assertThat(reader.get()).isPositive();
            } finally {
                pool.shutdownNow();
            }
            assertThat(commitIds).hasSize(WRITERS * WRITES_EACH);
            JsonNode history = send(daemon, HttpRequest.newBuilder(URI.create(daemon.address
                    + "/api/v1/repos/shared/commits?branch=master")).GET());
            assertThat(history).hasSize(WRITERS * WRITES_EACH);
            JsonNode files = send(daemon, HttpRequest.newBuilder(URI.create(daemon.address
                    + "/api/v1/repos/shared/files/glob?ref=master&pattern=/*/*")).GET());
            assertThat(files).hasSize(WRITERS * WRITES_EACH);
        }
    }

    private static JsonNode send(TestDaemon daemon, HttpRequest.Builder request) throws Exception {
        HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isLessThan(300);
        return JSON.readTree(r.body());
    }
}
