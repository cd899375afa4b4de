package io.sluice.pps;

import io.sluice.SluiceException;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.CommitRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PipelineIT {

    @TempDir
    Path tmp;
    PpsHarness h;

    @BeforeEach
    void up() {
        h = new PpsHarness(tmp.resolve("data"));
    }

    @AfterEach
    void down() {
        h.close();
    }

    private static String q(String json) {
        return json.replace('\'', '"');
    }

    private static String copySpec(String name, String repo, String glob) {
        return q("{'pipeline': {'name': '" + name + "'}, 'transform': {'cmd': ['sh', '-c', 'cp -r /pfs/" + repo
                + "/* /pfs/out/']}, 'input': {'pfs': {'repo': '" + repo + "', 'glob': '" + glob + "'}}}");
    }

    @Test
    void copyPipelineRunsOnEachCommitAndRecordsProvenance() {
        h.pfs.createRepo("in", "");
        PipelineInfo p = h.pps.createPipeline(copySpec("copy", "in", "/*"));
        assertThat(p.version()).isEqualTo(1);
        assertThat(p.state()).isEqualTo("PIPELINE_RUNNING");
        assertThat(h.pfs.inspectRepo("copy")).isNotNull();

        CommitInfo c1 = h.commit("in", Map.of("/a.txt", "alpha", "/b.txt", "beta"));
        JobInfo j1 = h.jobFor("copy", c1.id());
        assertThat(j1.state()).as(j1.reason()).isEqualTo(JobState.JOB_SUCCESS);
        assertThat(j1.inputs()).containsExactly(c1.ref());
        assertThat(j1.datumsTotal()).isEqualTo(2);
        assertThat(j1.datumsProcessed()).isEqualTo(2);
        assertThat(h.files("copy", j1.output().id())).isEqualTo(Map.of("/a.txt", "alpha", "/b.txt", "beta"));
        CommitInfo out = h.pfs.inspectCommit("copy", "master");
        assertThat(out.id()).isEqualTo(j1.output().id());
        assertThat(out.provenance()).containsExactly(c1.ref());
        assertThat(h.pps.listDatum(j1.id())).hasSize(2).allMatch(d -> d.state() == DatumState.SUCCESS);

        CommitInfo c2 = h.commit("in", Map.of("/c.txt", "gamma"));
        JobInfo j2 = h.jobFor("copy", c2.id());
        assertThat(j2.state()).isEqualTo(JobState.JOB_SUCCESS);
        assertThat(j2.datumsProcessed()).isEqualTo(1);
        assertThat(j2.datumsSkipped()).isEqualTo(2);
        assertThat(h.files("copy", "master")).isEqualTo(Map.of("/a.txt", "alpha", "/b.txt", "beta", "/c.txt", "gamma"));
        assertThat(h.pps.listJob("copy")).extracting(JobInfo::id).containsExactly(j2.id(), j1.id());
        assertThat(h.pps.inspectPipeline("copy").lastJobState()).isEqualTo(JobState.JOB_SUCCESS);

        h.pfs.deleteFile("in", "master", "/a.txt");
        CommitInfo c3 = h.pfs.inspectCommit("in", "master");
        JobInfo j3 = h.jobFor("copy", c3.id());
        assertThat(j3.datumsProcessed()).isZero();
        assertThat(h.files("copy", "master")).as("a deleted input's output goes too")
                .isEqualTo(Map.of("/b.txt", "beta", "/c.txt", "gamma"));
    }

    @Test
    void withoutNamespacesSecretFilesAreRefusedAtCreateInOneLine() {
        h.close();
        h = new PpsHarness(tmp.resolve("direct"), io.sluice.runner.local.LocalJobRunner.Isolation.PATH_REWRITE);
        h.pfs.createRepo("in", "");
        h.pps.secrets().create("{\"metadata\": {\"name\": \"creds\"}, \"stringData\": {\"token\": \"t\"}}");
        String spec = q("{'pipeline': {'name': 'p'}, 'input': {'pfs': {'repo': 'in', 'glob': '/'}},"
                + " 'transform': {'cmd': ['true'], 'secrets': [{'name': 'creds', 'key': 'token', 'env_var': 'T'},"
                + " {'name': 'creds', 'mount_path': '/tmp/creds'}]}}");
        assertThatThrownBy(() -> h.pps.createPipeline(spec)).isInstanceOf(io.sluice.SluiceException.class)
                .hasMessage("'transform.secrets[1].mount_path' cannot be run here: secret files need a private mount"
                        + " namespace for the datum, which this daemon cannot make (it needs root or CAP_SYS_ADMIN); use"
                        + " env_var with key");
        assertThat(h.pps.listPipeline()).isEmpty();
        h.pps.createPipeline(spec.replace(", {\"name\": \"creds\", \"mount_path\": \"/tmp/creds\"}", ""));
        assertThat(h.pps.listPipeline()).hasSize(1);
    }

    @Test
    void runsAPachydermSpecWithShellStdinAndEnvironment() {
        h.pfs.createRepo("images", "");
        CommitInfo c = h.commit("images", Map.of("/cat.png", "meow", "/dir/dog.png", "woof!"));
        h.pps.createPipeline(q("""
                {
                  "pipeline": {"name": "sizes"},
                  "description": "A pipeline that measures each image.",
                  "transform": {
                    "cmd": ["sh"],
                    "stdin": [
                      "set -e",
                      "for f in $(find /pfs/images -type f); do",
                      "  echo \\"$(basename $f) $(wc -c < $f) $UNIT\\" > /pfs/out/$(basename $f).size",
                      "done",
                      "echo processed $PACH_DATUM_ID from $images_COMMIT"
                    ],
                    "env": {"UNIT": "bytes"},
                    "image": "alpine:3"
                  },
                  "parallelism_spec": {"constant": 2},
                  "input": {"pfs": {"repo": "images", "glob": "/*"}}
                }"""));
        JobInfo j = h.jobFor("sizes", c.id());
        assertThat(j.state()).as(j.reason()).isEqualTo(JobState.JOB_SUCCESS);
        assertThat(h.files("sizes", "master"))
                .isEqualTo(Map.of("/cat.png.size", "cat.png 4 bytes\n", "/dog.png.size", "dog.png 5 bytes\n"));
        List<LogLine> logs = h.pps.logs("sizes", null, null);
        List<LogLine> stdout = logs.stream().filter(l -> "stdout".equals(l.stream())).toList();
        assertThat(stdout).hasSize(2);
        assertThat(stdout).extracting(LogLine::message).containsExactlyInAnyOrder(
                "processed " + stdout.get(0).datumId() + " from " + c.id(),
                "processed " + stdout.get(1).datumId() + " from " + c.id());
        String datum = stdout.get(0).datumId();
        assertThat(h.pps.logs(null, j.id(), datum)).extracting(LogLine::datumId).containsOnly(datum);
    }

    @Test
    void crossGivesEveryPairAndUnionEveryDatum() {
        h.pfs.createRepo("left", "");
        h.pfs.createRepo("right", "");
        h.commit("left", Map.of("/1", "one", "/2", "two"));
        CommitInfo r = h.commit("right", Map.of("/x", "ex", "/y", "why", "/z", "zed"));
        h.pps.createPipeline(q("""
                {"pipeline": {"name": "pairs"},
                 "transform": {"cmd": ["sh", "-c", "cat /pfs/left/* /pfs/right/* > /pfs/out/$(ls /pfs/left)$(ls /pfs/right)"]},
                 "input": {"cross": [{"pfs": {"repo": "left", "glob": "/*"}}, {"pfs": {"repo": "right", "glob": "/*"}}]}}"""));
        JobInfo j = h.jobFor("pairs", r.id());
        assertThat(j.state()).as(j.reason()).isEqualTo(JobState.JOB_SUCCESS);
        assertThat(j.datumsTotal()).isEqualTo(6);
        assertThat(h.files("pairs", "master")).containsEntry("/1x", "oneex").containsEntry("/2z", "twozed").hasSize(6);

        h.pps.createPipeline(q("""
                {"pipeline": {"name": "both"},
                 "transform": {"cmd": ["sh", "-c", "cp /pfs/in/* /pfs/out/"]},
                 "input": {"union": [{"pfs": {"repo": "left", "glob": "/*", "name": "in"}},
                                     {"pfs": {"repo": "right", "glob": "/*", "name": "in"}}]}}"""));
        JobInfo u = h.jobFor("both", r.id());
        assertThat(u.datumsTotal()).isEqualTo(5);
        assertThat(h.files("both", "master")).containsOnlyKeys("/1", "/2", "/x", "/y", "/z");
    }

    @Test
    void aFailingDatumIsRetriedThenFailsTheJobWithoutAnOutputCommit() {
        h.pfs.createRepo("in", "");
        h.pps.createPipeline(copySpec("copy", "in", "/*"));
        CommitInfo ok = h.commit("in", Map.of("/good", "1"));
        JobInfo first = h.jobFor("copy", ok.id());
        assertThat(first.state()).isEqualTo(JobState.JOB_SUCCESS);
        h.pps.createPipeline(("""
                {"pipeline": {"name": "picky"}, "datum_tries": 2,
                 "transform": {"cmd": ["sh", "-c", "if grep -q bad /pfs/copy/*; then echo 'no bad input please' >&2; exit 4; fi; cp /pfs/copy/* /pfs/out/"]},
                 "input": {"pfs": {"repo": "copy", "glob": "/*"}}}"""));
        h.pps.createPipeline(q("""
                {"pipeline": {"name": "after"}, "transform": {"cmd": ["sh", "-c", "cp /pfs/picky/* /pfs/out/"]},
                 "input": {"pfs": {"repo": "picky", "glob": "/"}}}"""));
        JobInfo pickyFirst = h.jobFor("picky", first.output().id());
        assertThat(pickyFirst.state()).isEqualTo(JobState.JOB_SUCCESS);
        CommitInfo pickyHead = h.pfs.inspectCommit("picky", "master");

        CommitInfo bad = h.commit("in", Map.of("/evil", "bad"));
        JobInfo copyJob = h.jobFor("copy", bad.id());
        JobInfo failed = h.jobFor("picky", copyJob.output().id());
        assertThat(failed.state()).isEqualTo(JobState.JOB_FAILURE);
        assertThat(failed.reason()).contains("failed after 2 attempts").contains("exited with code 4")
                .contains("no bad input please");
        assertThat(failed.output()).isNull();
        assertThat(h.pfs.inspectCommit("picky", "master").id()).as("no commit on the output branch")
                .isEqualTo(pickyHead.id());
        assertThat(h.pps.listDatum(failed.id())).anyMatch(d -> d.state() == DatumState.FAILED && d.attempts() == 2
                && d.error().contains("no bad input please"));
        assertThat(h.pps.logs(null, failed.id(), null)).filteredOn(l -> "stderr".equals(l.stream()))
                .extracting(LogLine::message).containsExactly("no bad input please", "no bad input please");
        JobInfo downstream = awaitState("after", JobState.JOB_UNRUNNABLE);
        assertThat(downstream.reason()).contains(failed.id()).contains("picky");
    }

    @Test
    void aFailedJobLeavesNoDatumRunningOrPending() {
        h.pfs.createRepo("in", "");
        h.pps.createPipeline("""
                {"pipeline": {"name": "brittle"}, "datum_tries": 1, "parallelism_spec": {"constant": 2},
                 "transform": {"cmd": ["sh", "-c", "if grep -q bad /pfs/in/*; then exit 1; fi; sleep 1; cp /pfs/in/* /pfs/out/"]},
                 "input": {"pfs": {"repo": "in", "glob": "/*"}}}""");
        Map<String, String> files = new java.util.TreeMap<>();
        files.put("/a-bad", "bad");
        for (int i = 0; i < 8; i++) {
            files.put("/f" + i, "ok " + i);
        }
        JobInfo failed = h.jobFor("brittle", h.commit("in", files).id());
        assertThat(failed.state()).isEqualTo(JobState.JOB_FAILURE);
        List<DatumInfo> datums = h.pps.listDatum(failed.id());
        assertThat(datums).hasSize(9).allMatch(d -> d.state().terminal(), "every datum ended with its job");
        assertThat(datums).filteredOn(d -> d.state() == DatumState.FAILED).hasSize(1);
        assertThat(datums).filteredOn(d -> d.state() == DatumState.KILLED).isNotEmpty();
    }

    @Test
    void provenanceChainsThroughTwoPipelines() {
        h.pfs.createRepo("raw", "");
        h.pps.createPipeline(copySpec("clean", "raw", "/*"));
        h.pps.createPipeline(q("""
                {"pipeline": {"name": "count"}, "transform": {"cmd": ["sh", "-c", "cat /pfs/clean/* | wc -l > /pfs/out/lines"]},
                 "input": {"pfs": {"repo": "clean", "glob": "/"}}}"""));
        CommitInfo c = h.commit("raw", Map.of("/a", "1\n2\n", "/b", "3\n"));
        JobInfo clean = h.jobFor("clean", c.id());
        JobInfo count = h.jobFor("count", clean.output().id());
        assertThat(count.state()).as(count.reason()).isEqualTo(JobState.JOB_SUCCESS);
        assertThat(h.files("count", "master").get("/lines").trim()).isEqualTo("3");
        CommitInfo out = h.pfs.inspectCommit("count", count.output().id());
        assertThat(out.provenance()).containsExactly(clean.output(), c.ref());
    }

    @Test
    void updateKeepsDatumsUnlessReprocessAndKeepsEverySpecVersion() {
        h.pfs.createRepo("in", "");
        h.pps.createPipeline(copySpec("copy", "in", "/*"));
        CommitInfo c = h.commit("in", Map.of("/a", "A", "/b", "B"));
        assertThat(h.jobFor("copy", c.id()).datumsProcessed()).isEqualTo(2);

        String v2 = q("{'pipeline': {'name': 'copy'}, 'description': 'v2', 'transform': {'cmd': ['sh', '-c', "
                + "'for f in /pfs/in/*; do tr A-Z a-z < $f > /pfs/out/$(basename $f); done']}, "
                + "'input': {'pfs': {'repo': 'in', 'glob': '/*'}}}");
        assertThat(h.pps.updatePipeline("copy", v2, false).version()).isEqualTo(2);
        JobInfo kept = awaitVersion("copy", 2);
        assertThat(kept.datumsSkipped()).isEqualTo(2);
        assertThat(h.files("copy", "master")).isEqualTo(Map.of("/a", "A", "/b", "B"));

        PipelineInfo v3 = h.pps.updatePipeline("copy", v2, true);
        assertThat(v3.version()).isEqualTo(3);
        assertThat(v3.description()).isEqualTo("v2");
        JobInfo redone = awaitVersion("copy", 3);
        assertThat(redone.datumsProcessed()).isEqualTo(2);
        assertThat(h.files("copy", "master")).isEqualTo(Map.of("/a", "a", "/b", "b"));
        assertThat(h.dataDir.resolve("pps/pipelines/copy/spec-1.json")).exists();
        assertThat(h.dataDir.resolve("pps/pipelines/copy/spec-3.json")).exists();
    }

    private JobInfo awaitVersion(String pipeline, int version) {
        for (int i = 0; i < 2000; i++) {
            for (JobInfo j : h.pps.listJob(pipeline)) {
                if (j.pipelineVersion() == version) {
                    return h.pps.waitJob(j.id(), Duration.ofSeconds(30));
                }
            }
            PpsHarness.sleep(5);
        }
        throw new AssertionError("no job of version " + version);
    }

    @Test
    void stopJobKillsTheRunningCommand() {
        h.pfs.createRepo("in", "");
        h.pps.createPipeline(q("{'pipeline': {'name': 'slow'}, 'transform': {'cmd': ['sh', '-c', 'sleep 30']},"
                + " 'input': {'pfs': {'repo': 'in', 'glob': '/'}}}"));
        CommitInfo c = h.commit("in", Map.of("/a", "1"));
        JobInfo running = awaitState("slow", JobState.JOB_RUNNING);
        long t0 = System.nanoTime();
        JobInfo killed = h.pps.stopJob(running.id());
        assertThat(killed.state()).isEqualTo(JobState.JOB_KILLED);
        // well short of the command's 30 s, however loaded the machine: the stop killed it, it did not wait
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(20_000);
        assertThat(killed.inputs()).containsExactly(c.ref());
        assertThat(h.pfs.inspectRepo("slow").branches()).doesNotContain("master");
        // the datum ends once its slot has killed and reaped what it ran, which on a busy machine takes a while
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline
                && !h.pps.listDatum(running.id()).stream().allMatch(d -> d.state() == DatumState.KILLED)) {
            PpsHarness.sleep(20);
        }
        assertThat(h.pps.listDatum(running.id())).extracting(DatumInfo::state).containsExactly(DatumState.KILLED);
    }

    private JobInfo awaitState(String pipeline, JobState state) {
        for (int i = 0; i < 2000; i++) {
            for (JobInfo j : h.pps.listJob(pipeline)) {
                if (j.state() == state) {
                    return j;
                }
            }
            PpsHarness.sleep(5);
        }
        throw new AssertionError("no " + state + " job of " + pipeline);
    }

    @Test
    void refusesBadPipelinesCreatingNothing() {
        h.pfs.createRepo("in", "");
        assertThatThrownBy(() -> h.pps.createPipeline(copySpec("p", "nowhere", "/*")))
                .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.NOT_FOUND))
                .hasMessageContaining("input repo 'nowhere'");
        assertThatThrownBy(() -> h.pps.createPipeline(copySpec("p", "in", "/[a-")))
                .isInstanceOf(SluiceException.class).hasMessageContaining("input.pfs.glob");
        assertThatThrownBy(() -> h.pps.createPipeline(copySpec("in", "in", "/*")))
                .isInstanceOf(SluiceException.class).hasMessageContaining("its own output");
        assertThat(h.pps.listPipeline()).isEmpty();
        assertThat(h.pfs.listRepos()).extracting(r -> r.name()).containsExactly("in");

        h.pps.createPipeline(copySpec("a", "in", "/*"));
        h.pps.createPipeline(copySpec("b", "a", "/*"));
        assertThatThrownBy(() -> h.pps.createPipeline(copySpec("a", "in", "/")))
                .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.CONFLICT));
        assertThatThrownBy(() -> h.pps.updatePipeline("a", copySpec("a", "b", "/*"), false))
                .isInstanceOf(SluiceException.class).hasMessageContaining("cycle");
        assertThat(h.pps.inspectPipeline("a").version()).isEqualTo(1);
        h.pfs.createRepo("taken", "");
        assertThatThrownBy(() -> h.pps.createPipeline(copySpec("taken", "in", "/*")))
                .isInstanceOf(SluiceException.class).hasMessageContaining("repo 'taken' already exists");
        assertThatThrownBy(() -> h.pps.deletePipeline("a")).isInstanceOf(SluiceException.class)
                .hasMessageContaining("pipeline 'b' reads repo 'a'");
        h.pps.deletePipeline("b");
        h.pps.deletePipeline("a");
        assertThat(h.pps.listPipeline()).isEmpty();
        assertThat(h.pfs.listRepos()).extracting(r -> r.name()).containsExactlyInAnyOrder("in", "taken");
    }

    @Test
    void stoppedPipelineCatchesUpWhenStarted() {
        h.pfs.createRepo("in", "");
        h.pps.createPipeline(copySpec("copy", "in", "/*"));
        h.pps.stopPipeline("copy");
        CommitInfo c = h.commit("in", Map.of("/a", "1"));
        PpsHarness.sleep(200);
        assertThat(h.pps.listJob("copy")).isEmpty();
        assertThat(h.pps.startPipeline("copy").state()).isEqualTo("PIPELINE_RUNNING");
        assertThat(h.jobFor("copy", c.id()).state()).isEqualTo(JobState.JOB_SUCCESS);
    }

    @Test
    void commitsLandingWhileAJobRunsEachGetTheirJobInOrder() {
        h.shPipeline("slowcopy", "in", "/", "sleep 0.2; cp /pfs/in/* /pfs/out/");
        Map<String, CommitInfo> commits = new LinkedHashMap<>();
        for (int i = 0; i < 4; i++) {
            commits.put("/f" + i, h.commit("in", Map.of("/f" + i, "v" + i)));
        }
        CommitInfo last = commits.get("/f3");
        JobInfo lastJob = h.jobFor("slowcopy", last.id());
        assertThat(lastJob.state()).isEqualTo(JobState.JOB_SUCCESS);
        List<JobInfo> all = h.pps.listJob("slowcopy");
        assertThat(all).hasSize(4).allMatch(j -> j.state() == JobState.JOB_SUCCESS);
        List<String> expected = new java.util.ArrayList<>(commits.values().stream().map(CommitInfo::id).toList());
        java.util.Collections.reverse(expected);
        assertThat(all.stream().map(j -> j.inputs().get(0).id()).toList()).isEqualTo(expected);
        List<CommitInfo> outs = h.pfs.listCommit("slowcopy", "master", 10);
        assertThat(outs).hasSize(4);
        assertThat(outs.get(0).provenance()).containsExactly(new CommitRef("in", "master", last.id()));
    }
}
