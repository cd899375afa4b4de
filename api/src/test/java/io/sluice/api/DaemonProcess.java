package io.sluice.api;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A daemon as a real separate JVM (`sluice up --no-demo`), so tests can kill -9 it and start it again. */
final class DaemonProcess implements AutoCloseable {
    final int port;
    final String address;
    /** The API token the daemon requires: given to it in $SLUICE_AUTH_TOKEN, or read from its token file. */
    final String token;
    private final Process process;

    private DaemonProcess(Process process, int port, String token) {
        this.process = process;
        this.port = port;
        this.address = "http://127.0.0.1:" + port;
        this.token = token;
    }

    /** A daemon whose token the test chose ($SLUICE_AUTH_TOKEN), so that it works on any data dir. */
    static DaemonProcess start(Path dataDir, Path log, String... extraArgs) throws IOException, InterruptedException {
        return start(List.of(), dataDir, log, extraArgs);
    }

    /** As {@link #start(Path, Path, String...)}, with the java command run by {@code wrapper}, which must exec it. */
    static DaemonProcess start(List<String> wrapper, Path dataDir, Path log, String... extraArgs)
            throws IOException, InterruptedException {
        return start(wrapper, Map.of(), dataDir, log, extraArgs);
    }

    /** As {@link #start(Path, Path, String...)}, with {@code env} added to the daemon's environment. */
    static DaemonProcess start(List<String> wrapper, Map<String, String> env, Path dataDir, Path log, String... extraArgs)
            throws IOException, InterruptedException {
        String token = "test-token-" + Long.toHexString(new SecureRandom().nextLong());
        return start(wrapper, env, token, dataDir, log, extraArgs);
    }

    /** A daemon that makes or reads its own token file in the data dir, as a plain {@code sluice up} does. */
    static DaemonProcess startWithTokenFile(Path dataDir, Path log, String... extraArgs)
            throws IOException, InterruptedException {
        return start(List.of(), Map.of(), null, dataDir, log, extraArgs);
    }

    private static DaemonProcess start(List<String> wrapper, Map<String, String> env, String envToken, Path dataDir, Path log,
                                       String... extraArgs)
            throws IOException, InterruptedException {
        int port = freePort();
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(upCommand(port, dataDir));
        cmd.addAll(List.of(extraArgs));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("SLUICE_HOME", TestDaemon.HOME.toString());
        pb.environment().remove("SLUICE_AUTH_TOKEN");
        pb.environment().putAll(env);
        if (envToken != null) {
            pb.environment().put("SLUICE_AUTH_TOKEN", envToken);
        }
        Process process = pb.start();
        new DaemonProcess(process, port, envToken).awaitHealthy(Duration.ofSeconds(60));
        String token = envToken != null ? envToken : Files.readString(dataDir.resolve("auth-token")).strip();
        return new DaemonProcess(process, port, token);
    }

    /** A request to {@code path} (with its query) carrying the daemon's token. */
    HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(address + pathAndQuery)).header("Authorization", "Bearer " + token);
    }

    /** The java command line of {@code sluice up --no-demo} on {@code port} and {@code dataDir}. */
    static List<String> upCommand(int port, Path dataDir) {
        List<String> cmd = new ArrayList<>(upWithDemoCommand(port, dataDir));
        cmd.add(cmd.indexOf("up") + 1, "--no-demo");
        return cmd;
    }

    /** The java command line of {@code sluice up} (with its demo) on {@code port} and {@code dataDir}. */
    static List<String> upWithDemoCommand(int port, Path dataDir) {
        Path home = TestDaemon.HOME;
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-cp", home.resolve("api/target/api.jar") + ":" + home.resolve("api/target/lib/*"),
                "io.sluice.api.Main", "up", "--port", Integer.toString(port), "--data-dir", dataDir.toString());
    }

    /** The daemon's process id. */
    long pid() {
        return process.pid();
    }

    private void awaitHealthy(Duration timeout) throws InterruptedException, IOException {
        HttpClient http = HttpClient.newHttpClient();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("daemon exited with " + process.exitValue());
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(address + "/api/v1/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(50);
        }
        throw new IOException("daemon not healthy after " + timeout);
    }

    /** SIGKILL: no shutdown hook, no flush, exactly what a crash or OOM killer does. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
