package io.sluice.api;

import io.sluice.pfs.PfsService;
import io.sluice.pps.DatumInfo;
import io.sluice.pps.DatumState;
import io.sluice.pps.JobInfo;
import io.sluice.pps.JobState;
import io.sluice.pps.PpsService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The transform and job-control fields of a Pachyderm spec, created with the CLI against a real daemon and
 * enforced where a datum runs: accept_return_code, err_cmd/err_stdin, datum_timeout, job_timeout,
 * datum_tries, working_dir and reprocess_spec.
 */
class TransformControlIT {
    private static final Duration JOB_WAIT = Duration.ofSeconds(120);

    @TempDir
    static Path dir;
    static TestDaemon daemon;
    static PfsService pfs;
    static PpsService pps;

    @BeforeAll
    static void start() throws IOException {
        daemon = new TestDaemon(dir.resolve("data"));
        pfs = daemon.daemon.pfs();
        pps = daemon.daemon.pps();
    }

    @AfterAll
    static void stop() throws IOException {
        daemon.close();
    }

    private static void create(String name, String spec) throws IOException {
        Path file = dir.resolve(name + ".json");
        Files.writeString(file, spec);
        TestDaemon.Run run = daemon.cli("create", "pipeline", "-f", file.toString());
        assertThat(run.code()).as("create pipeline %s: %s", name, run.err()).isZero();
    }

    private static void commit(String repo, Map<String, String> files) {
        daemon.commit(repo, "master", files);
    }

    /** Waits until the pipeline has {@code n} jobs, all ended; returns them, newest first. */
    private static List<JobInfo> ended(String pipeline, int n) throws InterruptedException {
        Instant deadline = Instant.now().plus(JOB_WAIT);
        while (Instant.now().isBefore(deadline)) {
            List<JobInfo> jobs = pps.listJob(pipeline);
            if (jobs.size() >= n && jobs.stream().allMatch(j -> j.state().terminal())) {
                return jobs;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(pipeline + " did not end " + n + " jobs in " + JOB_WAIT + ": " + pps.listJob(pipeline));
    }

    private static Map<String, String> output(String pipeline) throws IOException {
        return daemon.output(pipeline);
    }

    private static Map<String, DatumState> states(JobInfo job) {
        Map<String, DatumState> out = new TreeMap<>();
        for (DatumInfo d : pps.listDatum(job.id())) {
            out.put(String.join(",", d.files()), d.state());
        }
        return out;
    }

    @Test
    void acceptedReturnCodesSucceedAndOthersFail() throws Exception {
        commit("codes", Map.of("/a.txt", "A"));
        create("exit3", """
                {"pipeline": {"name": "exit3"}, "input": {"pfs": {"repo": "codes", "glob": "/*"}},
                 "transform": {"cmd": ["sh", "-c", "cp /pfs/codes/* /pfs/out/; exit 3"], "acceptReturnCode": [3, 5]}}
                """);
        create("exit4", """
                {"pipeline": {"name": "exit4"}, "input": {"pfs": {"repo": "codes", "glob": "/*"}}, "datum_tries": 1,
                 "transform": {"cmd": ["sh", "-c", "cp /pfs/codes/* /pfs/out/; exit 4"], "accept_return_code": [3, 5]}}
                """);
        assertThat(ended("exit3", 1).get(0).state()).isEqualTo(JobState.JOB_SUCCESS);
        assertThat(output("exit3")).containsExactly(Map.entry("/a.txt", "A"));
        JobInfo failed = ended("exit4", 1).get(0);
        assertThat(failed.state()).isEqualTo(JobState.JOB_FAILURE);
        assertThat(failed.reason()).contains("exited with code 4");
    }

    @Test
    void errCmdExitingZeroRecoversTheDatumAndTheJobSucceedsWithoutItsOutput() throws Exception {
        commit("mixed", Map.of("/good.txt", "fine", "/bad.txt", "bad"));
        create("recover", """
                {"pipeline": {"name": "recover"}, "input": {"pfs": {"repo": "mixed", "glob": "/*"}}, "datum_tries": 2,
                 "transform": {"cmd": ["sh", "-c", "cp /pfs/mixed/* /pfs/out/; ! grep -q bad /pfs/mixed/*"],
                               "err_cmd": ["sh"], "err_stdin": ["echo recovering $PACH_DATUM_ID >&2", "test -f /pfs/mixed/bad.txt"]}}
                """);
        create("unrecovered", """
                {"pipeline": {"name": "unrecovered"}, "input": {"pfs": {"repo": "mixed", "glob": "/*"}}, "datum_tries": 1,
                 "transform": {"cmd": ["sh", "-c", "! grep -q bad /pfs/mixed/*"], "errCmd": ["sh", "-c", "exit 7"]}}
                """);
        JobInfo job = ended("recover", 1).get(0);
        assertThat(job.state()).as(job.reason()).isEqualTo(JobState.JOB_SUCCESS);
        assertThat(output("recover")).as("a recovered datum adds nothing").containsExactly(Map.entry("/good.txt", "fine"));
        assertThat(states(job)).containsExactly(Map.entry("mixed:/bad.txt", DatumState.RECOVERED),
                Map.entry("mixed:/good.txt", DatumState.SUCCESS));
        assertThat(pps.listDatum(job.id()).stream().filter(d -> d.state() == DatumState.RECOVERED).findFirst()
                .orElseThrow().attempts()).as("datum_tries still applies").isEqualTo(2);
        assertThat(pps.logs("recover", job.id(), null)).anyMatch(l -> l.message().startsWith("recovering "));

        create("slow_err_cmd", """
                {"pipeline": {"name": "slow_err_cmd"}, "input": {"pfs": {"repo": "mixed", "glob": "/bad.txt"}},
                 "datum_tries": 1, "datum_timeout": "1s",
                 "transform": {"cmd": ["false"], "err_cmd": ["sleep", "615.5"]}}
                """);
        JobInfo slow = ended("slow_err_cmd", 1).get(0);
        assertThat(slow.state()).isEqualTo(JobState.JOB_FAILURE);
        assertThat(slow.reason()).contains("err_cmd [sleep, 615.5] was killed: the datum timed out after 1s");
        awaitGone("615.5");

        JobInfo other = ended("unrecovered", 1).get(0);
        assertThat(other.state()).isEqualTo(JobState.JOB_FAILURE);
        assertThat(other.reason()).contains("err_cmd [sh, -c, exit 7] exited with code 7");
    }

    @Test
    void datumOverItsTimeoutIsKilledWithEverythingItStarted() throws Exception {
        commit("slow", Map.of("/a.txt", "A"));
        create("datum_timeout", """
                {"pipeline": {"name": "datum_timeout"}, "input": {"pfs": {"repo": "slow", "glob": "/*"}},
                 "datum_tries": 1, "datum_timeout": "1s",
                 "transform": {"cmd": ["sh", "-c", "sleep 613.77 & sleep 613.78"]}}
                """);
        JobInfo job = ended("datum_timeout", 1).get(0);
        assertThat(job.state()).isEqualTo(JobState.JOB_FAILURE);
        assertThat(job.reason()).contains("datum timed out after 1s (datum_timeout)");
        assertThat(Duration.between(job.started(), job.finished())).isLessThan(Duration.ofSeconds(60));
        assertThat(states(job).values()).containsExactly(DatumState.FAILED);
        awaitGone("613.77");
        awaitGone("613.78");
    }

    @Test
    void jobOverItsTimeoutIsKilledAndEveryDatumEnds() throws Exception {
        commit("slowjob", Map.of("/a.txt", "A", "/b.txt", "B", "/c.txt", "C"));
        create("job_timeout", """
                {"pipeline": {"name": "job_timeout"}, "input": {"pfs": {"repo": "slowjob", "glob": "/*"}},
                 "job_timeout": "2s", "transform": {"cmd": ["sh", "-c", "sleep 614.5"]}}
                """);
        JobInfo job = ended("job_timeout", 1).get(0);
        assertThat(job.state()).as("Pachyderm kills a job over its job_timeout").isEqualTo(JobState.JOB_KILLED);
        assertThat(job.reason()).contains("job timed out after 2s (job_timeout)");
        assertThat(states(job).values()).allMatch(DatumState::terminal).contains(DatumState.KILLED);
        awaitGone("614.5");
    }

    @Test
    void failedAttemptsAreRetriedUpToDatumTries() throws Exception {
        // a place outside the daemon's data dir and the datum's private /tmp where attempts can be counted, and
        // not in the checkout, which may sit in a directory the datum's unprivileged user cannot search
        Path shm = Path.of("/dev/shm");
        Path counts = Files.createTempDirectory(Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                : TestDaemon.HOME.resolve("api/target"), "sluice-tries-");
        Files.setPosixFilePermissions(counts, PosixFilePermissions.fromString("rwxrwxrwx"));
        commit("flaky", Map.of("/a.txt", "A"));
        String cmd = "echo x >> COUNTS/$PIPE; test $(wc -l < COUNTS/$PIPE) -ge 3 && cp /pfs/flaky/a.txt /pfs/out/";
        for (String[] p : new String[][] {{"tries3", "3"}, {"tries2", "2"}}) {
            create(p[0], """
                    {"pipeline": {"name": "%s"}, "input": {"pfs": {"repo": "flaky", "glob": "/*"}}, "datumTries": %s,
                     "transform": {"cmd": ["sh", "-c", "%s"], "env": {"PIPE": "%s"}}}
                    """.formatted(p[0], p[1], cmd.replace("COUNTS", counts.toString()), p[0]));
        }
        JobInfo three = ended("tries3", 1).get(0);
        assertThat(three.state()).as(three.reason()).isEqualTo(JobState.JOB_SUCCESS);
        assertThat(pps.listDatum(three.id()).get(0).attempts()).isEqualTo(3);
        assertThat(output("tries3")).containsExactly(Map.entry("/a.txt", "A"));
        JobInfo two = ended("tries2", 1).get(0);
        assertThat(two.state()).isEqualTo(JobState.JOB_FAILURE);
        assertThat(two.reason()).contains("failed after 2 attempts");
        assertThat(Files.readAllLines(counts.resolve("tries2"))).hasSize(2);
        for (String f : List.of("tries3", "tries2")) {
            Files.deleteIfExists(counts.resolve(f));
        }
        Files.delete(counts);
    }

    @Test
    void userCodeStartsInWorkingDir() throws Exception {
        commit("wd", Map.of("/data.txt", "hello"));
        create("workdir", """
                {"pipeline": {"name": "workdir"}, "input": {"pfs": {"repo": "wd", "glob": "/"}},
                 "transform": {"cmd": ["sh", "-c", "cat data.txt > /pfs/out/copy.txt; basename $(pwd) > /pfs/out/pwd"],
                               "working_dir": "/pfs/wd"}}
                """);
        create("baddir", """
                {"pipeline": {"name": "baddir"}, "input": {"pfs": {"repo": "wd", "glob": "/"}}, "datum_tries": 1,
                 "transform": {"cmd": ["true"], "workingDir": "/no/such/dir"}}
                """);
        JobInfo job = ended("workdir", 1).get(0);
        assertThat(job.state()).as(job.reason()).isEqualTo(JobState.JOB_SUCCESS);
        assertThat(output("workdir")).containsExactly(Map.entry("/copy.txt", "hello"), Map.entry("/pwd", "wd\n"));
        JobInfo bad = ended("baddir", 1).get(0);
        assertThat(bad.state()).isEqualTo(JobState.JOB_FAILURE);
        assertThat(bad.reason()).contains("working_dir /no/such/dir does not exist");
    }

    @Test
    void everyJobReprocessesDatumsThatSucceededBefore() throws Exception {
        commit("again", Map.of("/a.txt", "A"));
        create("every_job", """
                {"pipeline": {"name": "every_job"}, "input": {"pfs": {"repo": "again", "glob": "/*"}},
                 "reprocess_spec": "every_job", "transform": {"cmd": ["sh", "-c", "cp /pfs/again/* /pfs/out/"]}}
                """);
        create("until_success", """
                {"pipeline": {"name": "until_success"}, "input": {"pfs": {"repo": "again", "glob": "/*"}},
                 "reprocessSpec": "until_success", "transform": {"cmd": ["sh", "-c", "cp /pfs/again/* /pfs/out/"]}}
                """);
        ended("every_job", 1);
        ended("until_success", 1);
        commit("again", Map.of("/b.txt", "B"));
        JobInfo every = ended("every_job", 2).get(0);
        JobInfo until = ended("until_success", 2).get(0);
        assertThat(every.state()).isEqualTo(JobState.JOB_SUCCESS);
        assertThat(every.datumsSkipped()).isZero();
        assertThat(every.datumsProcessed()).isEqualTo(2);
        assertThat(until.datumsSkipped()).isEqualTo(1);
        assertThat(output("every_job")).containsExactly(Map.entry("/a.txt", "A"), Map.entry("/b.txt", "B"));
    }

    @Test
    void aCronTriggerMovesTheInputBranchOnItsSchedule() throws Exception {
        daemon.commit("ticked", "staging", Map.of("/a.txt", "A"));
        create("on_schedule", """
                {"pipeline": {"name": "on_schedule"}, "transform": {"cmd": ["sh", "-c", "cp /pfs/ticked/* /pfs/out/"]},
                 "input": {"pfs": {"repo": "ticked", "glob": "/*", "trigger": {"branch": "staging", "cronSpec": "@every 1s"}}}}
                """);
        assertThat(ended("on_schedule", 1).get(0).state()).isEqualTo(JobState.JOB_SUCCESS);
        assertThat(output("on_schedule")).containsExactly(Map.entry("/a.txt", "A"));
        daemon.commit("ticked", "staging", Map.of("/b.txt", "B"));
        assertThat(ended("on_schedule", 2).get(0).state()).isEqualTo(JobState.JOB_SUCCESS);
        assertThat(output("on_schedule")).containsExactly(Map.entry("/a.txt", "A"), Map.entry("/b.txt", "B"));
        assertThat(pfs.listCommit("ticked", "master", 1).get(0).id())
                .isEqualTo(pfs.listCommit("ticked", "staging", 1).get(0).id());
    }

    /** Waits until no process on the host has {@code marker} in its command line. */
    private static void awaitGone(String marker) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        List<String> left = List.of();
        while (Instant.now().isBefore(deadline)) {
            left = running(marker);
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("processes still running: " + left);
    }

    private static List<String> running(String marker) throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).map(p -> {
                try {
                    return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                } catch (IOException e) {
                    return "";
                }
            }).filter(c -> c.contains("sleep " + marker)).toList();
        }
    }
}
