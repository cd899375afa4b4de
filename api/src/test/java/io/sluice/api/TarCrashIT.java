package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A directory upload (one tar request) into an open commit while the daemon is killed with SIGKILL at
 * different moments: after each restart the open commit holds all of the directory or none of it, and so
 * does the branch once the commit is finished.
 */
class TarCrashIT {
    private static final ObjectMapper JSON = Json.mapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final int FILES = 200;
    /** Milliseconds from the upload's start to the kill; -1: right after the daemon acknowledged it. */
    private static final long[] KILL_AFTER_MS = {300, -1};

    @Test
    void aDirectoryUploadIntoAnOpenCommitIsAllOrNothingAfterKillNine(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path log = dir.resolve("daemon.log");
        byte[] tar = ManyFilesIT.tar("batch", FILES);
        int whole = 0;
        boolean[] ackedCycles = new boolean[KILL_AFTER_MS.length];
        for (int cycle = 0; cycle < KILL_AFTER_MS.length; cycle++) {
            String repo = "crash" + cycle;
            try (DaemonProcess daemon = DaemonProcess.start(data, log)) {
                send(daemon, "POST", "/api/v1/repos", "application/json", ("{\"name\": \"" + repo + "\"}").getBytes());
                send(daemon, "POST", "/api/v1/repos/" + repo + "/commits/start", "application/json",
                        "{\"branch\": \"master\"}".getBytes());
                boolean[] acked = {false};
                Thread upload = new Thread(() -> {
                    try {
                        send(daemon, "PUT", "/api/v1/repos/" + repo + "/files?branch=master&path=/", "application/x-tar", tar);
                        acked[0] = true;
                    } catch (IOException | InterruptedException killed) {
                        // the daemon died under it: what counts is what the restarted daemon shows
                    }
                });
                upload.start();
                if (KILL_AFTER_MS[cycle] < 0) {
                    upload.join();
                    assertThat(acked[0]).isTrue();
                } else {
                    Thread.sleep(KILL_AFTER_MS[cycle]);
                }
                daemon.kill();
                upload.join();
                ackedCycles[cycle] = acked[0];
            }
            try (DaemonProcess daemon = DaemonProcess.start(data, log)) {
                JsonNode open = JSON.readTree(send(daemon, "GET", "/api/v1/repos/" + repo + "/commit?ref=master", null, null));
                assertThat(open.get("finished").isNull()).as("the commit is still open after the crash").isTrue();
                int inOpen = count(daemon, repo, open.get("id").asText());
                assertThat(inOpen).as("cycle " + cycle + ": files of the upload in the open commit").isIn(0, FILES);
                if (ackedCycles[cycle]) {
                    assertThat(inOpen).as("an acknowledged upload survives kill -9").isEqualTo(FILES);
                }
                send(daemon, "POST", "/api/v1/repos/" + repo + "/commits/finish", "application/json",
                        "{\"branch\": \"master\"}".getBytes());
                assertThat(count(daemon, repo, "master")).isEqualTo(inOpen);
                whole += inOpen == FILES ? 1 : 0;
                JsonNode fsck = JSON.readTree(send(daemon, "POST", "/api/v1/fsck", "application/json", new byte[0]));
                assertThat(fsck.get("ok").asBoolean()).as(fsck.toString()).isTrue();
                // a pack the killed upload left unnamed goes; the packs the commit names stay and read back
                send(daemon, "POST", "/api/v1/gc", "application/json", new byte[0]);
                if (inOpen == FILES) {
                    assertThat(send(daemon, "GET", "/api/v1/repos/" + repo + "/files?ref=master&path=/batch/f-00007.txt",
                            null, null)).isEqualTo("batch file 7\n".repeat(8));
                }
                fsck = JSON.readTree(send(daemon, "POST", "/api/v1/fsck", "application/json", new byte[0]));
                assertThat(fsck.get("ok").asBoolean()).as("after gc: " + fsck).isTrue();
            }
        }
        assertThat(whole).as("the acknowledged upload landed whole").isPositive();
    }

    private static int count(DaemonProcess daemon, String repo, String ref) throws Exception {
        String body = send(daemon, "GET", "/api/v1/repos/" + repo + "/files/glob?ref=" + ref + "&pattern="
                + URLEncoder.encode("/batch/*", StandardCharsets.UTF_8), null, null);
        return JSON.readTree(body).size();
    }

    private static String send(DaemonProcess daemon, String method, String path, String type, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(daemon.address + path))
                .header("Authorization", "Bearer " + daemon.token);
        if (type != null) {
            b.header("Content-Type", type);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() >= 300) {
            throw new AssertionError(method + " " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }
}
