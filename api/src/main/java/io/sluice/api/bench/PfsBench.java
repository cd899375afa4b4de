package io.sluice.api.bench;

import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.FileBatch;
import io.sluice.pfs.FileInfo;
import io.sluice.pfs.PfsService;
import io.sluice.storage.ObjectStore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The measurements behind {@code sluice bench ingest}, on a scratch directory it owns: put of a random
 * file against {@code sha256sum} and {@code cp} of the same file, the storage a re-put and an append add,
 * and the latency of listing many commits and many files (warm, and cold after reopening the repos).
 * Returns an ordered map the CLI prints as JSON.
 */
public final class PfsBench {

    /** How big to make each part; {@link #FULL} is what the README reports, tests use tiny ones. */
    public record Sizes(long fileBytes, long appendBytes, int commits, int files) {
        /** 1 GiB file, 1 MiB append, 10,000 commits, 100,000 files. */
        public static final Sizes FULL = new Sizes(1L << 30, 1L << 20, 10_000, 100_000);
    }

    private final Sizes sizes;

    public PfsBench(Sizes sizes) {
        this.sizes = sizes;
    }

    /**
     * Runs every measurement with repos under {@code workDir/data} and chunks in {@code store} (which
     * should be empty or at least not shared with a live daemon: the bench creates and deletes repos).
     */
    public Map<String, Object> run(Path workDir, ObjectStore store) throws IOException, InterruptedException {
        Path dataDir = workDir.resolve("data");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("benchmark", "ingest");
        out.put("store", store.uri());
        out.put("cores", Runtime.getRuntime().availableProcessors());
        out.put("max_heap_mib", Runtime.getRuntime().maxMemory() >> 20);
        try (PfsService pfs = new PfsService(dataDir, store)) {
            ingest(pfs, workDir, dataDir, out);
            listCommits(pfs, out);
            listFiles(pfs, out);
        }
        try (PfsService cold = timed(out, "reopen_ms", () -> new PfsService(dataDir, store))) {
            out.put("list_commit_cold_ms", millis(() -> cold.listCommit("bench-commits", "master", 0)));
            out.put("list_file_cold_ms", millis(() -> cold.listFile("bench-files", "master", "/")));
        }
        return out;
    }

    private void ingest(PfsService pfs, Path workDir, Path dataDir, Map<String, Object> out)
            throws IOException, InterruptedException {
        Path file = workDir.resolve("random.bin");
        writeRandom(file, sizes.fileBytes(), 42);
        double mib = sizes.fileBytes() / (double) (1 << 20);
        out.put("file_mib", mib);

        long t = System.nanoTime();
        String shaSum = sha256sum(file);
        double shaSeconds = seconds(t);
        out.put("sha256sum_mib_s", shaSum == null ? null : round(mib / shaSeconds));

        Path copy = workDir.resolve("random.copy");
        t = System.nanoTime();
        boolean copied = run("cp", file.toString(), copy.toString()) != null;
        double cpSeconds = seconds(t);
        Files.deleteIfExists(copy);
        out.put("cp_mib_s", copied ? round(mib / cpSeconds) : null);

        pfs.createRepo("bench-ingest", "sluice bench ingest");
        long stored0 = pfs.storedBytes();
        t = System.nanoTime();
        try (InputStream in = Files.newInputStream(file)) {
            pfs.putFile("bench-ingest", "master", "/random.bin", in, false);
        }
        double putSeconds = seconds(t);
        out.put("put_mib_s", round(mib / putSeconds));
        out.put("put_vs_sha256sum", shaSum == null ? null : round(shaSeconds / putSeconds));
        out.put("put_stored_bytes", pfs.storedBytes() - stored0);

        MessageDigest md = sha256();
        t = System.nanoTime();
        try (InputStream in = new DigestInputStream(pfs.getFile("bench-ingest", "master", "/random.bin", 0, -1), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        out.put("get_mib_s", round(mib / seconds(t)));
        out.put("get_matches_sha256sum", shaSum == null ? null : shaSum.equals(HexFormat.of().formatHex(md.digest())));

        Path repoDir = dataDir.resolve("pfs/bench-ingest.git");
        long stored = pfs.storedBytes();
        long git = du(repoDir);
        try (InputStream in = Files.newInputStream(file)) {
            pfs.putFile("bench-ingest", "master", "/again.bin", in, false);
        }
        out.put("reput_new_chunk_bytes", pfs.storedBytes() - stored);
        out.put("reput_new_git_bytes", du(repoDir) - git);

        stored = pfs.storedBytes();
        git = du(repoDir);
        Path tail = workDir.resolve("append.bin");
        writeRandom(tail, sizes.appendBytes(), 43);
        try (InputStream in = Files.newInputStream(tail)) {
            pfs.putFile("bench-ingest", "master", "/again.bin", in, true);
        }
        out.put("append_mib", sizes.appendBytes() / (double) (1 << 20));
        out.put("append_new_chunk_bytes", pfs.storedBytes() - stored);
        out.put("append_new_git_bytes", du(repoDir) - git);
        out.put("append_size_ok", pfs.inspectFile("bench-ingest", "master", "/again.bin").size()
                == sizes.fileBytes() + sizes.appendBytes());
        Files.deleteIfExists(file);
        Files.deleteIfExists(tail);
    }

    private void listCommits(PfsService pfs, Map<String, Object> out) {
        pfs.createRepo("bench-commits", "sluice bench ingest: many commits");
        long t = System.nanoTime();
        for (int i = 0; i < sizes.commits(); i++) {
            pfs.putFile("bench-commits", "master", "/c" + (i % 100), small("commit " + i), false);
        }
        out.put("commits", sizes.commits());
        out.put("commits_build_s", round(seconds(t)));
        List<CommitInfo> log = pfs.listCommit("bench-commits", "master", 0);
        out.put("list_commit_count_ok", log.size() == sizes.commits());
        out.put("list_commit_ms", millis(() -> pfs.listCommit("bench-commits", "master", 0)));
    }

    private void listFiles(PfsService pfs, Map<String, Object> out) {
        pfs.createRepo("bench-files", "sluice bench ingest: many files");
        long t = System.nanoTime();
        try (FileBatch batch = pfs.openBatch("bench-files", "master")) {
            for (int i = 0; i < sizes.files(); i++) {
                batch.put("/f" + i, small("file " + i), false);
            }
            batch.commit();
        }
        out.put("files", sizes.files());
        out.put("files_build_s", round(seconds(t)));
        List<FileInfo> files = pfs.listFile("bench-files", "master", "/");
        out.put("list_file_count_ok", files.size() == sizes.files());
        out.put("list_file_ms", millis(() -> pfs.listFile("bench-files", "master", "/")));
    }

    private static InputStream small(String s) {
        return new ByteArrayInputStream((s + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} pseudo-random (incompressible, non-repeating) bytes. */
    private static void writeRandom(Path file, long bytes, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        byte[] buf = new byte[1 << 20];
        try (OutputStream os = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; ) {
                for (int i = 0; i < buf.length; i += 8) {
                    long v = random.nextLong();
                    for (int k = 0; k < 8; k++) {
                        buf[i + k] = (byte) (v >>> (8 * k));
                    }
                }
                int n = (int) Math.min(left, buf.length);
                os.write(buf, 0, n);
                left -= n;
            }
        }
    }

    private static String sha256sum(Path file) throws IOException, InterruptedException {
        String output = run("sha256sum", file.toString());
        return output == null ? null : output.split("\\s+")[0];
    }

    /** Runs a command; its stdout, or null when it is not installed or fails. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException notInstalled) {
            return null;
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            return null;
        }
        return output;
    }

    private static long du(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private interface Timed<T> {
        T call() throws IOException;
    }

    private static <T> T timed(Map<String, Object> out, String key, Timed<T> call) throws IOException {
        long t = System.nanoTime();
        T result = call.call();
        out.put(key, round((System.nanoTime() - t) / 1e6));
        return result;
    }

    private static double millis(Runnable call) {
        long t = System.nanoTime();
        call.run();
        return round((System.nanoTime() - t) / 1e6);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
