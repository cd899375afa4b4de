package io.sluice.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import io.sluice.runner.exec.ProcessRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Who may do what: a daemon with a token refuses every endpoint but health without it and does nothing;
 * {@code sluice up} always has one, in an owner-only file in the data dir that the CLI reads, so a local
 * user without that file cannot create a pipeline (run code as the daemon's user); the token is in no
 * process's command line and in no job's environment.
 */
class AuthIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = Json.mapper();
    private static final String PIPELINE = """
            {"pipeline": {"name": "envdump"},
             "transform": {"cmd": ["sh", "-c", "env > /pfs/out/env"], "env": {"GREETING": "hi"}},
             "input": {"pfs": {"repo": "in", "glob": "/"}}}""";

    @Test
    void bearerTokenIsRequiredEverywhereButHealth(@TempDir Path dir) throws Exception {
        try (TestDaemon daemon = new TestDaemon(dir, null, "s3cret")) {
            assertThat(get(daemon.address, "/api/v1/health", null).statusCode()).isEqualTo(200);
            HttpResponse<String> denied = get(daemon.address, "/api/v1/repos", null);
            assertThat(denied.statusCode()).isEqualTo(401);
            assertThat(denied.body()).contains("\"error\"");
            assertThat(get(daemon.address, "/api/v1/repos", "wrong").statusCode()).isEqualTo(401);
            assertThat(get(daemon.address, "/api/v1/repos", "s3cret").statusCode()).isEqualTo(200);

            TestDaemon.Run noToken = TestDaemon.cli(daemon.address, new byte[0], "create", "repo", "locked");
            assertThat(noToken.code()).isEqualTo(1);
            assertThat(noToken.err()).contains("bearer token");
            TestDaemon.Run withToken = TestDaemon.cli(Map.of("SLUICE_ADDRESS", daemon.address, "SLUICE_AUTH_TOKEN", "s3cret"),
                    new byte[0], "list", "repo", "-o", "json");
            assertThat(withToken.code()).as(withToken.err()).isZero();
            assertThat(withToken.out().strip()).isEqualTo("[ ]");
        }
    }

    @Test
    void upKeepsItsTokenInAnOwnerOnlyFileThatTheCliReads(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path log = dir.resolve("daemon.log");
        String token;
        try (DaemonProcess d = DaemonProcess.startWithTokenFile(data, log)) {
            Path file = data.resolve("auth-token");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
            token = d.token;
            assertThat(token).hasSizeGreaterThanOrEqualTo(32);
            assertThat(Files.readString(Path.of("/proc/" + d.pid() + "/cmdline"))).doesNotContain(token);

            // without the token: no pipeline (no code run as the daemon's user), no repo, nothing shown
            HttpResponse<String> create = send(d.address, "POST", "/api/v1/pipelines", null, PIPELINE);
            assertThat(create.statusCode()).as(create.body()).isEqualTo(401);
            assertThat(JSON.readTree(create.body()).get("error").asText()).contains("bearer token").doesNotContain(data.toString());
            assertThat(send(d.address, "POST", "/api/v1/repos", null, "{\"name\": \"in\"}").statusCode()).isEqualTo(401);
            assertThat(get(d.address, "/api/v1/pipelines", token).body()).isEqualTo("[]");
            assertThat(get(d.address, "/api/v1/repos", token).body()).isEqualTo("[]");
            HttpResponse<String> health = get(d.address, "/api/v1/health", null);
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).doesNotContain(data.toString()).doesNotContain(dir.toString()).doesNotContain("store");
            assertThat(get(d.address, "/api/v1/health", token).body()).contains("\"store\"");
            // the recommender's endpoints stay open on loopback (the README's curl session): here no demo repo, so 404
            assertThat(send(d.address, "POST", "/predict", null, "{\"data\": [\"1 2\"]}").statusCode()).isEqualTo(404);

            // the CLI finds the token in the data dir it shares with `up`: no extra step
            Map<String, String> env = Map.of("SLUICE_ADDRESS", d.address, "SLUICE_DATA", data.toString());
            TestDaemon.Run made = TestDaemon.cli(env, new byte[0], "create", "repo", "in");
            assertThat(made.code()).as(made.err()).isZero();
            TestDaemon.Run elsewhere = TestDaemon.cli(Map.of("SLUICE_ADDRESS", d.address, "SLUICE_DATA",
                    dir.resolve("other").toString()), new byte[0], "list", "repo");
            assertThat(elsewhere.code()).isEqualTo(1);
            assertThat(elsewhere.err().strip().lines()).hasSize(1);
            assertThat(elsewhere.err()).contains("bearer token").doesNotContain("Exception");
            TestDaemon.Run byFile = TestDaemon.cli(Map.of("SLUICE_ADDRESS", d.address, "SLUICE_DATA",
                    dir.resolve("other").toString()), new byte[0], "list", "repo", "--token-file", file.toString());
            assertThat(byFile.code()).as(byFile.err()).isZero();
            assertThat(byFile.out()).contains("in");
        }
        try (DaemonProcess again = DaemonProcess.startWithTokenFile(data, log)) {
            assertThat(again.token).as("a restart keeps the token").isEqualTo(token);
        }
    }

    @Test
    void theTokenReachesNoJobAndBeyondLoopbackGuardsTheRecommenderToo(@TempDir Path dir) throws Exception {
        // the daemon's store credentials (and anything else it was started with) are as much its own as the token
        Map<String, String> daemonEnv = Map.of("AWS_ACCESS_KEY_ID", "daemon-key-id", "AWS_SECRET_ACCESS_KEY",
                "daemon-secret-key", "SLUICE_SOMETHING_ELSE", "daemon-only");
        try (DaemonProcess d = DaemonProcess.start(List.of(), daemonEnv, dir.resolve("data"), dir.resolve("daemon.log"),
                "--bind", "0.0.0.0")) {
            assertThat(Files.readString(Path.of("/proc/" + d.pid() + "/cmdline"))).doesNotContain(d.token);
            assertThat(send(d.address, "POST", "/predict", null, "{\"data\": [\"1 2\"]}").statusCode()).isEqualTo(401);

            Map<String, String> env = Map.of("SLUICE_ADDRESS", d.address, "SLUICE_AUTH_TOKEN", d.token);
            assertThat(TestDaemon.cli(env, new byte[0], "create", "repo", "in").code()).isZero();
            assertThat(send(d.address, "POST", "/api/v1/pipelines", d.token, PIPELINE).statusCode()).isEqualTo(201);
            assertThat(TestDaemon.cli(env, "x\n".getBytes(), "put", "file", "in@master:/x", "-f", "-").code()).isZero();
            String dumped = null;
            long deadline = System.currentTimeMillis() + 120_000;
            while (dumped == null && System.currentTimeMillis() < deadline) {
                TestDaemon.Run get = TestDaemon.cli(env, new byte[0], "get", "file", "envdump@master:/env");
                if (get.code() == 0) {
                    dumped = get.out();
                } else {
                    Thread.sleep(200);
                }
            }
            assertThat(dumped).as("the job's environment").isNotNull().contains("PACH_JOB_ID=");
            assertThat(dumped).doesNotContain(d.token).doesNotContain("SLUICE_AUTH_TOKEN")
                    .doesNotContain("daemon-key-id").doesNotContain("daemon-secret-key").doesNotContain("daemon-only")
                    .contains("GREETING=hi").contains("PATH=").contains("in_COMMIT=");
            // nothing else of the daemon's: the base names, the datum's own, and what sh itself sets
            Set<String> allowed = new HashSet<>(ProcessRun.INHERITED);
            allowed.addAll(List.of("GREETING", "in", "in_COMMIT", "PWD", "OLDPWD", "SHLVL", "_"));
            List<String> names = dumped.lines().filter(l -> l.contains("=")).map(l -> l.substring(0, l.indexOf('=')))
                    .filter(n -> !n.startsWith("LC_") && !n.startsWith("PACH_")).toList();
            assertThat(names).allMatch(allowed::contains, "one of " + allowed);
        }
    }

    private static HttpResponse<String> get(String address, String path, String token) throws Exception {
        return send(address, "GET", path, token, null);
    }

    private static HttpResponse<String> send(String address, String method, String path, String token, String body)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(address + path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
