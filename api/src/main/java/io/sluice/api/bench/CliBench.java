package io.sluice.api.bench;

import io.javalin.Javalin;
import io.sluice.api.server.ApiServer;
import io.sluice.api.server.Daemon;
import io.sluice.api.server.DaemonConfig;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The CLI as a user runs it: {@code ./sluice} processes against a daemon in this JVM, timed from fork to
 * exit, next to a bare JVM that prints one line and to {@code curl} of the same endpoints, all in one run
 * (start-up), and 1 GiB put and get through the CLI next to {@code curl -T} / {@code curl -o} (transfer).
 */
public final class CliBench {
    private final Path home;

    /** A benchmark of the launcher in {@code home} (the project root). */
    public CliBench(Path home) {
        this.home = home;
    }

    /** Median and p95 of {@code runs} runs of each client command, a bare JVM and curl, in milliseconds. */
    public Map<String, Object> startup(Path dir, int runs) throws Exception {
        try (Server server = new Server(dir)) {
            Map<String, String> env = server.env(dir);
            Path small = dir.resolve("small.txt");
            Files.writeString(small, "one line\n");
            run(env, List.of(launcher(), "create", "repo", "bench", "-d", "bench cli"));
            run(env, List.of(launcher(), "put", "file", "bench@master:/small.txt", "-f", small.toString()));
            Map<String, List<String>> commands = new LinkedHashMap<>();
            commands.put("bare JVM printing one line", List.of("java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-Xshare:auto", "-cp", home.resolve("api/target/api.jar").toString(), BareJvm.class.getName()));
            commands.put("sluice list repo", List.of(launcher(), "list", "repo"));
            commands.put("sluice inspect commit bench@master", List.of(launcher(), "inspect", "commit", "bench@master"));
            commands.put("sluice list file bench@master:/", List.of(launcher(), "list", "file", "bench@master:/"));
            commands.put("sluice get file bench@master:/small.txt", List.of(launcher(), "get", "file", "bench@master:/small.txt"));
            commands.put("sluice list repo --help", List.of(launcher(), "list", "repo", "--help"));
            if (onPath("curl")) {
                commands.put("curl GET /api/v1/repos", List.of("curl", "-sS", server.address + "/api/v1/repos"));
            }
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("runs", runs);
            figures.put("java", System.getProperty("java.home"));
            Map<String, Double> medians = new LinkedHashMap<>();
            for (Map.Entry<String, List<String>> c : commands.entrySet()) {
                for (int i = 0; i < 2; i++) {
                    run(env, c.getValue()); // warm-up: the first client run after a build makes the class-data archive
                }
                List<Double> ms = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    ms.add(run(env, c.getValue()) / 1e6);
                }
                Collections.sort(ms);
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("median_ms", round(ms.get(ms.size() / 2)));
                f.put("p95_ms", round(ms.get(Math.min(ms.size() - 1, (int) Math.ceil(ms.size() * 0.95) - 1))));
                f.put("min_ms", round(ms.get(0)));
                figures.put(c.getKey(), f);
                medians.put(c.getKey(), ms.get(ms.size() / 2));
            }
            figures.put("list repo / bare JVM (medians)", round(medians.get("sluice list repo")
                    / medians.get("bare JVM printing one line")));
            return figures;
        }
    }

    /** {@code mib} MiB of new random bytes put and got through the CLI and through curl, side by side. */
    public Map<String, Object> transfer(Path dir, long mib) throws Exception {
        if (!onPath("curl")) {
            throw new IllegalStateException("bench transfer compares with curl; install it (apt-get install curl)");
        }
        try (Server server = new Server(dir)) {
            Map<String, String> env = server.env(dir);
            // Two files of different bytes: the second put of the same bytes would store no new chunk at all.
            Path file = dir.resolve("random.bin");
            String sha = writeRandom(file, mib << 20, 42);
            Path other = dir.resolve("other.bin");
            String otherSha = writeRandom(other, mib << 20, 43);
            run(env, List.of(launcher(), "create", "repo", "transfer"));
            run(env, List.of(launcher(), "list", "repo")); // the client's class-data archive, outside the timings
            String url = server.address + "/api/v1/repos/transfer/files";
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("bytes", mib << 20);
            long cliPut = run(env, List.of(launcher(), "put", "file", "transfer@master:/cli.bin", "-f", file.toString()));
            long curlPut = run(env, List.of("curl", "-sS", "-f", "-o", "/dev/null", "-T", other.toString(),
                    url + "?branch=master&path=/curl.bin"));
            Path cliOut = dir.resolve("cli.out");
            Path curlOut = dir.resolve("curl.out");
            long cliGet = run(env, List.of(launcher(), "get", "file", "transfer@master:/cli.bin", "-o", cliOut.toString()));
            long curlGet = run(env, List.of("curl", "-sS", "-f", "-o", curlOut.toString(), url + "?ref=master&path=/curl.bin"));
            if (!sha.equals(sha256(cliOut)) || !otherSha.equals(sha256(curlOut))) {
                throw new IllegalStateException("the bytes got back differ from the bytes put");
            }
            figures.put("put: sluice s", round(cliPut / 1e9));
            figures.put("put: curl -T s", round(curlPut / 1e9));
            figures.put("put: sluice / curl", round((double) cliPut / curlPut));
            figures.put("get: sluice s", round(cliGet / 1e9));
            figures.put("get: curl s", round(curlGet / 1e9));
            figures.put("get: sluice / curl", round((double) cliGet / curlGet));
            figures.put("bytes verified", true);
            return figures;
        }
    }

    private String launcher() {
        return home.resolve("sluice").toString();
    }

    /** Nanoseconds from start to exit of one process; a failure is an error, not a figure. */
    static long run(Map<String, String> env, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.PIPE);
        pb.environment().putAll(env);
        long start = System.nanoTime();
        Process p = pb.start();
        byte[] err;
        try (InputStream in = p.getErrorStream()) {
            err = in.readAllBytes();
        }
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed: " + new String(err).strip());
        }
        return System.nanoTime() - start;
    }

    static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static String writeRandom(Path file, long size, long seed) throws IOException, NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        Random random = new Random(seed);
        byte[] buf = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long left = size; left > 0; left -= buf.length) {
                random.nextBytes(buf);
                int n = (int) Math.min(buf.length, left);
                out.write(buf, 0, n);
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static String sha256(Path file) throws IOException, NoSuchAlgorithmException {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /** A daemon without a token on a free loopback port over {@code dir}/data. */
    private static final class Server implements AutoCloseable {
        final Daemon daemon;
        final Javalin app;
        final String address;

        Server(Path dir) throws IOException {
            daemon = Daemon.open(new DaemonConfig(dir.resolve("data"), null, "127.0.0.1", 0, List.of()), System.getenv());
            app = ApiServer.create(daemon).start("127.0.0.1", 0);
            address = "http://127.0.0.1:" + app.port();
        }

        /** The environment of the CLI processes: this daemon, and no token file of another. */
        Map<String, String> env(Path dir) {
            return Map.of("SLUICE_ADDRESS", address, "SLUICE_DATA", dir.resolve("data").toString());
        }

        @Override
        public void close() throws IOException {
            app.stop();
            daemon.close();
        }
    }
}
