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
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two clients append to one file while a third opens and finishes commits on the same branch, over real
 * HTTP: every acknowledged append is in the branch head afterwards (issue 12, item 1).
 */
class AppendRaceIT {
    private static final ObjectMapper JSON = Json.mapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int APPENDERS = 2;
    private static final int APPENDS_EACH = 100;

    @Test
    void appendsRacingStartAndFinishAreNeverLost(@TempDir Path dir) throws Exception {
        try (TestDaemon daemon = new TestDaemon(dir)) {
            send(daemon, "POST", "/api/v1/repos", "{\"name\": \"log\"}");
            send(daemon, "PUT", "/api/v1/repos/log/files?branch=master&path=/log", "");
            Set<String> acked = ConcurrentHashMap.newKeySet();
            AtomicBoolean appending = new AtomicBoolean(true);
            AtomicInteger commits = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(APPENDERS + 1);
            try {
                List<Future<?>> appenders = new ArrayList<>();
                for (int a = 0; a < APPENDERS; a++) {
                    int client = a;
                    appenders.add(pool.submit(() -> {
                        for (int i = 0; i < APPENDS_EACH; i++) {
                            String line = client + "-" + i;
                            send(daemon, "PUT", "/api/v1/repos/log/files?branch=master&path=/log&append=true",
                                    line + "\n");
                            acked.add(line);
                        }
                        return null;
                    }));
                }
                Future<?> committer = pool.submit(() -> {
                    while (appending.get()) {
                        send(daemon, "POST", "/api/v1/repos/log/commits/start", "{\"branch\": \"master\"}");
                        send(daemon, "PUT", "/api/v1/repos/log/files?branch=master&path=/other-"
                                + commits.get(), "x");
                        send(daemon, "POST", "/api/v1/repos/log/commits/finish", "{\"branch\": \"master\"}");
                        commits.incrementAndGet();
                    }
                    return null;
                });
                for (Future<?> f : appenders) {
                    f.get();
                }
                appending.set(false);
                committer.get();
            } finally {
                pool.shutdownNow();
            }
            assertThat(commits.get()).as("the third client opened and finished commits meanwhile").isPositive();
            HttpResponse<String> log = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address
                    + "/api/v1/repos/log/files?ref=master&path=/log")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(log.statusCode()).isEqualTo(200);
            List<String> lines = Arrays.asList(log.body().split("\n"));
            Set<String> missing = new HashSet<>(acked);
            lines.forEach(missing::remove);
            assertThat(missing).as("acknowledged appends missing from the head").isEmpty();
            assertThat(lines).as("each append exactly once").doesNotHaveDuplicates().hasSize(APPENDERS * APPENDS_EACH);
            JsonNode fsck = send(daemon, "POST", "/api/v1/fsck", "");
            assertThat(fsck.get("ok").asBoolean()).isTrue();
        }
    }

    private static JsonNode send(TestDaemon daemon, String method, String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address + path))
                .header("Content-Type", method.equals("POST") ? "application/json" : "application/octet-stream")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isLessThan(300);
        return JSON.readTree(r.body());
    }
}
