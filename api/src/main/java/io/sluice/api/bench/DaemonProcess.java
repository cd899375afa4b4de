package io.sluice.api.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A benchmark's daemon: {@code sluice up} in a JVM of its own on a free loopback port, with its token read from
 * its data dir, called over real HTTP, and ended with SIGKILL.
 */
final class DaemonProcess implements AutoCloseable {
    private static final ObjectMapper JSON = Json.mapper();

    /** One answer: its status and body. */
    record Reply(int status, String body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Process process;
    private final String address;
    private String token;

    private DaemonProcess(Process process, int port) {
        this.process = process;
        this.address = "http://127.0.0.1:" + port;
    }

    /**
     * Starts {@code java -cp classpath io.sluice.api.Main up --port P --data-dir data upArgs...} with {@code env}
     * added to this process's environment, its output appended to {@code log}, and waits until it answers.
     */
    static DaemonProcess start(String classpath, Map<String, String> env, Path data, Path log, List<String> upArgs)
            throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", classpath, "io.sluice.api.Main", "up",
                "--port", Integer.toString(port), "--data-dir", data.toString()));
        cmd.addAll(upArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().remove("SLUICE_AUTH_TOKEN"); // the daemon keeps its token in the data dir
        pb.environment().putAll(env);
        DaemonProcess d = new DaemonProcess(pb.start(), port);
        long deadline = System.nanoTime() + 600_000_000_000L; // health answers once the demo is in place
        while (System.nanoTime() < deadline) {
            if (!d.process.isAlive()) {
                throw new IOException("the daemon exited with " + d.process.exitValue() + " at start; see " + log);
            }
            try {
                if (d.send("GET", "/api/v1/health", null).ok()) {
                    d.token = Files.readString(data.resolve("auth-token")).strip();
                    return d;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(50);
        }
        d.kill();
        throw new IOException("the daemon did not answer within 600 s; see " + log);
    }

    String address() {
        return address;
    }

    String token() {
        return token;
    }

    Reply send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(address + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    /** The answer's JSON; anything but 2xx is an error naming the call. */
    JsonNode ok(String method, String path, String body) throws IOException, InterruptedException {
        Reply r = send(method, path, body);
        if (!r.ok()) {
            throw new IOException(method + " " + path + " answered " + r.status() + ": " + r.body());
        }
        return JSON.readTree(r.body());
    }

    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
