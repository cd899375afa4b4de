package io.sluice.api;

import io.sluice.pps.DatumInfo;
import io.sluice.pps.DatumState;
import io.sluice.pps.JobInfo;
import io.sluice.pps.JobState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

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
    @RegisterExtension
    static final ClassDaemon daemon = new ClassDaemon();

    private static void create(String name, String spec) throws IOException {
        Path file = daemon.dir().resolve(name + ".json");
        Files.writeString(file, spec);
        daemon.ok("create", "pipeline", "-f", file.toString());
    }

    private static void commit(String repo, Map<String, String> files) {
        daemon.commit(repo, "master", files);
    }

    /** Waits until the pipeline has {@code n} jobs, all ended; returns them, newest first. */
    private static List<JobInfo> ended(String pipeline, int n) throws InterruptedException {
        return daemon.awaitJobs(pipeline, "end " + n + " jobs",
                jobs -> jobs.size() >= n && jobs.stream().allMatch(j -> j.state().terminal()));
    }

    /** The pipeline's only job once it has ended, checked to have succeeded. */
    private static JobInfo succeeded(String pipeline) throws InterruptedException {
        JobInfo job = ended(pipeline, 1).get(0);
        assertThat(job.state()).as(job.reason()).isEqualTo(JobState.JOB_SUCCESS);
        return job;
    }

    /** The pipeline's only job once it has ended, checked to have failed for a reason containing {@code reason}. */
    private static JobInfo failed(String pipeline, String reason) throws InterruptedException {
        JobInfo job = ended(pipeline, 1).get(0);
        assertThat(job.state()).as(job.reason()).isEqualTo(JobState.JOB_FAILURE);
        assertThat(job.reason()).contains(reason);
        return job;
    }

    private static Map<String, DatumState> states(JobInfo job) {
        Map<String, DatumState> out = new TreeMap<>();
        for (DatumInfo d : daemon.pps().listDatum(job.id())) {
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
        succeeded("exit3");
        assertThat(daemon.output("exit3")).containsExactly(Map.entry("/a.txt", "A"));
        failed("exit4", "exited with code 4");
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
        JobInfo job = succeeded("recover");
        assertThat(daemon.output("recover")).as("a recovered datum adds nothing").containsExactly(Map.entry("/good.txt", "fine"));
        assertThat(states(job)).containsExactly(Map.entry("mixed:/bad.txt", DatumState.RECOVERED),
                Map.entry("mixed:/good.txt", DatumState.SUCCESS));
        assertThat(daemon.pps().listDatum(job.id()).stream().filter(d -> d.state() == DatumState.RECOVERED).findFirst()
                .orElseThrow().attempts()).as("datum_tries still applies").isEqualTo(2);
        assertThat(daemon.pps().logs("recover", job.id(), null)).anyMatch(l -> l.message().startsWith("recovering "));
        // counted as Pachyderm's data_recovered, not as processed
        assertThat(List.of(job.datumsProcessed(), job.datumsSkipped(), job.datumsRecovered(), job.datumsFailed(),
                job.datumsTotal())).containsExactly(1L, 0L, 1L, 0L, 2L);
        assertThat(daemon.json("inspect", "job", job.id(), "-o", "json").path("datumsRecovered").asLong()).isEqualTo(1);
        assertThat(daemon.ok("list", "job", "-p", "recover").out()).contains("DATUMS (done/skipped/recovered/failed/total)")
                .contains("1/0/1/0/2");

        create("slow_err_cmd", """
                {"pipeline": {"name": "slow_err_cmd"}, "input": {"pfs": {"repo": "mixed", "glob": "/bad.txt"}},
                 "datum_tries": 1, "datum_timeout": "1s",
                 "transform": {"cmd": ["false"], "err_cmd": ["sleep", "615.5"]}}
                """);
        failed("slow_err_cmd", "err_cmd [sleep, 615.5] was killed: the datum timed out after 1s");
        awaitGone("615.5");

        failed("unrecovered", "err_cmd [sh, -c, exit 7] exited with code 7");
    }

    @Test
    void datumOverItsTimeoutIsKilledWithEverythingItStarted() throws Exception {
        commit("slow", Map.of("/a.txt", "A"));
        create("datum_timeout", """
                {"pipeline": {"name": "datum_timeout"}, "input": {"pfs": {"repo": "slow", "glob": "/*"}},
                 "datum_tries": 1, "datum_timeout": "1s",
                 "transform": {"cmd": ["sh", "-c", "sleep 613.77 & sleep 613.78"]}}
                """);
        JobInfo job = failed("datum_timeout", "datum timed out after 1s (datum_timeout)");
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
        JobInfo three = succeeded("tries3");
        assertThat(daemon.pps().listDatum(three.id()).get(0).attempts()).isEqualTo(3);
        assertThat(daemon.output("tries3")).containsExactly(Map.entry("/a.txt", "A"));
        failed("tries2", "failed after 2 attempts");
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
        JobInfo job = succeeded("workdir");
        assertThat(daemon.output("workdir")).containsExactly(Map.entry("/copy.txt", "hello"), Map.entry("/pwd", "wd\n"));
        failed("baddir", "working_dir /no/such/dir does not exist");
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
        assertThat(daemon.output("every_job")).containsExactly(Map.entry("/a.txt", "A"), Map.entry("/b.txt", "B"));
    }

    @Test
    void aCronTriggerMovesTheInputBranchOnItsSchedule() throws Exception {
        daemon.commit("ticked", "staging", Map.of("/a.txt", "A"));
        create("on_schedule", """
                {"pipeline": {"name": "on_schedule"}, "transform": {"cmd": ["sh", "-c", "cp /pfs/ticked/* /pfs/out/"]},
                 "input": {"pfs": {"repo": "ticked", "glob": "/*", "trigger": {"branch": "staging", "cronSpec": "@every 1s"}}}}
                """);
        succeeded("on_schedule");
        assertThat(daemon.output("on_schedule")).containsExactly(Map.entry("/a.txt", "A"));
        daemon.commit("ticked", "staging", Map.of("/b.txt", "B"));
        assertThat(ended("on_schedule", 2).get(0).state()).isEqualTo(JobState.JOB_SUCCESS);
        assertThat(daemon.output("on_schedule")).containsExactly(Map.entry("/a.txt", "A"), Map.entry("/b.txt", "B"));
        assertThat(daemon.pfs().listCommit("ticked", "master", 1).get(0).id())
                .isEqualTo(daemon.pfs().listCommit("ticked", "staging", 1).get(0).id());
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
