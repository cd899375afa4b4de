package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import io.sluice.pfs.Tar;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Many small files over real HTTP: one-request tar uploads that land whole or not at all, and paged listings. */
class ManyFilesIT {
    private static final ObjectMapper JSON = Json.mapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static byte[] tar(String prefix, int files) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Tar.Writer w = new Tar.Writer(out);
        for (int i = 0; i < files; i++) {
            byte[] data = (prefix + " file " + i + "\n").repeat(1 + i % 40).getBytes(StandardCharsets.UTF_8);
            w.file(String.format("%s/f-%05d.txt", prefix, i), data.length, new ByteArrayInputStream(data));
        }
        w.finish();
        return out.toByteArray();
    }

    @Test
    void aTarUploadCutOffHalfWayLandsNothing(@TempDir Path dir) throws Exception {
        try (TestDaemon daemon = new TestDaemon(dir)) {
            post(daemon, "/api/v1/repos", "{\"name\": \"many\"}");
            byte[] whole = tar("cut", 200);
            byte[] half = Arrays.copyOf(whole, whole.length / 2);
            // a body that is complete as HTTP but holds half an archive
            HttpResponse<String> r = HTTP.send(tarPut(daemon, "many", "/").PUT(HttpRequest.BodyPublishers.ofByteArray(half))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
            assertThat(r.body()).contains("end-of-archive").doesNotContain("Exception");
            // a connection that dies half-way through the declared body
            int port = URI.create(daemon.address).getPort();
            try (Socket s = new Socket("127.0.0.1", port)) {
                OutputStream out = s.getOutputStream();
                out.write(("PUT /api/v1/repos/many/files?branch=master&path=/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/x-tar\r\nContent-Length: " + whole.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(half);
                out.flush();
                s.shutdownOutput();
                s.getInputStream().readAllBytes();
            }
            HttpResponse<String> commits = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address
                    + "/api/v1/repos/many/commits")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(JSON.readTree(commits.body())).as("no commit from a cut-off upload").isEmpty();

            r = HTTP.send(tarPut(daemon, "many", "/").PUT(HttpRequest.BodyPublishers.ofByteArray(whole)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(glob(daemon, "many", "/cut/*")).hasSize(200);
            HttpResponse<String> one = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address
                    + "/api/v1/repos/many/files?ref=master&path=/cut/f-00007.txt")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(one.body()).isEqualTo("cut file 7\n".repeat(8));
        }
    }

    @Test
    void putFileRecursiveIsOneCommitAndListingsPageWhileFilesAreAdded(@TempDir Path dir) throws Exception {
        try (TestDaemon daemon = new TestDaemon(dir.resolve("daemon"))) {
            Path local = Files.createDirectories(dir.resolve("local/sub"));
            for (int i = 0; i < 300; i++) {
                Files.writeString((i % 3 == 0 ? local : local.getParent()).resolve(String.format("f-%04d", i)), "v" + i);
            }
            assertThat(daemon.cli("create", "repo", "pages").code()).isZero();
            TestDaemon.Run put = daemon.cli("put", "file", "pages@master:/d", "-f", local.getParent().toString(), "-r");
            assertThat(put.code()).as(put.err()).isZero();
            assertThat(JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address
                    + "/api/v1/repos/pages/commits")).GET().build(), HttpResponse.BodyHandlers.ofString()).body()))
                    .as("one commit for the whole directory").hasSize(1);
            assertThat(glob(daemon, "pages", "/d/**")).hasSize(301); // 300 files and /d/sub

            Set<String> present = new HashSet<>();
            glob(daemon, "pages", "/d/*").forEach(f -> present.add(f.get("path").asText()));
            List<String> seen = new ArrayList<>();
            String cursor = null;
            int added = 0;
            do {
                String q = "/api/v1/repos/pages/files/list?ref=master&path=/d&limit=25"
                        + (cursor == null ? "" : "&after=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
                HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address + q)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
                JsonNode items = JSON.readTree(page.body());
                assertThat(items.size()).isLessThanOrEqualTo(25);
                items.forEach(f -> seen.add(f.get("path").asText()));
                cursor = page.headers().firstValue("Sluice-Next-Cursor").orElse(null);
                // files added between pages, before and after the cursor
                HttpResponse<String> w = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address
                        + "/api/v1/repos/pages/files?branch=master&path=/d/f-" + String.format("%04d", added * 7) + "-new"))
                        .PUT(HttpRequest.BodyPublishers.ofString("new")).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(w.statusCode()).isEqualTo(200);
                added++;
            } while (cursor != null);
            assertThat(seen).as("no entry twice").doesNotHaveDuplicates();
            assertThat(seen).as("every entry present at the start").containsAll(present);

            TestDaemon.Run cli = daemon.cli("list", "file", "pages@master:/d", "--limit", "5");
            assertThat(cli.code()).as(cli.err()).isZero();
            assertThat(cli.err()).contains("--cursor");
        }
    }

    @Test
    void diffAndGlobAnswerBoundedPagesAndTheCliFollowsTheirCursorsToTheEnd(@TempDir Path dir) throws Exception {
        try (TestDaemon daemon = new TestDaemon(dir)) {
            // one content for all (stored once, so the commits are quick), another for all in the next commit
            Map<String, String> files = new TreeMap<>();
            for (int i = 0; i < 1100; i++) {
                files.put(String.format("/d/f-%05d", i), "old");
            }
            String old = daemon.commit("big", "master", files).id();
            files.replaceAll((path, content) -> "new");
            daemon.commit("big", "master", files);

            HttpResponse<String> first = get(daemon, "/api/v1/repos/big/diff?new=master&old=" + old + "&limit=50");
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            assertThat(JSON.readTree(first.body())).hasSize(50);
            String cursor = first.headers().firstValue("Sluice-Next-Cursor").orElseThrow();
            assertThat(cursor).isEqualTo("/d/f-00049");
            JsonNode second = JSON.readTree(get(daemon, "/api/v1/repos/big/diff?new=master&old=" + old + "&limit=50&after="
                    + URLEncoder.encode(cursor, StandardCharsets.UTF_8)).body());
            assertThat(second.get(0).get("path").asText()).isEqualTo("/d/f-00050");

            // a pattern that matches nothing: a page of 1 gives up after 100 entries, with a cursor to go on from
            HttpResponse<String> none = get(daemon, "/api/v1/repos/big/files/glob?ref=master&limit=1&pattern="
                    + URLEncoder.encode("/*/nothing", StandardCharsets.UTF_8));
            assertThat(none.statusCode()).as(none.body()).isEqualTo(200);
            assertThat(JSON.readTree(none.body())).isEmpty();
            assertThat(none.headers().firstValue("Sluice-Next-Cursor")).hasValue("/d/f-00098");

            // more than the CLI's page of 1,000: it follows the cursors and shows every path
            TestDaemon.Run diff = daemon.cli("diff", "file", "big@master", "big@" + old);
            assertThat(diff.code()).as(diff.err()).isZero();
            assertThat(diff.out().lines().filter(l -> l.startsWith("modified")).count()).isEqualTo(1100);
            assertThat(diff.out()).contains("/d/f-00000").contains("/d/f-01099");
            TestDaemon.Run glob = daemon.cli("glob", "file", "big@master:/d/*");
            assertThat(glob.code()).as(glob.err()).isZero();
            assertThat(glob.out().lines().filter(l -> l.contains("/d/f-")).count()).isEqualTo(1100);
            TestDaemon.Run page = daemon.cli("diff", "file", "big@master", "big@" + old, "--limit", "10");
            assertThat(page.out().lines().filter(l -> l.startsWith("modified")).count()).isEqualTo(10);
            assertThat(page.err()).contains("--cursor '/d/f-00009'");
        }
    }

    @Test
    void getFileRecursiveIsOneTarAnswerThatRestoresTheTree(@TempDir Path dir) throws Exception {
        try (TestDaemon daemon = new TestDaemon(dir.resolve("daemon"))) {
            Path local = Files.createDirectories(dir.resolve("local/a/b"));
            for (int i = 0; i < 120; i++) {
                Files.writeString((i % 2 == 0 ? local : local.getParent()).resolve("f-" + i), "v".repeat(i));
            }
            assertThat(daemon.cli("create", "repo", "back").code()).isZero();
            assertThat(daemon.cli("put", "file", "back@master:/top", "-f", dir.resolve("local").toString(), "-r").code()).isZero();
            Path out = dir.resolve("out");
            TestDaemon.Run get = daemon.cli("get", "file", "back@master:/top/a", "-r", "-o", out.toString());
            assertThat(get.code()).as(get.err()).isZero();
            for (int i = 0; i < 120; i++) {
                Path got = out.resolve((i % 2 == 0 ? "b/" : "") + "f-" + i);
                assertThat(Files.readString(got)).as(got.toString()).isEqualTo("v".repeat(i));
            }
            try (var files = Files.walk(out)) {
                assertThat(files.filter(Files::isRegularFile).count()).isEqualTo(120);
            }
            HttpResponse<String> missing = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address
                    + "/api/v1/repos/back/files/tar?ref=master&path=/nope")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.body()).contains("\"error\"");
            TestDaemon.Run file = daemon.cli("get", "file", "back@master:/top/a/f-1", "-r", "-o", dir.resolve("x").toString());
            assertThat(file.code()).isEqualTo(1);
            assertThat(file.err()).contains("is a file").doesNotContain("Exception");
        }
    }

    private static HttpRequest.Builder tarPut(TestDaemon daemon, String repo, String path) {
        return HttpRequest.newBuilder(URI.create(daemon.address + "/api/v1/repos/" + repo + "/files?branch=master&path=" + path))
                .header("Content-Type", "application/x-tar");
    }

    private static HttpResponse<String> get(TestDaemon daemon, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode glob(TestDaemon daemon, String repo, String pattern) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address + "/api/v1/repos/" + repo
                + "/files/glob?ref=master&pattern=" + URLEncoder.encode(pattern, StandardCharsets.UTF_8))).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static void post(TestDaemon daemon, String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isLessThan(300);
    }
}
