package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
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
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.SoftAssertions.assertSoftly;

/**
 * Feeds every REST endpoint of a real daemon over real HTTP with hostile input (path traversal, NUL,
 * backslashes, very long names, invalid UTF-8, huge and deeply nested bodies, wrong methods, unknown
 * fields, cyclic specs) and checks that each one answers 4xx with a one-line {"error": "..."} and writes
 * nothing: the repos, their branches and commits, and the pipelines are the same before and after.
 */
class HostileInputIT {
    private static final ObjectMapper JSON = Json.mapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String LONG = "n".repeat(5000);
    /** Names and refs that must never be accepted: traversal, absolute, NUL, backslash, too long, encoded. */
    private static final List<String> BAD_NAMES = List.of("..", "../data", "/etc", "/etc/passwd", "a\0b", "a\\b",
            "..\\..", LONG, ".", "%2e%2e", "a b", "dat\na", "\u202edata");
    /** File paths that must never be accepted inside a repo: traversal in every spelling, NUL, backslash, too long. */
    private static final List<String> BAD_PATHS = List.of("..", "../x", "/a/../../x", "/../../etc/passwd",
            "a/./../../x", "/x\0y", "\\x", "..\\..\\x", "/" + LONG, "/a/" + "b/".repeat(2100));

    @TempDir
    static Path dir;
    private static TestDaemon daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = new TestDaemon(dir.resolve("data"));
        ok("POST", "/api/v1/repos", "{\"name\": \"data\"}");
        ok("PUT", "/api/v1/repos/data/files?branch=master&path=/a.txt", "hello\n");
        ok("POST", "/api/v1/pipelines", """
                {"pipeline": {"name": "copy"},
                 "transform": {"cmd": ["sh", "-c", "cp -r /pfs/data/. /pfs/out/"]},
                 "input": {"pfs": {"repo": "data", "glob": "/"}}}""");
        awaitJobs("copy", 1);
    }

    @AfterAll
    static void stop() throws IOException {
        daemon.close();
    }

    @Test
    void badNamesAndPathsAreRefusedEverywhere() throws Exception {
        List<Probe> probes = new ArrayList<>();
        for (String bad : BAD_NAMES) {
            String b = enc(bad);
            probes.add(new Probe("POST", "/api/v1/repos", json("{\"name\": %s}", bad)));
            probes.add(new Probe("GET", "/api/v1/repos/" + b, null));
            probes.add(new Probe("DELETE", "/api/v1/repos/" + b, null));
            probes.add(new Probe("GET", "/api/v1/repos/" + b + "/commits", null));
            probes.add(new Probe("GET", "/api/v1/repos/data/commits?branch=" + b, null));
            probes.add(new Probe("GET", "/api/v1/repos/data/commit?ref=" + b, null));
            probes.add(new Probe("POST", "/api/v1/repos/" + b + "/commits/start", "{}"));
            probes.add(new Probe("POST", "/api/v1/repos/data/commits/start", json("{\"branch\": %s}", bad)));
            probes.add(new Probe("POST", "/api/v1/repos/data/commits/finish", json("{\"branch\": %s}", bad)));
            probes.add(new Probe("POST", "/api/v1/repos/data/branches", json("{\"name\": %s}", bad)));
            probes.add(new Probe("POST", "/api/v1/repos/data/branches", json("{\"name\": \"b\", \"head\": %s}", bad)));
            probes.add(new Probe("DELETE", "/api/v1/repos/data/branches?name=" + b, null));
            probes.add(new Probe("PUT", "/api/v1/repos/" + b + "/files?path=/x", "x"));
            probes.add(new Probe("PUT", "/api/v1/repos/data/files?path=/x&branch=" + b, "x"));
            probes.add(new Probe("GET", "/api/v1/repos/data/files?path=/a.txt&ref=" + b, null));
            probes.add(new Probe("GET", "/api/v1/repos/data/files/list?ref=" + b, null));
            probes.add(new Probe("GET", "/api/v1/repos/data/diff?new=master&old=" + b, null));
            probes.add(new Probe("POST", "/api/v1/repos/data/files/copy",
                    json("{\"srcRepo\": %s, \"srcPath\": \"/a.txt\", \"path\": \"/b.txt\"}", bad)));
            probes.add(new Probe("GET", "/api/v1/pipelines/" + b, null));
            probes.add(new Probe("PUT", "/api/v1/pipelines/" + b, spec(bad, "data")));
            probes.add(new Probe("DELETE", "/api/v1/pipelines/" + b, null));
            probes.add(new Probe("POST", "/api/v1/pipelines", spec(bad, "data")));
            probes.add(new Probe("POST", "/api/v1/pipelines", spec("p2", bad)));
            probes.add(new Probe("GET", "/api/v1/jobs/" + b, null));
            probes.add(new Probe("POST", "/api/v1/jobs/" + b + "/stop", null));
            probes.add(new Probe("GET", "/api/v1/jobs/" + b + "/datums", null));
            probes.add(new Probe("POST", "/result", json("{\"filename\": %s}", bad)));
            probes.add(new Probe("POST", "/result", json("{\"filename\": %s}", "predict-x.txt/" + bad)));
        }
        for (String bad : BAD_PATHS) {
            String p = enc(bad);
            probes.add(new Probe("PUT", "/api/v1/repos/data/files?path=" + p, "x"));
            probes.add(new Probe("PUT", "/api/v1/repos/data/files?append=true&path=" + p, "x"));
            probes.add(new Probe("GET", "/api/v1/repos/data/files?path=" + p, null));
            probes.add(new Probe("DELETE", "/api/v1/repos/data/files?path=" + p, null));
            probes.add(new Probe("GET", "/api/v1/repos/data/files/inspect?path=" + p, null));
            probes.add(new Probe("GET", "/api/v1/repos/data/files/list?path=" + p, null));
            probes.add(new Probe("GET", "/api/v1/repos/data/diff?new=master&old=master&path=" + p, null));
            probes.add(new Probe("POST", "/api/v1/repos/data/files/copy",
                    json("{\"srcRepo\": \"data\", \"srcPath\": %s, \"path\": \"/b.txt\"}", bad)));
            probes.add(new Probe("POST", "/api/v1/repos/data/files/copy",
                    json("{\"srcRepo\": \"data\", \"srcPath\": \"/a.txt\", \"path\": %s}", bad)));
            if (!bad.contains("\\")) { // in a glob a backslash escapes the next character: not an error there
                probes.add(new Probe("GET", "/api/v1/repos/data/files/glob?pattern=" + p, null));
                probes.add(new Probe("POST", "/api/v1/pipelines", spec("p3", "data").replace("\"glob\": \"/\"",
                        "\"glob\": " + JSON.writeValueAsString(bad))));
            }
        }
        // percent-encoding in the URL path itself, which the router decodes before the controller sees it
        for (String raw : List.of("%2e%2e", "%2E%2E%2Fetc", "..%2f..%2fetc", "%00", "a%00b", "%5c..%5c", "%2fetc%2fpasswd",
                "%ff%fe", "%c0%ae%c0%ae", "..;", "%2e")) {
            probes.add(new Probe("GET", "/api/v1/repos/" + raw, null));
            probes.add(new Probe("DELETE", "/api/v1/repos/" + raw, null));
            probes.add(new Probe("PUT", "/api/v1/repos/" + raw + "/files?path=/x", "x"));
            if (!List.of("%2fetc%2fpasswd", "%2e", "..;").contains(raw)) { // these three are fine names inside a repo
                probes.add(new Probe("PUT", "/api/v1/repos/data/files?path=" + raw + "/x", "x"));
            }
            probes.add(new Probe("DELETE", "/api/v1/pipelines/" + raw, null));
            probes.add(new Probe("GET", "/api/v1/jobs/" + raw, null));
        }
        // the whole request line, raw
        probes.add(new Probe("GET", "/api/v1/repos/data/../../../../etc/passwd", null));
        probes.add(new Probe("DELETE", "/api/v1/repos/../pipelines/copy", null));
        probes.add(new Probe("GET", "/api/v1/repos/data/files?path=/a.txt&ref=master&offset=-1", null));
        probes.add(new Probe("GET", "/api/v1/repos/data/files?path=/a.txt&offset=99999999999999999999", null));
        probes.add(new Probe("GET", "/api/v1/repos/data/files?path=/a.txt&length=x", null));
        probes.add(new Probe("GET", "/api/v1/repos/data/commits?limit=-5", null));
        probes.add(new Probe("GET", "/api/v1/repos/data/commit?ref=master&wait=-2", null));
        // a wait too long to count in nanoseconds was a 500 "long overflow"
        probes.add(new Probe("GET", "/api/v1/repos/data/commit?ref=master&wait=1000000000000", null));
        probes.add(new Probe("GET", "/api/v1/jobs/nosuchjob?wait=1000000000000", null));
        probes.add(new Probe("GET", "/api/v1/repos/data/commit?ref=master&wait=" + Long.MAX_VALUE, null));
        // '.', '/' and '' are all the root: deleting it emptied the repo
        for (String root : List.of(".", "/", "./", "//", "/.")) {
            probes.add(new Probe("DELETE", "/api/v1/repos/data/files?path=" + enc(root), null));
        }
        // a pipeline's input and output repos stay while it exists; only its jobs write its output
        probes.add(new Probe("DELETE", "/api/v1/repos/data", null));
        probes.add(new Probe("DELETE", "/api/v1/repos/copy", null));
        probes.add(new Probe("PUT", "/api/v1/repos/copy/files?path=/x", "x"));
        probes.add(new Probe("PUT", "/api/v1/repos/copy/files?path=/a.txt&append=true", "x"));
        probes.add(new Probe("DELETE", "/api/v1/repos/copy/files?path=/a.txt", null));
        probes.add(new Probe("POST", "/api/v1/repos/copy/commits/start", "{}"));
        probes.add(new Probe("POST", "/api/v1/repos/copy/files/copy",
                "{\"srcRepo\": \"data\", \"srcPath\": \"/a.txt\", \"path\": \"/b.txt\"}"));
        probes.add(new Probe("GET", "/api/v1/statistics?api=" + enc(LONG), null));
        probes.add(new Probe("GET", "/api/v1/logs?pipeline=" + enc("../copy"), null));
        probes.add(new Probe("GET", "/api/v1/logs?job=" + enc("../../etc"), null));
        probes.add(new Probe("GET", "/api/v1/jobs?pipeline=" + enc("/etc"), null));
        sweep(probes);
    }

    @Test
    void badBodiesAreRefused() throws Exception {
        byte[] invalidUtf8 = {'{', '"', 'n', 'a', 'm', 'e', '"', ':', ' ', '"', (byte) 0xff, (byte) 0xfe, 'x', '"', '}'};
        byte[] overlong = {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"', (byte) 0xc0, (byte) 0xae, '"', '}'};
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        String deepObject = "{\"a\":".repeat(50_000) + "1" + "}".repeat(50_000);
        String hugeLine = "{\"name\": \"" + "x".repeat(3 << 20) + "\"}";
        List<Probe> probes = new ArrayList<>();
        for (String endpoint : List.of("/api/v1/repos", "/api/v1/repos/data/commits/start", "/api/v1/repos/data/commits/finish",
                "/api/v1/repos/data/branches", "/api/v1/repos/data/files/copy", "/api/v1/pipelines", "/train", "/predict",
                "/result")) {
            probes.add(new Probe("POST", endpoint, invalidUtf8, "application/json"));
            probes.add(new Probe("POST", endpoint, overlong, "application/json"));
            probes.add(new Probe("POST", endpoint, "{\"name\": ", "application/json"));
            probes.add(new Probe("POST", endpoint, "not json at all", "application/json"));
            probes.add(new Probe("POST", endpoint, "[1, 2, 3]", "application/json"));
            probes.add(new Probe("POST", endpoint, "null", "application/json"));
            probes.add(new Probe("POST", endpoint, "", "application/json"));
            probes.add(new Probe("POST", endpoint, deep, "application/json"));
            probes.add(new Probe("POST", endpoint, "{\"data\": " + deep + "}", "application/json"));
            probes.add(new Probe("POST", endpoint, deepObject, "application/json"));
            probes.add(new Probe("POST", endpoint, hugeLine, "application/json"));
            probes.add(new Probe("POST", endpoint, "{\"name\": \"ok\", \"x\": 1} trailing", "application/json"));
            probes.add(new Probe("POST", endpoint, "{\"name\": \"ok\", \"name\": \"dup\"}".replace("dup", "../x"), "application/json"));
            probes.add(new Probe("POST", endpoint, new byte[20 << 20], "application/json"));
            probes.add(new Probe("POST", endpoint, "{\"name\": \"zzz\"}", "text/plain"));
        }
        // unknown fields are refused, not silently ignored
        probes.add(new Probe("POST", "/api/v1/repos", "{\"name\": \"fresh\", \"owner\": \"root\"}"));
        probes.add(new Probe("POST", "/api/v1/repos", "{\"name\": \"fresh\", \"description\": 5}"));
        probes.add(new Probe("POST", "/api/v1/repos", "{\"name\": [\"fresh\"]}"));
        probes.add(new Probe("POST", "/api/v1/repos/data/commits/start", "{\"branch\": \"master\", \"parent\": \"x\"}"));
        probes.add(new Probe("POST", "/api/v1/repos/data/branches", "{\"name\": \"b2\", \"head\": \"master\", \"force\": true}"));
        probes.add(new Probe("POST", "/api/v1/repos/data/files/copy",
                "{\"srcRepo\": \"data\", \"srcPath\": \"/a.txt\", \"path\": \"/c.txt\", \"overwrite\": true}"));
        probes.add(new Probe("POST", "/train", "{\"data\": [\"1 2 3 4\"], \"repo\": \"../etc\"}"));
        probes.add(new Probe("POST", "/predict", "{\"data\": [\"1 2\"], \"filename\": \"/etc/passwd\"}"));
        probes.add(new Probe("POST", "/result", "{\"filename\": \"predict-x.txt\", \"repo\": \"training\"}"));
        // the recommender's bodies: huge lines, too many lines, wrong shapes
        probes.add(new Probe("POST", "/train", "{\"data\": [\"" + "1 ".repeat(1 << 20) + "\"]}"));
        probes.add(new Probe("POST", "/train", "{\"data\": [\"" + "9".repeat(1 << 20) + " 1 2 3\"]}"));
        probes.add(new Probe("POST", "/predict", "{\"data\": [" + "\"1 2\",".repeat(100_001) + "\"1 2\"]}"));
        probes.add(new Probe("POST", "/predict", "{\"data\": [\"1 2\\u0000\"]}"));
        probes.add(new Probe("POST", "/predict", "{\"data\": [\"1\\n2\"]}"));
        probes.add(new Probe("POST", "/predict", "{\"data\": [[\"1\", \"2\"]]}"));
        // specs: unknown fields anywhere, features Sluice does not run, wrong types, cycles
        String good = spec("p4", "data");
        probes.add(new Probe("POST", "/api/v1/pipelines", good.replace("{\"pipeline\"", "{\"enable_stats\": true, \"pipeline\"")));
        probes.add(new Probe("POST", "/api/v1/pipelines", good.replace("\"glob\"", "\"s3\": true, \"glob\"")));
        probes.add(new Probe("POST", "/api/v1/pipelines", good.replace("\"cmd\"", "\"memory_volume\": true, \"cmd\"")));
        probes.add(new Probe("POST", "/api/v1/pipelines", good.replace("[\"true\"]", "\"true\"")));
        probes.add(new Probe("POST", "/api/v1/pipelines", good.replace("{\"name\": \"p4\"}", "\"p4\"")));
        probes.add(new Probe("POST", "/api/v1/pipelines", spec("p5", "p5")));
        probes.add(new Probe("POST", "/api/v1/pipelines", spec("data", "copy")));
        probes.add(new Probe("PUT", "/api/v1/pipelines/copy", spec("copy", "copy")));
        probes.add(new Probe("PUT", "/api/v1/pipelines/copy", spec("copy", "data").replace("\"glob\"", "\"x\": 1, \"glob\"")));
        probes.add(new Probe("PUT", "/api/v1/pipelines/copy", new byte[]{'{', (byte) 0xff, '}'}, "application/json"));
        probes.add(new Probe("PUT", "/api/v1/pipelines/copy", withInvalidUtf8(spec("copy", "data")), "application/json"));
        // the name in the path is the pipeline updated: a spec naming another one was applied to that one
        probes.add(new Probe("PUT", "/api/v1/pipelines/other", spec("copy", "data")));
        probes.add(new Probe("PUT", "/api/v1/pipelines/copy", spec("p7", "data")));
        // environment names a process cannot have failed every datum of the job instead of the create
        for (String key : List.of("A=B", "=", "", "A\\u0000B")) {
            probes.add(new Probe("POST", "/api/v1/pipelines", good.replace("\"cmd\"", "\"env\": {\"" + key + "\": \"1\"}, \"cmd\"")));
        }
        probes.add(new Probe("POST", "/api/v1/pipelines", good.replace("\"cmd\"", "\"env\": {\"A\": \"x\\u0000y\"}, \"cmd\"")));
        // only application/json is JSON
        for (String type : List.of("application/jsonx", "application/json-patch+json", "application/json5; charset=utf-8")) {
            probes.add(new Probe("POST", "/api/v1/repos", "{\"name\": \"typed\"}", type));
            probes.add(new Probe("POST", "/train", "{\"data\": [\"1 2 3 4\"]}", type));
        }
        probes.add(new Probe("POST", "/api/v1/pipelines", "{\"pipeline\": {\"name\": \"p6\"}, \"transform\": {\"cmd\": [\"true\"]},"
                + " \"input\": " + "{\"cross\": [".repeat(600) + "{\"pfs\": {\"repo\": \"data\", \"glob\": \"/\"}}" + "]}".repeat(600) + "}"));
        sweep(probes);
    }

    @Test
    void wrongMethodsAndHugeRequestLinesAreRefused() throws Exception {
        List<Probe> probes = new ArrayList<>();
        for (String path : List.of("/train", "/predict", "/result", "/api/v1/health", "/api/v1/repos", "/api/v1/repos/data",
                "/api/v1/repos/data/files", "/api/v1/pipelines", "/api/v1/pipelines/copy", "/api/v1/jobs", "/api/v1/fsck",
                "/api/v1/gc", "/api/v1/nothing", "/nothing", "/")) {
            for (String method : List.of("PATCH", "PUT", "DELETE", "FOO")) {
                boolean real = method.equals("DELETE") && (path.equals("/api/v1/repos/data") || path.equals("/api/v1/pipelines/copy"));
                if (!real) {
                    probes.add(new Probe(method, path, "{}"));
                }
            }
        }
        probes.add(new Probe("GET", "/train", null));
        probes.add(new Probe("GET", "/api/v1/repos/data/files?path=/a.txt&" + "x=1&".repeat(20_000), null));
        probes.add(new Probe("GET", "/api/v1/repos/" + "r".repeat(100_000), null));
        sweep(probes);
        HttpResponse<String> hugeHeader = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address + "/api/v1/repos"))
                .header("X-Huge", "h".repeat(200_000)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertRefused("GET /api/v1/repos with a 200 KB header", hugeHeader);
    }

    @Test
    void aSymlinkOutOfPfsOutFailsTheDatumAndIsNotFollowed() throws Exception {
        Path secret = dir.resolve("secret.txt");
        Files.writeString(secret, "top secret\n");
        ok("POST", "/api/v1/repos", "{\"name\": \"links\"}");
        String before = snapshot();
        for (String[] link : List.of(new String[]{"abs", secret.toString()}, new String[]{"dir", "/"},
                new String[]{"up", "../../../../../../../../" + secret}, new String[]{"dangling", "/nonexistent/x"})) {
            String name = "leak-" + link[0];
            ok("POST", "/api/v1/pipelines", "{\"pipeline\": {\"name\": \"" + name + "\"},"
                    + " \"transform\": {\"cmd\": [\"sh\", \"-c\", \"ln -s '" + link[1] + "' /pfs/out/leak\"]},"
                    + " \"datum_tries\": 1, \"input\": {\"pfs\": {\"repo\": \"links\", \"glob\": \"/\"}}}");
        }
        ok("PUT", "/api/v1/repos/links/files?path=/in.txt", "go\n");
        for (String kind : List.of("abs", "dir", "up", "dangling")) {
            String name = "leak-" + kind;
            JsonNode job = awaitJobs(name, 1).get(0);
            assertThat(job.get("state").asText()).as("%s: %s", name, job).isEqualTo("JOB_FAILURE");
            JsonNode commits = ok("GET", "/api/v1/repos/" + name + "/commits", null);
            for (JsonNode c : commits) {
                JsonNode files = ok("GET", "/api/v1/repos/" + name + "/files/list?ref=" + c.get("id").asText(), null);
                assertThat(files.toString()).as("%s output", name).doesNotContain("leak");
            }
            JsonNode logs = ok("GET", "/api/v1/logs?pipeline=" + name, null);
            assertThat(logs.toString()).doesNotContain("top secret");
        }
        assertThat(before).isNotEmpty();
    }

    @Test
    void aBodyCutShortIsTheClientsFaultAndWritesNothing() throws Exception {
        String before = snapshot();
        String put = "PUT /api/v1/repos/data/files?path=/short.txt HTTP/1.1\r\nHost: x\r\n";
        for (String request : List.of(
                put + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n400\r\nonly a few bytes",
                put + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
                put + "Content-Length: 1000\r\n\r\nnot a thousand bytes")) {
            String answer = rawExchange(request);
            String status = answer.lines().findFirst().orElse("");
            assertThat(status).as("%s -> %s", abbreviate(request), answer).matches("HTTP/1.1 4\\d\\d .*");
            assertThat(answer).as(answer).contains("\"error\"").doesNotContain("Exception").doesNotContain("Early EOF");
        }
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void aPutRacingTheDeletionOfItsRepoFailsAsNotFoundWithoutServerPaths() throws Exception {
        for (int attempt = 0; attempt < 3; attempt++) {
            String repo = "doomed" + attempt;
            ok("POST", "/api/v1/repos", "{\"name\": \"" + repo + "\"}");
            java.util.concurrent.CountDownLatch halfSent = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch deleted = new java.util.concurrent.CountDownLatch(1);
            byte[] half = new byte[1 << 20];
            new java.util.Random(attempt).nextBytes(half);
            java.io.InputStream body = new java.io.SequenceInputStream(new java.io.ByteArrayInputStream(half),
                    new io.sluice.BlockInputStream() {
                        private final java.io.InputStream rest = new java.io.ByteArrayInputStream(half);

                        @Override
                        public int read(byte[] b, int off, int len) throws IOException {
                            halfSent.countDown();
                            try {
                                deleted.await(); // the second half only once the repo is gone
                            } catch (InterruptedException e) {
                                throw new IOException(e);
                            }
                            return rest.read(b, off, len);
                        }
                    });
            var answer = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(daemon.address + "/api/v1/repos/" + repo
                            + "/files?path=/big.bin")).timeout(Duration.ofSeconds(60))
                    .PUT(HttpRequest.BodyPublishers.ofInputStream(() -> body)).build(), HttpResponse.BodyHandlers.ofString());
            halfSent.await();
            Thread.sleep(200); // let the first half reach the daemon's chunker
            ok("DELETE", "/api/v1/repos/" + repo, null);
            deleted.countDown();
            HttpResponse<String> r = answer.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
            assertThat(problem(r)).as(r.body()).isNull();
            assertThat(r.body()).contains(repo).doesNotContain(dir.toString());
            assertThat(ok("GET", "/api/v1/repos", null).toString()).doesNotContain(repo);
        }
    }

    @Test
    void threeHundredLongPollsHoldNoThreadAndAllAnswerWhenTheCommitFinishes() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String open = ok("POST", "/api/v1/repos/data/commits/start", "{\"branch\": \"polled\"}").get("id").asText();
        // one poll outlives the connection idle timeout (30 s) and still gets its answer: the commit as it is
        String never = ok("POST", "/api/v1/repos/data/commits/start", "{\"branch\": \"idle\"}").get("id").asText();
        var idle = http.sendAsync(HttpRequest.newBuilder(URI.create(daemon.address + "/api/v1/repos/data/commit?ref="
                + never + "&wait=35")).timeout(Duration.ofSeconds(120)).build(), HttpResponse.BodyHandlers.ofString());
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> polls = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            polls.add(http.sendAsync(HttpRequest.newBuilder(URI.create(daemon.address + "/api/v1/repos/data/commit?ref="
                    + open + "&wait=600")).timeout(Duration.ofSeconds(660)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        // until all 300 are being served (at once, where each held a thread: then for up to 30 s)
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline
                && ok("GET", "/api/v1/statistics", null).path("commits.inspect").path("total calls").asLong() < 300) {
            Thread.sleep(200);
        }
        HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address + "/api/v1/health"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(polls).noneMatch(java.util.concurrent.CompletableFuture::isDone);

        ok("POST", "/api/v1/repos/data/commits/finish", "{\"branch\": \"polled\"}");
        for (var poll : polls) {
            HttpResponse<String> r = poll.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).get("finished").isTextual()).as(r.body()).isTrue();
        }
        HttpResponse<String> late = idle.get(120, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(late.statusCode()).as(late.body()).isEqualTo(200);
        assertThat(JSON.readTree(late.body()).get("id").asText()).isEqualTo(never);
        assertThat(JSON.readTree(late.body()).get("finished").isNull()).as(late.body()).isTrue();
        ok("POST", "/api/v1/repos/data/commits/finish", "{\"branch\": \"idle\"}");
    }

    /** Writes {@code request} on a fresh connection, ends the sending side, and returns all that comes back. */
    private static String rawExchange(String request) throws IOException {
        URI base = URI.create(daemon.address);
        try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            socket.shutdownOutput();
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Sends every probe and checks each answer, and that nothing changed; all failures are reported together. */
    private static void sweep(List<Probe> probes) throws Exception {
        String before = snapshot();
        List<String> failures = new ArrayList<>();
        for (Probe probe : probes) {
            HttpResponse<String> r;
            try {
                r = probe.send();
            } catch (IOException e) {
                failures.add(probe + ": connection failed: " + e);
                continue;
            }
            String problem = problem(r);
            if (problem != null) {
                failures.add(probe + " -> " + r.statusCode() + " " + abbreviate(r.body()) + ": " + problem);
            }
            String after = snapshot();
            if (!after.equals(before)) {
                failures.add(probe + " wrote something:\n  before " + before + "\n  after  " + after);
                before = after;
            }
        }
        assertSoftly(soft -> soft.assertThat(failures).as("%d probes", probes.size()).isEmpty());
    }

    private static void assertRefused(String what, HttpResponse<String> r) {
        assertThat(problem(r)).as("%s -> %d %s", what, r.statusCode(), abbreviate(r.body())).isNull();
    }

    /** Why an answer is not a clean refusal, or null if it is one. */
    private static String problem(HttpResponse<String> r) {
        if (r.statusCode() < 400 || r.statusCode() >= 500) {
            return "status is not 4xx";
        }
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (IOException e) {
            return "body is not JSON";
        }
        if (body == null || !body.isObject() || !body.path("error").isTextual() || body.get("error").asText().isBlank()) {
            return "body has no \"error\" string";
        }
        String error = body.get("error").asText();
        if (error.contains("\n") || error.contains("\r") || error.contains("\0")) {
            return "error is not one line";
        }
        if (error.matches("(?s).*(Exception|\\bat [a-z]+\\.[a-z]|internal error).*")) {
            return "error leaks an exception or stack trace";
        }
        return null;
    }

    /** What the API shows of its state: repos, branches with heads, commit counts and pipeline versions. */
    private static String snapshot() throws Exception {
        Map<String, String> state = new TreeMap<>();
        for (JsonNode repo : ok("GET", "/api/v1/repos", null)) {
            String name = repo.get("name").asText();
            state.put("repo " + name, ok("GET", "/api/v1/repos/" + name + "/branches", null).toString());
            state.put("commits " + name, Integer.toString(ok("GET", "/api/v1/repos/" + name + "/commits", null).size()));
        }
        for (JsonNode p : ok("GET", "/api/v1/pipelines", null)) {
            state.put("pipeline " + p.get("name").asText(), p.get("version").asText() + " " + p.get("state").asText());
        }
        try (var files = Files.list(dir)) {
            state.put("files next to the data dir", files.map(f -> f.getFileName().toString()).sorted().toList().toString());
        }
        return state.toString();
    }

    private static List<JsonNode> awaitJobs(String pipeline, int count) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            List<JsonNode> done = new ArrayList<>();
            for (JsonNode job : ok("GET", "/api/v1/jobs?pipeline=" + pipeline, null)) {
                if (job.get("finished").isTextual()) {
                    done.add(job);
                }
            }
            if (done.size() >= count) {
                return done;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("fewer than " + count + " finished jobs of " + pipeline);
    }

    private static JsonNode ok(String method, String path, String body) throws Exception {
        HttpResponse<String> r = new Probe(method, path, body).send();
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isLessThan(300);
        return JSON.readTree(r.body());
    }

    /** One request: raw path (already percent-encoded), body bytes, content type. */
    private record Probe(String method, String path, byte[] body, String contentType) {
        Probe(String method, String path, String body) {
            this(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), "application/json");
        }

        Probe(String method, String path, String body, String contentType) {
            this(method, path, body.getBytes(StandardCharsets.UTF_8), contentType);
        }

        HttpResponse<String> send() throws IOException, InterruptedException {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(daemon.address + path)).timeout(Duration.ofSeconds(30))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            if (contentType != null) {
                b.header("Content-Type", contentType);
            }
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }

        @Override
        public String toString() {
            String shown = body == null ? "" : " " + abbreviate(new String(body, StandardCharsets.UTF_8));
            return method + " " + abbreviate(path) + shown;
        }
    }

    private static String spec(String name, String inputRepo) throws IOException {
        return "{\"pipeline\": {\"name\": " + JSON.writeValueAsString(name) + "}, \"transform\": {\"cmd\": [\"true\"]},"
                + " \"input\": {\"pfs\": {\"repo\": " + JSON.writeValueAsString(inputRepo) + ", \"glob\": \"/\"}}}";
    }

    private static byte[] withInvalidUtf8(String json) {
        byte[] text = json.replace("\"true\"", "\"tru@\"").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < text.length; i++) {
            if (text[i] == '@') {
                text[i] = (byte) 0xff;
            }
        }
        return text;
    }

    private static String json(String template, String value) throws IOException {
        return String.format(template, JSON.writeValueAsString(value));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String abbreviate(String s) {
        String clean = s.replaceAll("\\p{Cntrl}", "?");
        return clean.length() > 120 ? clean.substring(0, 120) + "...(" + clean.length() + " chars)" : clean;
    }
}
