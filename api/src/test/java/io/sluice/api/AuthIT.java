package io.sluice.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A daemon started with a token refuses every endpoint but health without it, and does nothing. */
class AuthIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void bearerTokenIsRequiredEverywhereButHealth(@TempDir Path dir) throws Exception {
        try (TestDaemon daemon = new TestDaemon(dir, null, "s3cret")) {
            assertThat(get(daemon, "/api/v1/health", null).statusCode()).isEqualTo(200);
            HttpResponse<String> denied = get(daemon, "/api/v1/repos", null);
            assertThat(denied.statusCode()).isEqualTo(401);
            assertThat(denied.body()).contains("\"error\"");
            assertThat(get(daemon, "/api/v1/repos", "wrong").statusCode()).isEqualTo(401);
            assertThat(get(daemon, "/api/v1/repos", "s3cret").statusCode()).isEqualTo(200);

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
    void bindingBeyondLoopbackNeedsAToken(@TempDir Path dir) {
        TestDaemon.Run run = TestDaemon.cli(Map.of("SLUICE_DATA", dir.toString()), new byte[0],
                "up", "--no-demo", "--bind", "0.0.0.0", "--port", "0");
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains("--auth-token");
    }

    private static HttpResponse<String> get(TestDaemon daemon, String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(daemon.address + path)).GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
