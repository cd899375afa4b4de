package io.sluice.api.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * {@code sluice bench files}: many small files through the CLI into a real daemon process ({@code put file -r}
 * of 1,000 and of N files of 1-10 KiB or of a few bytes, a paged {@code list file} of the first directory with
 * the daemon's RSS sampled meanwhile, then the same N again), next to {@code restic backup} and
 * {@code git add -A && git commit} of the same trees in the same run, with the daemon's peak RSS; optionally
 * the same for another build (a checkout's launcher and jars), so before and after come from one run.
 */
public final class FilesBench {
    /**
     * How many files, their largest size in bytes (0: 1-10 KiB), files per directory, the daemon's -Xmx, the
     * builds to measure (project roots), whether to run restic and git, and whether to put the N files again.
     */
    public record Options(int files, int maxBytes, int perDir, String daemonHeap, List<Path> homes, boolean others,
                          boolean again) {
    }

    private final Options options;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A benchmark with these options. */
    public FilesBench(Options options) {
        this.options = options;
    }

    /** The trees generated under {@code dir}, then each measurement in turn. */
    public Map<String, Object> run(Path dir) throws Exception {
        Path small = dir.resolve("tree-1000");
        Path big = dir.resolve("tree-" + options.files());
        long bytes = generate(big, options.files(), 1);
        generate(small, 1000, 2);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("files", options.files());
        figures.put("bytes", bytes);
        figures.put("file sizes", (options.maxBytes() > 0 ? "1-" + options.maxBytes() + " bytes" : "1-10 KiB")
                + ", random bytes, " + options.perDir() + " per directory");
        if (options.others()) {
            progress("restic backup", others(dir, small, big, true), figures);
            progress("git add -A && git commit", others(dir, small, big, false), figures);
        }
        for (Path home : options.homes()) {
            progress("sluice " + home, sluice(dir.resolve("run-" + figures.size()), home, small, big), figures);
        }
        return figures;
    }

    /** Puts both trees through one build's CLI into one build's daemon; the N tree twice (the second stores nothing new). */
    private Map<String, Object> sluice(Path dir, Path home, Path small, Path big) throws Exception {
        Files.createDirectories(dir);
        Path data = dir.resolve("data");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path target = home.resolve("api/target");
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + options.daemonHeap(), "-cp", target.resolve("api.jar") + ":" + target.resolve("lib") + "/*",
                "io.sluice.api.Main", "up", "--no-demo", "--port", Integer.toString(port), "--data-dir", data.toString());
        Path log = dir.resolve("daemon.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("SLUICE_AUTH_TOKEN");
        Process daemon = pb.start();
        try {
            String address = "http://127.0.0.1:" + port;
            awaitHealth(daemon, address, log);
            Map<String, String> env = Map.of("SLUICE_ADDRESS", address, "SLUICE_DATA", data.toString());
            String launcher = home.resolve("sluice").toString();
            CliBench.run(env, List.of(launcher, "create", "repo", "small"));
            CliBench.run(env, List.of(launcher, "create", "repo", "big"));
            CliBench.run(env, List.of(launcher, "create", "repo", "again"));
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("daemon", "-Xmx" + options.daemonHeap());
            long s1 = CliBench.run(env, List.of(launcher, "put", "file", "small@master:/", "-f", small.toString(), "-r"));
            long cpu0 = cpuNanos(daemon);
            long sn = CliBench.run(env, List.of(launcher, "put", "file", "big@master:/", "-f", big.toString(), "-r"));
            long cpu1 = cpuNanos(daemon);
            long rssAfterFirst = peakRss(daemon.pid());
            long heapAfterFirst = liveHeap(daemon.pid());
            perFile(f, s1, 1000, sn, options.files());
            // CPU time is what a loaded machine disturbs least: wall time there is mostly waiting for a core
            f.put("daemon CPU per file, the N files: us", CliBench.round((cpu1 - cpu0) / 1e3 / options.files()));
            f.put("daemon peak RSS after the first N: MiB", rssAfterFirst >> 10);
            f.put("daemon live heap after the first N (after a full GC): MiB", heapAfterFirst >> 20);
            int listed = Math.min(options.perDir(), options.files());
            long rssBeforeList = rss(daemon.pid());
            long[] listRss = {rssBeforeList};
            // VmHWM only grows, so the listing's own footprint is sampled while it runs
            Thread sampler = new Thread(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        listRss[0] = Math.max(listRss[0], rss(daemon.pid()));
                        Thread.sleep(200);
                    }
                } catch (IOException | InterruptedException stop) {
                    // the listing ended or the daemon is gone
                }
            }, "bench-rss");
            sampler.start();
            long list;
            try {
                list = CliBench.run(env, List.of(launcher, "list", "file", "big@master:/d0000/"));
            } finally {
                sampler.interrupt();
                sampler.join();
            }
            f.put("list file of a " + listed + "-file directory (the CLI follows the cursors): ms", CliBench.round(list / 1e6));
            f.put("daemon RSS before the listing: MiB", rssBeforeList >> 10);
            f.put("daemon RSS during the listing, highest sample: MiB", listRss[0] >> 10);
            if (options.again()) {
                long cpu2 = cpuNanos(daemon);
                long again = CliBench.run(env, List.of(launcher, "put", "file", "again@master:/", "-f", big.toString(), "-r"));
                long cpu3 = cpuNanos(daemon);
                f.put("the same " + options.files() + " files again (already stored): s", CliBench.round(again / 1e9));
                f.put("again: files/s", Math.round(options.files() / (again / 1e9)));
                f.put("daemon CPU per file, again: us", CliBench.round((cpu3 - cpu2) / 1e3 / options.files()));
            }
            f.put("daemon peak RSS: MiB", peakRss(daemon.pid()) >> 10);
            return f;
        } finally {
            daemon.destroy();
            if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
            }
        }
    }

    /** restic backup or git add + commit of both trees, timed the same way as the CLI. */
    private Map<String, Object> others(Path dir, Path small, Path big, boolean restic) throws Exception {
        Map<String, Object> f = new LinkedHashMap<>();
        String program = restic ? "restic" : "git";
        if (!CliBench.onPath(program)) {
            f.put("skipped", program + " is not installed (apt-get install " + program + ")");
            return f;
        }
        long[] ns = new long[2];
        Path[] trees = {small, big};
        for (int i = 0; i < 2; i++) {
            Path tree = trees[i];
            if (restic) {
                Path repo = dir.resolve("restic-" + i);
                Map<String, String> env = Map.of("RESTIC_PASSWORD", "bench", "RESTIC_REPOSITORY", repo.toString(),
                        "RESTIC_CACHE_DIR", dir.resolve("restic-cache-" + i).toString());
                CliBench.run(env, List.of("restic", "init", "-q"));
                ns[i] = CliBench.run(env, List.of("restic", "backup", "-q", tree.toString()));
            } else {
                // the repository beside the tree, not in it: the sluice runs put the same tree afterwards
                Map<String, String> env = Map.of("GIT_AUTHOR_NAME", "bench", "GIT_AUTHOR_EMAIL", "bench@localhost",
                        "GIT_COMMITTER_NAME", "bench", "GIT_COMMITTER_EMAIL", "bench@localhost",
                        "GIT_DIR", dir.resolve("git-" + i).toString(), "GIT_WORK_TREE", tree.toString());
                CliBench.run(env, List.of("git", "init", "-q"));
                CliBench.run(env, List.of("git", "config", "gc.auto", "0"));
                ns[i] = CliBench.run(env, List.of("sh", "-c", "cd '" + tree + "' && git add -A && git commit -q -m bench"));
            }
        }
        perFile(f, ns[0], 1000, ns[1], options.files());
        return f;
    }

    /** Keeps one part's figures and shows them on stderr at once: a run of many minutes reports as it goes. */
    private static void progress(String name, Map<String, Object> part, Map<String, Object> figures) {
        figures.put(name, part);
        System.err.println(name + ": " + part);
    }

    private static void perFile(Map<String, Object> f, long ns1, int n1, long nsN, int n) {
        f.put("1,000 files: s", CliBench.round(ns1 / 1e9));
        f.put(n + " files: s", CliBench.round(nsN / 1e9));
        f.put(n + " files: files/s", Math.round(n / (nsN / 1e9)));
        double c1 = ns1 / 1e3 / n1;
        double cn = nsN / 1e3 / n;
        f.put("per file at 1,000: us", CliBench.round(c1));
        f.put("per file at " + n + ": us", CliBench.round(cn));
        f.put("per file at " + n + " / at 1,000", CliBench.round(cn / c1));
    }

    /** Writes {@code n} files of seeded random bytes of the options' sizes and per directory; returns their bytes. */
    private long generate(Path root, int n, long seed) throws IOException {
        Random random = new Random(seed);
        byte[] buf = new byte[10 << 10];
        long total = 0;
        int perDir = options.perDir();
        for (int i = 0; i < n; i++) {
            Path d = root.resolve(String.format("d%04d", i / perDir));
            if (i % perDir == 0) {
                Files.createDirectories(d);
            }
            int size = options.maxBytes() > 0 ? 1 + random.nextInt(Math.min(options.maxBytes(), buf.length))
                    : 1024 + random.nextInt(9 * 1024 + 1);
            random.nextBytes(buf);
            Files.write(d.resolve(String.format("f%07d.bin", i)), size == buf.length ? buf : java.util.Arrays.copyOf(buf, size));
            total += size;
        }
        return total;
    }

    private void awaitHealth(Process daemon, String address, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!daemon.isAlive()) {
                throw new IOException("the daemon exited with " + daemon.exitValue() + " at start; see " + log);
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(address + "/api/v1/health")).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(100);
        }
        throw new IOException("the daemon did not answer within 120 s; see " + log);
    }

    /** The CPU time (user and system) a process has used so far, in ns; 0 where the system does not say. */
    private static long cpuNanos(Process p) {
        return p.info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    /** VmHWM of a process in KiB (0 where /proc does not say). */
    static long peakRss(long pid) throws IOException {
        return status(pid, "VmHWM:");
    }

    /** VmRSS of a process in KiB (0 where /proc does not say). */
    private static long rss(long pid) throws IOException {
        return status(pid, "VmRSS:");
    }

    private static long status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    /**
     * The bytes of live objects on a JVM's heap, from {@code jcmd PID GC.class_histogram} (which runs a full GC
     * first); -1 where jcmd is missing or says nothing.
     */
    private static long liveHeap(long pid) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            return -1;
        }
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.class_histogram")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(5, TimeUnit.MINUTES);
        for (String line : out.split("\n")) {
            String[] cols = line.trim().split("\\s+");
            if (cols.length == 3 && cols[0].equals("Total")) {
                return Long.parseLong(cols[2]);
            }
        }
        return -1;
    }


}
