package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.pps.JobInfo;
import io.sluice.pps.JobState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
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
    @RegisterExtension
    static final ClassDaemon daemon = new ClassDaemon();

    private static Path spec(String name) {
        return TestDaemon.HOME.resolve("api/src/test/resources/specs/" + name);
    }

    /** Waits until the pipeline has {@code n} successful jobs (fails on a failed one); returns the newest. */
    private static JobInfo jobs(String pipeline, int n) throws InterruptedException {
        List<JobInfo> jobs = daemon.awaitJobs(pipeline, "get " + n + " successful jobs", all -> {
            for (JobInfo j : all) {
                if (j.state() == JobState.JOB_FAILURE || j.state() == JobState.JOB_UNRUNNABLE) {
                    fail("job %s of %s ended %s: %s", j.id(), pipeline, j.state(), j.reason());
                }
            }
            return successful(all).size() >= n && all.stream().allMatch(j -> j.state().terminal());
        });
        return successful(jobs).get(0);
    }

    private static List<JobInfo> successful(List<JobInfo> jobs) {
        return jobs.stream().filter(j -> j.state() == JobState.JOB_SUCCESS).toList();
    }

    @Test
    void groupByCaptureGroupInCamelCaseJson() throws Exception {
        daemon.commit("results", "master", Map.of("/T1-CLIA24D0.txt", "a\n", "/T2-CLIA24D0.txt", "b\n", "/T3-CLIA99X1.txt", "c\n"));
        TestDaemon.Run created = daemon.ok("create", "pipeline", "-f", spec("group-by-lab.json").toString());
        assertThat(created.err()).as("the local runner's one-line warning").contains("warning: the local runner runs "
                + "transform.cmd on this host").hasLineCount(1);
        jobs("by_lab", 1);
        assertThat(daemon.output("by_lab")).containsExactly(Map.entry("/24D0/all.txt", "a\nb\n"), Map.entry("/99X1/all.txt", "c\n"));

        daemon.commit("results", "master", Map.of("/T4-CLIA99X1.txt", "d\n", "/T5-CLIA7Q.txt", "e\n"));
        JobInfo second = jobs("by_lab", 2);
        assertThat(second.datumsSkipped()).as("group 24D0 is unchanged").isEqualTo(1);
        assertThat(daemon.output("by_lab")).containsExactly(Map.entry("/24D0/all.txt", "a\nb\n"),
                Map.entry("/7Q/all.txt", "e\n"), Map.entry("/99X1/all.txt", "c\nd\n"));
        JsonNode datums = daemon.json("list", "datum", second.id(), "-o", "json");
        assertThat(datums.findValuesAsText("state")).containsExactlyInAnyOrder("SUCCESS", "SUCCESS", "SKIPPED");
        assertThat(datums.toString()).contains("results:/T3-CLIA99X1.txt", "results:/T4-CLIA99X1.txt");
        assertThat(daemon.ok("inspect", "pipeline", "by_lab", "-o", "json").out()).contains("\"group_by\"").doesNotContain("groupBy");
    }

    @Test
    void innerJoinInSnakeCaseYaml() throws Exception {
        daemon.commit("stores", "master", Map.of("/store-1.txt", "North", "/store-2.txt", "South"));
        daemon.commit("orders", "master", Map.of("/order-a-store1.txt", "apples", "/order-b-store2.txt", "bread",
                "/order-c-store9.txt", "nobody's"));
        daemon.ok("create", "pipeline", "-f", spec("join-orders.yaml").toString());
        jobs("order_lines", 1);
        assertThat(daemon.output("order_lines")).containsExactly(Map.entry("/order-a-store1.txt", "North apples\n"),
                Map.entry("/order-b-store2.txt", "South bread\n"));

        daemon.commit("orders", "master", Map.of("/order-d-store1.txt", "dates"));
        JobInfo second = jobs("order_lines", 2);
        assertThat(second.datumsSkipped()).isEqualTo(2);
        assertThat(daemon.output("order_lines")).containsExactly(Map.entry("/order-a-store1.txt", "North apples\n"),
                Map.entry("/order-b-store2.txt", "South bread\n"), Map.entry("/order-d-store1.txt", "North dates\n"));
    }

    @Test
    void outerJoinFromAJsonnetTemplateWithAnArgument() throws Exception {
        daemon.commit("shops", "master", Map.of("/store-1.txt", "North", "/store-2.txt", "South"));
        daemon.commit("returns", "master", Map.of("/return-store1.txt", "r1", "/return-store5.txt", "r5"));
        daemon.ok("create", "pipeline", "--jsonnet", spec("outer-join.jsonnet").toString(), "--arg", "suffix=x");
        jobs("returns_x", 1);
        Map<String, String> first = daemon.output("returns_x");
        assertThat(first).containsEntry("/1.txt", "Northr1").containsEntry("/5.txt", "no-store\nr5")
                .containsEntry("/2.txt", "Southno-return\n");

        daemon.commit("returns", "master", Map.of("/return-store2.txt", "r2"));
        jobs("returns_x", 2);
        assertThat(daemon.output("returns_x")).containsEntry("/2.txt", "Southr2").containsEntry("/1.txt", "Northr1")
                .containsEntry("/5.txt", "no-store\nr5");
        // update from the same template: a new version, nothing to reprocess
        daemon.ok("update", "pipeline", "--jsonnet", spec("outer-join.jsonnet").toString(), "--arg", "suffix=x");
        assertThat(daemon.pps().inspectPipeline("returns_x").version()).isEqualTo(2);
    }

    @Test
    void cronTicksAreCommitsToTheTickRepoAndRunCronMakesOne() throws Exception {
        daemon.ok("create", "pipeline", "-f", spec("cron-overwrite.json").toString());
        assertThat(daemon.pfs().listRepos()).extracting(r -> r.name()).contains("ticker_tick");
        // @every 1h from 2020: the daemon makes the one latest missed tick, not one per missed hour
        jobs("ticker", 1);
        assertThat(daemon.output("ticker")).containsEntry("/count", "1\n");
        String firstTick = daemon.output("ticker").get("/names").strip();
        assertThat(firstTick).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:00:00Z");

        Thread.sleep(1100); // a new second: run cron names its tick by the time, to the second
        TestDaemon.Run run = daemon.ok("run", "cron", "ticker");
        assertThat(run.out()).contains("ticker_tick");
        jobs("ticker", 2);
        Map<String, String> second = daemon.output("ticker");
        assertThat(second).containsEntry("/count", "1\n");
        assertThat(second.get("/names").strip()).as("overwrite keeps only the newest tick").isNotEqualTo(firstTick)
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(daemon.pfs().listFile("ticker_tick", "master", "/")).hasSize(1);
        assertThat(daemon.cli("run", "cron", "nosuch").code()).isEqualTo(1);
    }

    @Test
    void cronEveryTwoSecondsTicksByItselfAndKeepsEveryTick() throws Exception {
        daemon.ok("create", "pipeline", "-f", spec("cron-every.yaml").toString());
        jobs("heartbeat", 2);
        daemon.ok("stop", "pipeline", "heartbeat");
        int beats = Integer.parseInt(daemon.output("heartbeat").get("/beats").strip());
        assertThat(beats).as("without overwrite every tick stays").isGreaterThanOrEqualTo(2);
        daemon.ok("delete", "pipeline", "heartbeat");
        assertThat(daemon.pfs().listRepos()).extracting(r -> r.name()).doesNotContain("heartbeat", "heartbeat_beat");
    }

    @Test
    void crossOfUnionWithDatumEnvironmentAndASecret() throws Exception {
        daemon.commit("left", "dev", Map.of("/1", "L1"));
        daemon.commit("a", "master", Map.of("/x", "AX"));
        daemon.commit("b", "master", Map.of("/y", "BY"));
        assertThat(daemon.cli("create", "pipeline", "-f", spec("cross-union-env.yaml").toString()).err())
                .contains("no secret 'api-token'");
        daemon.ok("create", "secret", "-f", spec("api-token.yaml").toString());
        assertThat(daemon.ok("list", "secret").out()).contains("api-token").doesNotContain("s3cr3t");
        Path stored = daemon.dir().resolve("data/pps/secrets/api-token.json");
        assertThat(Files.getPosixFilePermissions(stored)).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        TestDaemon.Run created = daemon.ok("create", "pipeline", "-f", spec("cross-union-env.yaml").toString());
        assertThat(created.err()).contains("GPU resources are reported");
        JobInfo first = jobs("pairs", 1);
        Map<String, String> out = daemon.output("pairs");
        assertThat(out).containsEntry("/1-x", "L1 AX s3cr3t\n").containsEntry("/1-y", "L1 BY s3cr3t\n");
        String leftCommit = daemon.pfs().listCommit("left", "dev", 1).get(0).id();
        assertThat(out.get("/1-x").length()).isPositive();
        assertThat(out.get("/1-x.env").lines().toList()).startsWith(first.id(), first.id(), leftCommit, "/pfs/left/1");

        daemon.commit("left", "dev", Map.of("/2", "L2"));
        JobInfo second = jobs("pairs", 2);
        assertThat(second.datumsSkipped()).isEqualTo(2);
        assertThat(daemon.output("pairs")).containsEntry("/2-y", "L2 BY s3cr3t\n").containsEntry("/1-x", "L1 AX s3cr3t\n")
                .hasSize(8);
        JsonNode spec = daemon.json("inspect", "pipeline", "pairs", "-o", "json").path("spec");
        assertThat(spec.path("resource_requests").path("gpu").path("number").asInt()).isEqualTo(1);
        assertThat(spec.path("datum_timeout").asText()).isEqualTo("60s");
        assertThat(spec.path("transform").path("secrets").get(0).path("env_var").asText()).isEqualTo("TOKEN");
    }

    @Test
    void secretKeysAreFilesUnderMountPathAndImagePullSecretsAreAccepted() throws Exception {
        daemon.commit("rows", "master", Map.of("/r1", "alpha"));
        assertThat(daemon.cli("create", "pipeline", "-f", spec("secret-files.json").toString()).err())
                .contains("no secret 'db-creds'");
        daemon.ok("create", "secret", "-f", spec("db-creds.yaml").toString());
        TestDaemon.Run created = daemon.cli("create", "pipeline", "-f", spec("secret-files.json").toString());
        String gap = daemon.daemon().runner().secretFilesGap();
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
        assertThat(daemon.output("row_owners")).containsExactly(Map.entry("/r1", "alpha reporter@db.internal:5432\n"));
        daemon.commit("rows", "master", Map.of("/r2", "beta"));
        JobInfo second = jobs("row_owners", 2);
        assertThat(second.datumsSkipped()).isEqualTo(1);
        assertThat(daemon.output("row_owners")).containsExactly(Map.entry("/r1", "alpha reporter@db.internal:5432\n"),
                Map.entry("/r2", "beta reporter@db.internal:5432\n"));
        JsonNode spec = daemon.json("inspect", "pipeline", "row_owners", "-o", "json").path("spec");
        assertThat(spec.path("transform").path("secrets").get(0).path("mount_path").asText()).isEqualTo("/tmp/dbsecret");
        assertThat(spec.path("transform").path("image_pull_secrets").get(0).asText()).isEqualTo("regcred");
    }

    @Test
    void aTemplateReturningTwoSpecsMakesAChainOfPipelines() throws Exception {
        daemon.commit("labs", "master", Map.of("/T1-CLIA24D0.txt", "a\n", "/T2-CLIA24D0.txt", "b\nb2\n", "/T3-CLIA99X1.txt", "c\n"));
        daemon.ok("create", "pipeline", "--jsonnet", spec("lab-and-total.jsonnet").toString(), "--arg", "suffix=t");
        jobs("total_t", 1);
        assertThat(daemon.output("total_t")).containsEntry("/24D0.count", "3\n").containsEntry("/99X1.count", "1\n");
        daemon.commit("labs", "master", Map.of("/T9-CLIA99X1.txt", "z\nz\n"));
        jobs("lab_t", 2);
        jobs("total_t", 2);
        assertThat(daemon.output("total_t")).containsEntry("/24D0.count", "3\n").containsEntry("/99X1.count", "3\n");
    }

    @Test
    void twoYamlDocumentsScratchThroughTmp() throws Exception {
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            rows.append("row").append(i).append('\n');
        }
        daemon.commit("raw", "master", Map.of("/data.csv", rows.toString()));
        daemon.ok("create", "pipeline", "-f", spec("split-and-count.yaml").toString());
        jobs("split_sizes", 1);
        assertThat(daemon.output("split_sizes")).containsExactly(Map.entry("/test", "2\n"), Map.entry("/train", "8\n"));
        daemon.commit("raw", "master", Map.of("/data.csv", rows + "row10\nrow11\n"));
        jobs("split_sizes", 2);
        Map<String, String> split = daemon.output("split");
        assertThat(split.get("/train.csv").lines()).hasSize(8);
        assertThat(split.get("/test.csv").lines()).hasSize(2);
    }

    @Test
    void wordCountMergesSharedPathsAndItsReduceStartsFromAnEmptyTmpOnEveryJob() throws Exception {
        daemon.commit("pages", "master", Map.of("/p1", "the cat sat on the mat\n", "/p2", "the dog\n"));
        daemon.ok("create", "pipeline", "-f", spec("word-count.json").toString());
        jobs("totals", 1);
        assertThat(daemon.output("words").get("/the").lines().sorted().toList()).as("one count per page").containsExactly("1", "2");
        assertThat(daemon.output("totals")).containsExactly(Map.entry("/cat", "1\n"), Map.entry("/dog", "1\n"),
                Map.entry("/mat", "1\n"), Map.entry("/on", "1\n"), Map.entry("/sat", "1\n"), Map.entry("/the", "3\n"));

        daemon.commit("pages", "master", Map.of("/p3", "the cat ran\n"));
        JobInfo words = jobs("words", 2);
        assertThat(words.datumsProcessed()).as("p3, and p1 and p2 again: they share /the with it").isEqualTo(3);
        jobs("totals", 2);
        // a /tmp kept from the first job would double every count here
        assertThat(daemon.output("totals")).containsExactly(Map.entry("/cat", "2\n"), Map.entry("/dog", "1\n"),
                Map.entry("/mat", "1\n"), Map.entry("/on", "1\n"), Map.entry("/ran", "1\n"), Map.entry("/sat", "1\n"),
                Map.entry("/the", "4\n"));
    }

    @Test
    void shufflePassesInputFilesThroughBySymlinkSharingTheirChunks() throws Exception {
        daemon.commit("photos", "master", Map.of("/apple.img", "APPLE-PIXELS\n".repeat(5000)));
        daemon.commit("prices", "master", Map.of("/apple.price", "{\"price\": 3}\n"));
        daemon.ok("create", "pipeline", "-f", spec("shuffle.yaml").toString());
        jobs("by_name", 1);
        assertThat(daemon.output("by_name")).containsExactly(Map.entry("/apple/photo", "APPLE-PIXELS\n".repeat(5000)),
                Map.entry("/apple/price", "{\"price\": 3}\n"));

        daemon.commit("photos", "master", Map.of("/mango.img", "MANGO\n"));
        daemon.commit("prices", "master", Map.of("/mango.price", "{\"price\": 5}\n"));
        jobs("by_name", 3);
        assertThat(daemon.output("by_name")).containsExactly(Map.entry("/apple/photo", "APPLE-PIXELS\n".repeat(5000)),
                Map.entry("/apple/price", "{\"price\": 3}\n"), Map.entry("/mango/photo", "MANGO\n"),
                Map.entry("/mango/price", "{\"price\": 5}\n"));
        assertThat(daemon.pfs().inspectFile("by_name", "master", "/apple/photo").hash())
                .isEqualTo(daemon.pfs().inspectFile("photos", "master", "/apple.img").hash());
    }

    @Test
    void aTriggerMovesTheInputBranchEverySecondCommit() throws Exception {
        daemon.commit("incoming", "staging", Map.of("/0", ""));
        daemon.ok("create", "pipeline", "-f", spec("trigger-every-two.json").toString());
        daemon.commit("incoming", "staging", Map.of("/1", "")); // two commits on staging, none on master yet: fires
        jobs("batched", 1);
        assertThat(daemon.output("batched")).containsEntry("/seen", "0 1 ");
        assertThat(daemon.pfs().listCommit("incoming", "master", 1).get(0).id())
                .isEqualTo(daemon.pfs().listCommit("incoming", "staging", 1).get(0).id());
        daemon.commit("incoming", "staging", Map.of("/2", ""));
        Thread.sleep(500);
        assertThat(daemon.pps().listJob("batched")).as("one commit since the trigger fired: not yet").hasSize(1);
        daemon.commit("incoming", "staging", Map.of("/3", ""));
        jobs("batched", 2);
        assertThat(daemon.output("batched")).containsEntry("/seen", "0 1 2 3 ");
    }

    @Test
    void badSpecsAreRefusedInOneLineAndCreateNothing() throws Exception {
        Path bad = daemon.dir().resolve("bad.json");
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
        Path template = daemon.dir().resolve("bad.jsonnet");
        Files.writeString(template, "function(x) { a: x + }");
        assertThat(daemon.cli("create", "pipeline", "--jsonnet", template.toString(), "--arg", "x=1").err().strip())
                .startsWith("sluice: jsonnet cannot evaluate").hasLineCount(1);
        // the second of two specs is refused: the first is not left behind
        daemon.commit("in2", "master", Map.of("/f", "x"));
        Files.writeString(bad, "{\"pipeline\": {\"name\": \"good2\"}, \"transform\": {\"cmd\": [\"true\"]}, "
                + "\"input\": {\"pfs\": {\"repo\": \"in2\", \"glob\": \"/\"}}}\n"
                + "{\"pipeline\": {\"name\": \"bad2\"}, \"transform\": {\"cmd\": [\"true\"]}, "
                + "\"input\": {\"pfs\": {\"repo\": \"nowhere\", \"glob\": \"/\"}}}");
        assertThat(daemon.cli("create", "pipeline", "-f", bad.toString()).err())
                .contains("pipeline 'bad2' (spec #2 of 2)", "the 1 created before it were deleted again");
        assertThat(daemon.pps().listPipeline()).extracting(p -> p.name()).doesNotContain("good2", "bad2", "bad");
    }
}
