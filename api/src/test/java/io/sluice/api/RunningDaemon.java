package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.Json;
import io.sluice.api.server.Daemon;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.FileBatch;
import io.sluice.pfs.FileInfo;
import io.sluice.pfs.PfsService;
import io.sluice.pps.JobInfo;
import io.sluice.pps.PpsService;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/** A daemon a test drives: the CLI against its address, its services, and the checks every CLI test makes. */
interface RunningDaemon {
    /** How long a test waits for a pipeline's jobs: generous, since a loaded 2-core machine starts JVMs slowly. */
    Duration JOB_WAIT = Duration.ofSeconds(120);

    /** The embedded daemon. */
    Daemon daemon();

    /** Its base URL, {@code http://127.0.0.1:port}. */
    String address();

    default PfsService pfs() {
        return daemon().pfs();
    }

    default PpsService pps() {
        return daemon().pps();
    }

    default TestDaemon.Run cli(String... args) {
        return cli(new byte[0], args);
    }

    default TestDaemon.Run cli(byte[] stdin, String... args) {
        return TestDaemon.cli(address(), stdin, args);
    }

    /** Runs {@code sluice args} and asserts it exited 0, naming the command and its stderr if not. */
    default TestDaemon.Run ok(String... args) {
        TestDaemon.Run run = cli(args);
        assertThat(run.code()).as("sluice %s: %s", String.join(" ", args), run.err()).isZero();
        return run;
    }

    /** Runs {@code sluice args} and asserts it failed as a user mistake must: exit 1, one readable line, no trace. */
    default TestDaemon.Run fails(String... args) {
        TestDaemon.Run run = cli(args);
        assertThat(run.code()).as("sluice %s should fail", String.join(" ", args)).isEqualTo(1);
        assertThat(run.err().strip().lines().count()).as("one readable line: %s", run.err()).isEqualTo(1);
        assertThat(run.err()).startsWith("sluice: ").doesNotContain("Exception").doesNotContain("\tat ");
        return run;
    }

    /** The JSON {@code sluice args} printed, after asserting it exited 0. */
    default JsonNode json(String... args) throws IOException {
        return Json.mapper().readTree(ok(args).out());
    }

    /** One commit on {@code repo@branch} (the repo made when missing) putting {@code files} and deleting {@code gone}. */
    default CommitInfo commit(String repo, String branch, Map<String, String> files, String... gone) {
        PfsService pfs = pfs();
        if (pfs.listRepos().stream().noneMatch(r -> r.qualified().equals(repo))) {
            pfs.createRepo(repo, "");
        }
        try (FileBatch b = pfs.openBatch(repo, branch)) {
            for (String g : gone) {
                b.delete(g);
            }
            files.forEach((p, c) -> b.put(p, new ByteArrayInputStream(c.getBytes(StandardCharsets.UTF_8)), false));
            return b.commit();
        }
    }

    /** Every file of the head of {@code repo@master}: path -> content. */
    default Map<String, String> output(String repo) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (FileInfo f : pfs().globFile(repo, "master", "/**")) {
            if (f.type() == FileInfo.Type.FILE) {
                try (InputStream in = pfs().getFile(repo, "master", f.path(), 0, -1)) {
                    out.put(f.path(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }

    /**
     * Polls the jobs of {@code pipeline} (newest first) until {@code done} accepts them, for up to {@link #JOB_WAIT};
     * {@code done} may throw to fail at once. {@code what} completes "pipeline did not ..." in the timeout message.
     */
    default List<JobInfo> awaitJobs(String pipeline, String what, Predicate<List<JobInfo>> done)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(JOB_WAIT);
        while (Instant.now().isBefore(deadline)) {
            List<JobInfo> jobs = pps().listJob(pipeline);
            if (done.test(jobs)) {
                return jobs;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("pipeline " + pipeline + " did not " + what + " in " + JOB_WAIT + ": "
                + pps().listJob(pipeline));
    }
}
