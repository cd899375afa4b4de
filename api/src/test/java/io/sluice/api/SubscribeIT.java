package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** subscribe commit through a real daemon: the HTTP stream line by line as commits finish, and the CLI. */
class SubscribeIT {
    private static final ObjectMapper JSON = Json.mapper();

    @RegisterExtension
    static final ClassDaemon daemon = new ClassDaemon();

    private static String put(String repo, String content) throws IOException {
        Path local = daemon.dir().resolve("f.txt");
        Files.writeString(local, content);
        daemon.ok("put", "file", repo + "@master:/f.txt", "-f", local.toString());
        return daemon.json("inspect", "commit", repo + "@master", "-o", "json").get("id").asText();
    }

    @Test
    void theStreamSendsHistoryThenEachCommitAsItFinishes() throws Exception {
        daemon.ok("create", "repo", "feed");
        String first = put("feed", "1");
        String second = put("feed", "2");
        HttpResponse<InputStream> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(daemon.address() + "/api/v1/repos/feed/subscribe?branch=master")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("application/x-ndjson");
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            assertThat(id(lines)).isEqualTo(first);
            assertThat(id(lines)).isEqualTo(second);
            // the stream is open and quiet now; the next commit arrives on it when it finishes
            CompletableFuture<String> next = CompletableFuture.supplyAsync(() -> {
                try {
                    return id(lines);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(200);
            assertThat(next).isNotDone();
            String third = put("feed", "3");
            assertThat(next.get(60, TimeUnit.SECONDS)).isEqualTo(third);
        }
    }

    @Test
    void theCliFollowsFromACommitOrOnlyNewOnes() throws Exception {
        daemon.ok("create", "repo", "cli");
        String a = put("cli", "a");
        String b = put("cli", "b");
        assertThat(daemon.json("subscribe", "commit", "cli@master", "--from", a, "--count", "1", "-o", "json")
                .get("id").asText()).isEqualTo(b);

        CompletableFuture<TestDaemon.Run> onlyNew = CompletableFuture.supplyAsync(
                () -> daemon.cli("subscribe", "commit", "cli@master", "--new", "--count", "1", "-o", "json"));
        // the subscriber may not be listening yet: keep committing until it has seen one new commit
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 100 && !onlyNew.isDone(); i++) {
            made.add(put("cli", "new " + i));
            Thread.sleep(100);
        }
        TestDaemon.Run seen = onlyNew.get(60, TimeUnit.SECONDS);
        assertThat(seen.code()).as(seen.err()).isZero();
        assertThat(made).contains(JSON.readTree(seen.out()).get("id").asText());

        daemon.fails("subscribe", "commit", "cli@master", "--from", "0123456789abcdef0123456789abcdef");
    }

    private static String id(BufferedReader lines) throws IOException {
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (!line.isEmpty()) {
                JsonNode c = JSON.readTree(line);
                return c.get("id").asText();
            }
        }
        throw new IOException("the stream ended");
    }
}
