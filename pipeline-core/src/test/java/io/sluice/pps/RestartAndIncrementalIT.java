package io.sluice.pps;

import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.PfsService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RestartAndIncrementalIT {

    @TempDir
    Path tmp;

    private static String q(String json) {
        return json.replace('\'', '"');
    }

    @Test
    void aJobRunningWhenTheDaemonStopsRunsAgainAfterRestartAndMissedCommitsGetJobs() {
        Path data = tmp.resolve("data");
        String jobId;
        CommitInfo first;
        try (PpsHarness h = new PpsHarness(data)) {
            h.shPipeline("slow", "in", "/*", "sleep 1; cp /pfs/in/* /pfs/out/");
            first = h.commit("in", Map.of("/a", "A"));
            JobInfo running = null;
            for (int i = 0; i < 2000 && running == null; i++) {
                running = h.pps.listJob("slow").stream().filter(j -> j.state() == JobState.JOB_RUNNING).findFirst()
                        .orElse(null);
                PpsHarness.sleep(5);
            }
            assertThat(running).isNotNull();
            jobId = running.id();
        }
        // while the daemon is down another commit lands
        CommitInfo missed;
        try (PfsService pfs = PpsHarness.openPfs(data)) {
            pfs.startCommit("in", "master", "", List.of());
            pfs.putFile("in", "master", "/b", new ByteArrayInputStream("B".getBytes(StandardCharsets.UTF_8)), false);
            missed = pfs.finishCommit("in", "master");
        }
        try (PpsHarness h = new PpsHarness(data)) {
            JobInfo again = h.pps.waitJob(jobId, Duration.ofSeconds(30));
            assertThat(again.state()).as(again.reason()).isEqualTo(JobState.JOB_SUCCESS);
            assertThat(again.inputs().get(0).id()).isEqualTo(first.id());
            JobInfo caughtUp = h.jobFor("slow", missed.id());
            assertThat(caughtUp.state()).isEqualTo(JobState.JOB_SUCCESS);
            assertThat(caughtUp.datumsSkipped()).isEqualTo(1);
            assertThat(h.files("slow", "master")).isEqualTo(Map.of("/a", "A", "/b", "B"));
            assertThat(h.pps.listJob("slow")).hasSize(2);
        }
    }

    @Test
    void aJobRunAgainAfterARestartHasOnlyWhatIsLeftOfItsJobTimeout() {
        Path data = tmp.resolve("data");
        JobInfo running = null;
        try (PpsHarness h = new PpsHarness(data)) {
            h.pfs.createRepo("in", "");
            // 6 s of work fits a fresh 10 s job_timeout, but not the at most 5 s left after the restart below
            h.pps.createPipeline(q("{'pipeline': {'name': 'timed'}, 'job_timeout': '10s', 'datum_tries': 1,"
                    + " 'transform': {'cmd': ['sh', '-c', 'sleep 6; cp /pfs/in/* /pfs/out/']},"
                    + " 'input': {'pfs': {'repo': 'in', 'glob': '/*'}}}"));
            h.commit("in", Map.of("/a", "A"));
            for (int i = 0; i < 2000 && running == null; i++) {
                running = h.pps.listJob("timed").stream().filter(j -> j.state() == JobState.JOB_RUNNING).findFirst()
                        .orElse(null);
                PpsHarness.sleep(5);
            }
            assertThat(running).isNotNull();
            PpsHarness.sleep(5_000);
        }
        try (PpsHarness h = new PpsHarness(data)) {
            JobInfo again = h.pps.waitJob(running.id(), Duration.ofSeconds(60));
            assertThat(again.state()).as(again.reason()).isEqualTo(JobState.JOB_KILLED);
            assertThat(again.reason()).contains("job timed out after 10s (job_timeout)");
            assertThat(again.started()).as("the job keeps its first start").isEqualTo(running.started());
        }
    }

    @Test
    void everyCommitThatLandedWhileTheDaemonWasDownGetsItsOwnJobInOrder() {
        Path data = tmp.resolve("data");
        try (PpsHarness h = new PpsHarness(data)) {
            h.shPipeline("copy", "in", "/*", "cp /pfs/in/* /pfs/out/");
            CommitInfo first = h.commit("in", Map.of("/a", "A"));
            assertThat(h.jobFor("copy", first.id()).state()).isEqualTo(JobState.JOB_SUCCESS);
        }
        List<CommitInfo> missed = new java.util.ArrayList<>();
        try (PfsService pfs = PpsHarness.openPfs(data)) {
            for (String name : List.of("b", "c", "d")) {
                pfs.startCommit("in", "master", "", List.of());
                pfs.putFile("in", "master", "/" + name, new ByteArrayInputStream(name.getBytes(StandardCharsets.UTF_8)),
                        false);
                missed.add(pfs.finishCommit("in", "master"));
            }
        }
        try (PpsHarness h = new PpsHarness(data)) {
            List<JobInfo> jobs = new java.util.ArrayList<>();
            for (CommitInfo c : missed) {
                JobInfo j = h.jobFor("copy", c.id());
                assertThat(j.state()).as(j.reason()).isEqualTo(JobState.JOB_SUCCESS);
                assertThat(j.datumsProcessed()).isEqualTo(1);
                jobs.add(j);
            }
            assertThat(jobs).extracting(JobInfo::created).isSorted();
            assertThat(h.pps.listJob("copy")).hasSize(4);
            assertThat(h.files("copy", "master")).isEqualTo(Map.of("/a", "A", "/b", "b", "/c", "c", "/d", "d"));
        }
    }

    @Test
    void aThousandFilesThenOneMoreProcessesOneDatumAndSkipsTheRest() {
        try (PpsHarness h = new PpsHarness(tmp.resolve("data"))) {
            h.shPipeline("copy", "many", "/*", "cp /pfs/many/* /pfs/out/");
            Map<String, String> files = new java.util.TreeMap<>();
            for (int i = 0; i < 1000; i++) {
                files.put(String.format("/f%04d", i), "file " + i + "\n");
            }
            CommitInfo big = h.commit("many", files);
            JobInfo first = h.jobFor("copy", big.id());
            assertThat(first.state()).as(first.reason()).isEqualTo(JobState.JOB_SUCCESS);
            assertThat(first.datumsProcessed()).isEqualTo(1000);
            CommitInfo one = h.commit("many", Map.of("/extra", "one more"));
            JobInfo next = h.jobFor("copy", one.id());
            assertThat(next.datumsProcessed()).isEqualTo(1);
            assertThat(next.datumsSkipped()).isEqualTo(1000);
            Map<String, String> out = h.files("copy", "master");
            assertThat(out).hasSize(1001).containsEntry("/extra", "one more").containsEntry("/f0999", "file 999\n");
            assertThat(h.pps.listDatum(next.id())).filteredOn(d -> d.state() == DatumState.SKIPPED).hasSize(1000);
        }
    }

    @Test
    void incrementalPipelineSeesItsPreviousOutputReadOnlyAtPfsPrev() {
        try (PpsHarness h = new PpsHarness(tmp.resolve("data"))) {
            h.pfs.createRepo("nums", "");
            h.pps.createPipeline(q("{'pipeline': {'name': 'total'}, 'incremental': true, 'transform': {'cmd': ['sh', '-c', "
                    + "'prev=0; [ -f /pfs/prev/sum ] && prev=$(cat /pfs/prev/sum); "
                    + "echo $((prev + $(cat /pfs/nums/*))) > /pfs/out/sum; touch /pfs/prev/x 2>/dev/null && echo writable >&2 || true']},"
                    + " 'input': {'pfs': {'repo': 'nums', 'glob': '/'}}}"));
            CommitInfo c1 = h.commit("nums", Map.of("/n", "5"));
            assertThat(h.jobFor("total", c1.id()).state()).isEqualTo(JobState.JOB_SUCCESS);
            assertThat(h.files("total", "master")).isEqualTo(Map.of("/sum", "5\n"));
            CommitInfo c2 = h.commit("nums", Map.of("/n", "7"));
            JobInfo j2 = h.jobFor("total", c2.id());
            assertThat(j2.state()).as(j2.reason()).isEqualTo(JobState.JOB_SUCCESS);
            assertThat(h.files("total", "master")).isEqualTo(Map.of("/sum", "12\n"));
            assertThat(h.pps.logs(null, j2.id(), null)).noneMatch(l -> l.message().equals("writable"));
        }
    }

    @Test
    void aTickRepoLeftByACrashBeforeItsPipelineWasRecordedIsDeletedAtStartAndNoOtherRepo() {
        Path data = tmp.resolve("data");
        String description = "cron ticks of pipeline gone (@every 1m)";
        try (PpsHarness h = new PpsHarness(data)) {
            h.pps.createPipeline(q("{'pipeline': {'name': 'clock'}, 'transform': {'cmd': ['true']},"
                    + " 'input': {'cron': {'name': 'tick', 'spec': '@every 1h'}}}"));
            h.pfs.createRepo("plain", "cron ticks are not in here");
            // a user's repo that looks exactly like a tick repo, by name pattern and description
            h.pfs.createRepo("mine_tick", description);
            // the states a kill -9 leaves between making a cron input's tick repo and saving the spec naming it:
            // right after the repo was made, and after its creation time was recorded too
            TickRepoRecords records = new TickRepoRecords(data.resolve("pps/tick-repos"));
            records.making("gone_tick");
            h.pfs.createRepo("gone_tick", description);
            records.making("gone_too_tick");
            records.made("gone_too_tick", h.pfs.createRepo("gone_too_tick", description).created());
            // and one recorded, deleted, then made again by a user: the record is of another repo
            records.made("again_tick", h.pfs.createRepo("again_tick", description).created());
            h.pfs.deleteRepo("again_tick");
            h.pfs.createRepo("again_tick", description);
        }
        try (PpsHarness h = new PpsHarness(data)) {
            List<String> repos = h.pfs.listRepos().stream().map(r -> r.name()).toList();
            List<String> clockTicks = h.pfs.listRepos().stream()
                    .filter(r -> r.description().startsWith("cron ticks of pipeline clock ")).map(r -> r.name()).toList();
            assertThat(clockTicks).as("the tick repo clock reads").hasSize(1);
            assertThat(repos).contains("clock", clockTicks.get(0), "plain", "mine_tick", "again_tick")
                    .doesNotContain("gone_tick", "gone_too_tick");
        }
        try (PpsHarness h = new PpsHarness(data)) {
            assertThat(h.pfs.listRepos().stream().map(r -> r.name()))
                    .as("a second start deletes nothing more").contains("mine_tick", "again_tick").hasSize(5);
        }
    }
}
