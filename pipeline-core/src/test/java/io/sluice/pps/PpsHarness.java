package io.sluice.pps;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.Json;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.FileInfo;
import io.sluice.pfs.PfsService;
import io.sluice.runner.local.LocalJobRunner;
import io.sluice.storage.ObjectStores;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A real PfsService and PpsService with a local runner over one data directory, for tests. */
final class PpsHarness implements AutoCloseable {

    final Path dataDir;
    final PfsService pfs;
    final PpsService pps;

    PpsHarness(Path dataDir) {
        this(dataDir, null);
    }

    /** With the local runner's isolation forced ({@code null}: detected). */
    PpsHarness(Path dataDir, LocalJobRunner.Isolation isolation) {
        this.dataDir = dataDir;
        this.pfs = openPfs(dataDir);
        this.pps = new PpsService(dataDir, pfs, new LocalJobRunner(dataDir, List.of(), isolation));
        pps.start();
    }

    /** The pfs of a data dir alone (as when the daemon's pps is down). */
    static PfsService openPfs(Path dataDir) {
        try {
            return new PfsService(dataDir, ObjectStores.open("file:" + dataDir.resolve("objects"), dataDir));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Puts {@code files} (path to content) as one commit on {@code repo@master}. */
    CommitInfo commit(String repo, Map<String, String> files) {
        pfs.startCommit(repo, "master", "test", List.of());
        files.forEach((path, content) -> pfs.putFile(repo, "master", path,
                new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), false));
        return pfs.finishCommit(repo, "master");
    }

    /** Makes repo {@code repo} and pipeline {@code name} over it: each datum (a {@code glob} match) runs {@code sh -c script}. */
    PipelineInfo shPipeline(String name, String repo, String glob, String script) {
        pfs.createRepo(repo, "");
        ObjectNode spec = Json.mapper().createObjectNode();
        spec.putObject("pipeline").put("name", name);
        spec.putObject("transform").putArray("cmd").add("sh").add("-c").add(script);
        spec.putObject("input").putObject("pfs").put("repo", repo).put("glob", glob);
        return pps.createPipeline(spec.toString());
    }

    /** The job of {@code pipeline} whose inputs include {@code commitId}, once it has ended. */
    JobInfo jobFor(String pipeline, String commitId) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            for (JobInfo j : pps.listJob(pipeline)) {
                if (j.inputs().stream().anyMatch(c -> c.id().equals(commitId))) {
                    // generous: a loaded 2-core machine runs a 1,000-datum job in minutes, and this checks answers, not speed
                    return pps.waitJob(j.id(), Duration.ofSeconds(240));
                }
            }
            sleep(5);
        }
        throw new AssertionError("no job of " + pipeline + " for commit " + commitId);
    }

    /** Every file of a commit, path to content. */
    Map<String, String> files(String repo, String ref) {
        Map<String, String> out = new TreeMap<>();
        for (FileInfo f : pfs.globFile(repo, ref, "/**")) {
            if (f.type() == FileInfo.Type.FILE) {
                try (InputStream in = pfs.getFile(repo, ref, f.path(), 0, -1)) {
                    out.put(f.path(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return out;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        pps.close();
        pfs.close();
    }
}
