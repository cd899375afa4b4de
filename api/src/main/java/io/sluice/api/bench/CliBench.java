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

    /**
     * Median and p95 of {@code runs} runs of each client command, a bare JVM and curl, in milliseconds; with
     * {@code before} (another built checkout), its launcher's runs of the same client commands too, taken in
     * turn with this one's so that both see the same load, and the ratio of the medians.
     */
    public Map<String, Object> startup(Path dir, int runs, Path before) throws Exception {
        try (Server server = new Server(dir)) {
            Map<String, String> env = server.env(dir);
            Path small = dir.resolve("small.txt");
            Files.writeString(small, "one line\n");
            run(env, List.of(launcher(home), "create", "repo", "bench", "-d", "bench cli"));
            run(env, List.of(launcher(home), "put", "file", "bench@master:/small.txt", "-f", small.toString()));
            List<List<String>> clients = List.of(List.of("list", "repo"), List.of("inspect", "commit", "bench@master"),
                    List.of("list", "file", "bench@master:/"), List.of("get", "file", "bench@master:/small.txt"),
                    List.of("list", "repo", "--help"));
            Map<String, List<List<String>>> commands = new LinkedHashMap<>();
            commands.put("bare JVM printing one line", List.of(List.of("java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                    "-Xshare:auto", "-cp", home.resolve("api/target/api.jar").toString(), BareJvm.class.getName())));
            for (List<String> client : clients) {
                List<List<String>> variants = new ArrayList<>();
                variants.add(concat(launcher(home), client));
                if (before != null) {
                    variants.add(concat(launcher(before), client));
                }
                commands.put("sluice " + String.join(" ", client), variants);
            }
            if (onPath("curl")) {
                commands.put("curl GET /api/v1/repos", List.of(List.of("curl", "-sS", server.address + "/api/v1/repos")));
            }
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("runs", runs);
            figures.put("java", System.getProperty("java.home"));
            if (before != null) {
                figures.put("before", before.toAbsolutePath().normalize().toString());
            }
            Map<String, Double> medians = new LinkedHashMap<>();
            for (Map.Entry<String, List<List<String>>> c : commands.entrySet()) {
                List<List<Double>> ms = new ArrayList<>();
                for (List<String> variant : c.getValue()) {
                    for (int i = 0; i < 2; i++) {
                        run(env, variant); // warm-up: the first client run after a build makes the class-data archive
                    }
                    ms.add(new ArrayList<>());
                }
                for (int i = 0; i < runs; i++) {
                    for (int v = 0; v < c.getValue().size(); v++) {
                        ms.get(v).add(run(env, c.getValue().get(v)) / 1e6);
                    }
                }
                for (int v = 0; v < ms.size(); v++) {
                    List<Double> sorted = ms.get(v);
                    Collections.sort(sorted);
                    Map<String, Object> f = new LinkedHashMap<>();
                    f.put("median_ms", round(sorted.get(sorted.size() / 2)));
                    f.put("p95_ms", round(sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.95) - 1))));
                    f.put("min_ms", round(sorted.get(0)));
                    String name = v == 0 ? c.getKey() : "before: " + c.getKey();
                    figures.put(name, f);
                    medians.put(name, sorted.get(sorted.size() / 2));
                }
                if (ms.size() == 2) {
                    figures.put(c.getKey() + ": after / before (medians)",
                            round(medians.get(c.getKey()) / medians.get("before: " + c.getKey())));
                }
            }
            figures.put("list repo / bare JVM (medians)", round(medians.get("sluice list repo")
                    / medians.get("bare JVM printing one line")));
            return figures;
        }
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
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
            run(env, List.of(launcher(home), "create", "repo", "transfer"));
            run(env, List.of(launcher(home), "list", "repo")); // the client's class-data archive, outside the timings
            String url = server.address + "/api/v1/repos/transfer/files";
            Map<String, Object> figures = new LinkedHashMap<>();
            figures.put("bytes", mib << 20);
            long cliPut = run(env, List.of(launcher(home), "put", "file", "transfer@master:/cli.bin", "-f", file.toString()));
            long curlPut = run(env, List.of("curl", "-sS", "-f", "-o", "/dev/null", "-T", other.toString(),
                    url + "?branch=master&path=/curl.bin"));
            Path cliOut = dir.resolve("cli.out");
            Path curlOut = dir.resolve("curl.out");
            long cliGet = run(env, List.of(launcher(home), "get", "file", "transfer@master:/cli.bin", "-o", cliOut.toString()));
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

    private static String launcher(Path checkout) {
        return checkout.resolve("sluice").toString();
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
        if (!p.waitFor(60, TimeUnit.MINUTES) || p.exitValue() != 0) {
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
