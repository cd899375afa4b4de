package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.Json;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.PfsService;
import io.sluice.pps.JobInfo;
import io.sluice.pps.JobState;
import io.sluice.pps.PpsService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Pachyderm-format pipeline specs of every input shape, in both spellings, as JSON, YAML and jsonnet
 * (api/src/test/resources/specs), created with the CLI against a real daemon and run end to end: each test
 * checks the output bytes of the first job and of a later one.
 */
class PachydermSpecsIT {
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

    private static Path spec(String name) {
        return TestDaemon.HOME.resolve("api/src/test/resources/specs/" + name);
    }

    private static TestDaemon.Run ok(String... args) {
        TestDaemon.Run run = daemon.cli(args);
        assertThat(run.code()).as("sluice %s: %s", String.join(" ", args), run.err()).isZero();
        return run;
    }

    /** One commit on {@code repo@branch} putting {@code files} (path, content) and deleting {@code gone}. */
    private static CommitInfo commit(String repo, String branch, Map<String, String> files, String... gone) {
        return daemon.commit(repo, branch, files, gone);
    }

    /** Waits until the pipeline has {@code n} successful jobs (fails on a failed one); returns the newest. */
    private static JobInfo jobs(String pipeline, int n) throws InterruptedException {
        Instant deadline = Instant.now().plus(JOB_WAIT);
        while (Instant.now().isBefore(deadline)) {
            List<JobInfo> jobs = pps.listJob(pipeline);
            for (JobInfo j : jobs) {
                if (j.state() == JobState.JOB_FAILURE || j.state() == JobState.JOB_UNRUNNABLE) {
                    fail("job %s of %s ended %s: %s", j.id(), pipeline, j.state(), j.reason());
                }
            }
            List<JobInfo> done = jobs.stream().filter(j -> j.state() == JobState.JOB_SUCCESS).toList();
            boolean busy = jobs.stream().anyMatch(j -> !j.state().terminal());
            if (done.size() >= n && !busy) {
                return done.get(0);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("pipeline " + pipeline + " did not get " + n + " successful jobs in " + JOB_WAIT
                + ": " + pps.listJob(pipeline));
    }

    /** Every file of the pipeline's output head: path -> content. */
    private static Map<String, String> output(String pipeline) throws IOException {
        return daemon.output(pipeline);
    }

    @Test
    void groupByCaptureGroupInCamelCaseJson() throws Exception {
        commit("results", "master", Map.of("/T1-CLIA24D0.txt", "a\n", "/T2-CLIA24D0.txt", "b\n", "/T3-CLIA99X1.txt", "c\n"));
        TestDaemon.Run created = ok("create", "pipeline", "-f", spec("group-by-lab.json").toString());
        assertThat(created.err()).as("the local runner's one-line warning").contains("warning: the local runner runs "
                + "transform.cmd on this host").hasLineCount(1);
        jobs("by_lab", 1);
        assertThat(output("by_lab")).containsExactly(Map.entry("/24D0/all.txt", "a\nb\n"), Map.entry("/99X1/all.txt", "c\n"));

        commit("results", "master", Map.of("/T4-CLIA99X1.txt", "d\n", "/T5-CLIA7Q.txt", "e\n"));
        JobInfo second = jobs("by_lab", 2);
        assertThat(second.datumsSkipped()).as("group 24D0 is unchanged").isEqualTo(1);
        assertThat(output("by_lab")).containsExactly(Map.entry("/24D0/all.txt", "a\nb\n"),
                Map.entry("/7Q/all.txt", "e\n"), Map.entry("/99X1/all.txt", "c\nd\n"));
        JsonNode datums = Json.mapper().readTree(ok("list", "datum", second.id(), "-o", "json").out());
        assertThat(datums.findValuesAsText("state")).containsExactlyInAnyOrder("SUCCESS", "SUCCESS", "SKIPPED");
        assertThat(datums.toString()).contains("results:/T3-CLIA99X1.txt", "results:/T4-CLIA99X1.txt");
        assertThat(ok("inspect", "pipeline", "by_lab", "-o", "json").out()).contains("\"group_by\"").doesNotContain("groupBy");
    }

    @Test
    void innerJoinInSnakeCaseYaml() throws Exception {
        commit("stores", "master", Map.of("/store-1.txt", "North", "/store-2.txt", "South"));
        commit("orders", "master", Map.of("/order-a-store1.txt", "apples", "/order-b-store2.txt", "bread",
                "/order-c-store9.txt", "nobody's"));
        ok("create", "pipeline", "-f", spec("join-orders.yaml").toString());
        jobs("order_lines", 1);
        assertThat(output("order_lines")).containsExactly(Map.entry("/order-a-store1.txt", "North apples\n"),
                Map.entry("/order-b-store2.txt", "South bread\n"));

        commit("orders", "master", Map.of("/order-d-store1.txt", "dates"));
        JobInfo second = jobs("order_lines", 2);
        assertThat(second.datumsSkipped()).isEqualTo(2);
        assertThat(output("order_lines")).containsExactly(Map.entry("/order-a-store1.txt", "North apples\n"),
                Map.entry("/order-b-store2.txt", "South bread\n"), Map.entry("/order-d-store1.txt", "North dates\n"));
    }

    @Test
    void outerJoinFromAJsonnetTemplateWithAnArgument() throws Exception {
        commit("shops", "master", Map.of("/store-1.txt", "North", "/store-2.txt", "South"));
        commit("returns", "master", Map.of("/return-store1.txt", "r1", "/return-store5.txt", "r5"));
        ok("create", "pipeline", "--jsonnet", spec("outer-join.jsonnet").toString(), "--arg", "suffix=x");
        jobs("returns_x", 1);
        Map<String, String> first = output("returns_x");
        assertThat(first).containsEntry("/1.txt", "Northr1").containsEntry("/5.txt", "no-store\nr5")
                .containsEntry("/2.txt", "Southno-return\n");

        commit("returns", "master", Map.of("/return-store2.txt", "r2"));
        jobs("returns_x", 2);
        assertThat(output("returns_x")).containsEntry("/2.txt", "Southr2").containsEntry("/1.txt", "Northr1")
                .containsEntry("/5.txt", "no-store\nr5");
        // update from the same template: a new version, nothing to reprocess
        ok("update", "pipeline", "--jsonnet", spec("outer-join.jsonnet").toString(), "--arg", "suffix=x");
        assertThat(pps.inspectPipeline("returns_x").version()).isEqualTo(2);
    }

    @Test
    void cronTicksAreCommitsToTheTickRepoAndRunCronMakesOne() throws Exception {
        ok("create", "pipeline", "-f", spec("cron-overwrite.json").toString());
        assertThat(pfs.listRepos()).extracting(r -> r.name()).contains("ticker_tick");
        // @every 1h from 2020: the daemon makes the one latest missed tick, not one per missed hour
        jobs("ticker", 1);
        assertThat(output("ticker")).containsEntry("/count", "1\n");
        String firstTick = output("ticker").get("/names").strip();
        assertThat(firstTick).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:00:00Z");

        Thread.sleep(1100); // a new second: run cron names its tick by the time, to the second
        TestDaemon.Run run = ok("run", "cron", "ticker");
        assertThat(run.out()).contains("ticker_tick");
        jobs("ticker", 2);
        Map<String, String> second = output("ticker");
        assertThat(second).containsEntry("/count", "1\n");
        assertThat(second.get("/names").strip()).as("overwrite keeps only the newest tick").isNotEqualTo(firstTick)
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(pfs.listFile("ticker_tick", "master", "/")).hasSize(1);
        assertThat(daemon.cli("run", "cron", "nosuch").code()).isEqualTo(1);
    }

    @Test
    void cronEveryTwoSecondsTicksByItselfAndKeepsEveryTick() throws Exception {
        ok("create", "pipeline", "-f", spec("cron-every.yaml").toString());
        jobs("heartbeat", 2);
        ok("stop", "pipeline", "heartbeat");
        int beats = Integer.parseInt(output("heartbeat").get("/beats").strip());
        assertThat(beats).as("without overwrite every tick stays").isGreaterThanOrEqualTo(2);
        ok("delete", "pipeline", "heartbeat");
        assertThat(pfs.listRepos()).extracting(r -> r.name()).doesNotContain("heartbeat", "heartbeat_beat");
    }

    @Test
    void crossOfUnionWithDatumEnvironmentAndASecret() throws Exception {
        commit("left", "dev", Map.of("/1", "L1"));
        commit("a", "master", Map.of("/x", "AX"));
        commit("b", "master", Map.of("/y", "BY"));
        assertThat(daemon.cli("create", "pipeline", "-f", spec("cross-union-env.yaml").toString()).err())
                .contains("no secret 'api-token'");
        ok("create", "secret", "-f", spec("api-token.yaml").toString());
        assertThat(ok("list", "secret").out()).contains("api-token").doesNotContain("s3cr3t");
        Path stored = dir.resolve("data/pps/secrets/api-token.json");
        assertThat(Files.getPosixFilePermissions(stored)).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        TestDaemon.Run created = ok("create", "pipeline", "-f", spec("cross-union-env.yaml").toString());
        assertThat(created.err()).contains("GPU resources are reported");
        JobInfo first = jobs("pairs", 1);
        Map<String, String> out = output("pairs");
        assertThat(out).containsEntry("/1-x", "L1 AX s3cr3t\n").containsEntry("/1-y", "L1 BY s3cr3t\n");
        String leftCommit = pfs.listCommit("left", "dev", 1).get(0).id();
        assertThat(out.get("/1-x").length()).isPositive();
        assertThat(out.get("/1-x.env").lines().toList()).startsWith(first.id(), first.id(), leftCommit, "/pfs/left/1");

        commit("left", "dev", Map.of("/2", "L2"));
        JobInfo second = jobs("pairs", 2);
        assertThat(second.datumsSkipped()).isEqualTo(2);
        assertThat(output("pairs")).containsEntry("/2-y", "L2 BY s3cr3t\n").containsEntry("/1-x", "L1 AX s3cr3t\n")
                .hasSize(8);
        JsonNode spec = Json.mapper().readTree(ok("inspect", "pipeline", "pairs", "-o", "json").out()).path("spec");
        assertThat(spec.path("resource_requests").path("gpu").path("number").asInt()).isEqualTo(1);
        assertThat(spec.path("datum_timeout").asText()).isEqualTo("60s");
        assertThat(spec.path("transform").path("secrets").get(0).path("env_var").asText()).isEqualTo("TOKEN");
    }

    @Test
    void secretKeysAreFilesUnderMountPathAndImagePullSecretsAreAccepted() throws Exception {
        commit("rows", "master", Map.of("/r1", "alpha"));
        assertThat(daemon.cli("create", "pipeline", "-f", spec("secret-files.json").toString()).err())
                .contains("no secret 'db-creds'");
        ok("create", "secret", "-f", spec("db-creds.yaml").toString());
        TestDaemon.Run created = daemon.cli("create", "pipeline", "-f", spec("secret-files.json").toString());
        String gap = daemon.daemon.runner().secretFilesGap();
        if (!gap.isEmpty()) {
            // a daemon without namespaces cannot keep the files to the datum: refused, in one line
            assertThat(created.code()).isEqualTo(1);
            assertThat(created.err()).contains("'transform.secrets[0].mount_path' cannot be run here").hasLineCount(1);
            return;
        }
        assertThat(created.code()).as(created.err()).isZero();
        assertThat(created.err()).contains("does not pull transform.image 'registry.example/query:1' (so"
                + " transform.image_pull_secrets go unused)").hasLineCount(1);
        jobs("row_owners", 1);
        assertThat(output("row_owners")).containsExactly(Map.entry("/r1", "alpha reporter@db.internal:5432\n"));
        commit("rows", "master", Map.of("/r2", "beta"));
        JobInfo second = jobs("row_owners", 2);
        assertThat(second.datumsSkipped()).isEqualTo(1);
        assertThat(output("row_owners")).containsExactly(Map.entry("/r1", "alpha reporter@db.internal:5432\n"),
                Map.entry("/r2", "beta reporter@db.internal:5432\n"));
        JsonNode spec = Json.mapper().readTree(ok("inspect", "pipeline", "row_owners", "-o", "json").out()).path("spec");
        assertThat(spec.path("transform").path("secrets").get(0).path("mount_path").asText()).isEqualTo("/tmp/dbsecret");
        assertThat(spec.path("transform").path("image_pull_secrets").get(0).asText()).isEqualTo("regcred");
    }

    @Test
    void aTemplateReturningTwoSpecsMakesAChainOfPipelines() throws Exception {
        commit("labs", "master", Map.of("/T1-CLIA24D0.txt", "a\n", "/T2-CLIA24D0.txt", "b\nb2\n", "/T3-CLIA99X1.txt", "c\n"));
        ok("create", "pipeline", "--jsonnet", spec("lab-and-total.jsonnet").toString(), "--arg", "suffix=t");
        jobs("total_t", 1);
        assertThat(output("total_t")).containsEntry("/24D0.count", "3\n").containsEntry("/99X1.count", "1\n");
        commit("labs", "master", Map.of("/T9-CLIA99X1.txt", "z\nz\n"));
        jobs("lab_t", 2);
        jobs("total_t", 2);
        assertThat(output("total_t")).containsEntry("/24D0.count", "3\n").containsEntry("/99X1.count", "3\n");
    }

    @Test
    void twoYamlDocumentsScratchThroughTmp() throws Exception {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            rows.append("row").append(i).append('\n');
        }
        commit("raw", "master", Map.of("/data.csv", rows.toString()));
        ok("create", "pipeline", "-f", spec("split-and-count.yaml").toString());
        jobs("split_sizes", 1);
        assertThat(output("split_sizes")).containsExactly(Map.entry("/test", "2\n"), Map.entry("/train", "8\n"));
        commit("raw", "master", Map.of("/data.csv", rows + "row10\nrow11\n"));
        jobs("split_sizes", 2);
        Map<String, String> split = output("split");
        assertThat(split.get("/train.csv").lines()).hasSize(8);
        assertThat(split.get("/test.csv").lines()).hasSize(2);
    }

    @Test
    void wordCountMergesSharedPathsAndItsReduceStartsFromAnEmptyTmpOnEveryJob() throws Exception {
        commit("pages", "master", Map.of("/p1", "the cat sat on the mat\n", "/p2", "the dog\n"));
        ok("create", "pipeline", "-f", spec("word-count.json").toString());
        jobs("totals", 1);
        assertThat(output("words").get("/the").lines().sorted().toList()).as("one count per page").containsExactly("1", "2");
        assertThat(output("totals")).containsExactly(Map.entry("/cat", "1\n"), Map.entry("/dog", "1\n"),
                Map.entry("/mat", "1\n"), Map.entry("/on", "1\n"), Map.entry("/sat", "1\n"), Map.entry("/the", "3\n"));

        commit("pages", "master", Map.of("/p3", "the cat ran\n"));
        JobInfo words = jobs("words", 2);
        assertThat(words.datumsProcessed()).as("p3, and p1 and p2 again: they share /the with it").isEqualTo(3);
        jobs("totals", 2);
        // a /tmp kept from the first job would double every count here
        assertThat(output("totals")).containsExactly(Map.entry("/cat", "2\n"), Map.entry("/dog", "1\n"),
                Map.entry("/mat", "1\n"), Map.entry("/on", "1\n"), Map.entry("/ran", "1\n"), Map.entry("/sat", "1\n"),
                Map.entry("/the", "4\n"));
    }

    @Test
    void shufflePassesInputFilesThroughBySymlinkSharingTheirChunks() throws Exception {
        commit("photos", "master", Map.of("/apple.img", "APPLE-PIXELS\n".repeat(5000)));
        commit("prices", "master", Map.of("/apple.price", "{\"price\": 3}\n"));
        ok("create", "pipeline", "-f", spec("shuffle.yaml").toString());
        jobs("by_name", 1);
        assertThat(output("by_name")).containsExactly(Map.entry("/apple/photo", "APPLE-PIXELS\n".repeat(5000)),
                Map.entry("/apple/price", "{\"price\": 3}\n"));

        commit("photos", "master", Map.of("/mango.img", "MANGO\n"));
        commit("prices", "master", Map.of("/mango.price", "{\"price\": 5}\n"));
        jobs("by_name", 3);
        assertThat(output("by_name")).containsExactly(Map.entry("/apple/photo", "APPLE-PIXELS\n".repeat(5000)),
                Map.entry("/apple/price", "{\"price\": 3}\n"), Map.entry("/mango/photo", "MANGO\n"),
                Map.entry("/mango/price", "{\"price\": 5}\n"));
        assertThat(pfs.inspectFile("by_name", "master", "/apple/photo").hash())
                .isEqualTo(pfs.inspectFile("photos", "master", "/apple.img").hash());
    }

    @Test
    void aTriggerMovesTheInputBranchEverySecondCommit() throws Exception {
        commit("incoming", "staging", Map.of("/0", ""));
        ok("create", "pipeline", "-f", spec("trigger-every-two.json").toString());
        commit("incoming", "staging", Map.of("/1", "")); // two commits on staging, none on master yet: fires
        jobs("batched", 1);
        assertThat(output("batched")).containsEntry("/seen", "0 1 ");
        assertThat(pfs.listCommit("incoming", "master", 1).get(0).id())
                .isEqualTo(pfs.listCommit("incoming", "staging", 1).get(0).id());
        commit("incoming", "staging", Map.of("/2", ""));
        Thread.sleep(500);
        assertThat(pps.listJob("batched")).as("one commit since the trigger fired: not yet").hasSize(1);
        commit("incoming", "staging", Map.of("/3", ""));
        jobs("batched", 2);
        assertThat(output("batched")).containsEntry("/seen", "0 1 2 3 ");
    }

    @Test
    void badSpecsAreRefusedInOneLineAndCreateNothing() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"pipeline\": {\"name\": \"bad\"},\n \"transform\": {\"cmd\": [\"x\"], \"imagee\": \"i\"},\n"
                + " \"input\": {\"pfs\": {\"repo\": \"nowhere\", \"glob\": \"/\", \"jion_on\": \"x\"}}, \"spout\": {}}");
        TestDaemon.Run run = daemon.cli("create", "pipeline", "-f", bad.toString());
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err().strip()).hasLineCount(1).contains("2 unknown fields: 'transform.imagee' at line 2, column 30; "
                + "'input.pfs.jion_on' at line 3, column 52");
        Files.writeString(bad, "{\"pipeline\": {\"name\": \"bad\"}, \"transform\": {\"cmd\": [\"x\"]}, "
                + "\"input\": {\"pfs\": {\"repo\": \"r\", \"glob\": \"/\"}}, \"service\": {\"type\": \"NodePort\"}}");
        assertThat(daemon.cli("create", "pipeline", "-f", bad.toString()).err().strip())
                .isEqualTo("sluice: Sluice does not run service pipelines (service) yet");
        Files.writeString(bad, "{\"pipeline\": {\"name\": \"bad\"} } trailing");
        assertThat(daemon.cli("create", "pipeline", "-f", bad.toString()).err().strip())
                .startsWith("sluice: the pipeline spec is not valid JSON at line 1, column ").doesNotContain("Source", "code");
        Path template = dir.resolve("bad.jsonnet");
        Files.writeString(template, "function(x) { a: x + }");
        assertThat(daemon.cli("create", "pipeline", "--jsonnet", template.toString(), "--arg", "x=1").err().strip())
                .startsWith("sluice: jsonnet cannot evaluate").hasLineCount(1);
        // the second of two specs is refused: the first is not left behind
        commit("in2", "master", Map.of("/f", "x"));
        Files.writeString(bad, "{\"pipeline\": {\"name\": \"good2\"}, \"transform\": {\"cmd\": [\"true\"]}, "
                + "\"input\": {\"pfs\": {\"repo\": \"in2\", \"glob\": \"/\"}}}\n"
                + "{\"pipeline\": {\"name\": \"bad2\"}, \"transform\": {\"cmd\": [\"true\"]}, "
                + "\"input\": {\"pfs\": {\"repo\": \"nowhere\", \"glob\": \"/\"}}}");
        assertThat(daemon.cli("create", "pipeline", "-f", bad.toString()).err())
                .contains("pipeline 'bad2' (spec #2 of 2)", "the 1 created before it were deleted again");
        assertThat(pps.listPipeline()).extracting(p -> p.name()).doesNotContain("good2", "bad2", "bad");
    }
}
