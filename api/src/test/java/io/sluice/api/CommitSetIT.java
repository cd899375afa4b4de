package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Commit sets through a real daemon and the CLI: one change, the commits and jobs it caused, waiting on it. */
class CommitSetIT {
    private static final ObjectMapper JSON = Json.mapper();

    @TempDir
    static Path dir;
    static TestDaemon daemon;

    @BeforeAll
    static void start() throws IOException {
        daemon = new TestDaemon(dir.resolve("data"));
    }

    @AfterAll
    static void stop() throws IOException {
        daemon.close();
    }

    private static TestDaemon.Run ok(String... args) {
        TestDaemon.Run run = daemon.cli(args);
        assertThat(run.code()).as("sluice %s: %s", String.join(" ", args), run.err()).isZero();
        return run;
    }

    private static JsonNode json(String... args) throws IOException {
        return JSON.readTree(ok(args).out());
    }

    private static void pipeline(String name, String input, String script) throws IOException {
        Path spec = dir.resolve(name + ".json");
        Files.writeString(spec, "{\"pipeline\": {\"name\": \"" + name + "\"}, \"transform\": {\"cmd\": [\"sh\", \"-c\", \""
                + script + "\"]}, \"input\": {\"pfs\": {\"repo\": \"" + input + "\", \"glob\": \"/\"}}}");
        ok("create", "pipeline", "-f", spec.toString());
    }

    @Test
    void waitCommitOnAnInputSetReturnsWhenTheLastStageHasLanded() throws Exception {
        ok("create", "repo", "src");
        pipeline("one", "src", "cp -r /pfs/src/. /pfs/out/");
        pipeline("two", "one", "cp -r /pfs/one/. /pfs/out/");
        // the last stage is slow, so a wait that stopped at the first stages would return seconds too early
        pipeline("three", "two", "sleep 3; cp -r /pfs/two/. /pfs/out/");
        Path local = dir.resolve("in.txt");
        Files.writeString(local, "hello\n");
        ok("put", "file", "src@master:/in.txt", "-f", local.toString());
        String set = json("inspect", "commit", "src@master", "-o", "json").get("set").asText();
        assertThat(set).isEqualTo(json("inspect", "commit", "src@master", "-o", "json").get("id").asText());

        // asked before any job of the set may exist: it must count the pipelines that have not started yet
        CompletableFuture<TestDaemon.Run> waiter = CompletableFuture.supplyAsync(
                () -> daemon.cli("wait", "commit", set, "--timeout", "120", "-o", "json"));
        JsonNode early = json("inspect", "commit", set, "-o", "json");
        assertThat(early.get("complete").asBoolean()).isFalse();
        assertThat(early.get("pending").size()).isPositive();

        TestDaemon.Run waited = waiter.get(150, TimeUnit.SECONDS);
        Instant returned = Instant.now();
        assertThat(waited.code()).as(waited.err()).isZero();
        JsonNode done = JSON.readTree(waited.out());
        assertThat(done.get("complete").asBoolean()).isTrue();
        List<String> repos = new java.util.ArrayList<>();
        done.get("commits").forEach(c -> repos.add(c.get("repo").asText()));
        assertThat(repos).containsExactlyInAnyOrder("src", "one", "two", "three");

        // repo@<set id> names that repo's commit of the set; the last stage's landed before the wait returned
        JsonNode last = json("inspect", "commit", "three@" + set, "-o", "json");
        assertThat(last.get("set").asText()).isEqualTo(set);
        assertThat(Instant.parse(last.get("finished").asText())).isBefore(returned);
        assertThat(ok("get", "file", "three@" + set + ":/in.txt").out()).isEqualTo("hello\n");
        JsonNode two = json("inspect", "commit", "two@" + set, "-o", "json");
        assertThat(last.get("provenance").findValuesAsText("id")).contains(two.get("id").asText());

        JsonNode jobs = json("list", "job", set, "-o", "json");
        assertThat(jobs.findValuesAsText("pipeline")).containsExactlyInAnyOrder("one", "two", "three");
        assertThat(jobs.findValuesAsText("state")).containsOnly("JOB_SUCCESS");

        // list commit with no repo lists sets newest first; a second change makes a second, newer set
        Files.writeString(local, "again\n");
        ok("put", "file", "src@master:/in.txt", "-f", local.toString());
        String second = json("inspect", "commit", "src@master", "-o", "json").get("set").asText();
        List<String> sets = new java.util.ArrayList<>();
        json("list", "commit", "-o", "json").forEach(s -> sets.add(s.get("id").asText()));
        sets.retainAll(List.of(set, second));
        assertThat(sets).containsExactly(second, set);
        ok("wait", "commit", second, "--timeout", "120");
        assertThat(ok("get", "file", "three@" + second + ":/in.txt").out()).isEqualTo("again\n");
        assertThat(ok("get", "file", "three@" + set + ":/in.txt").out()).isEqualTo("hello\n");
    }

    @Test
    void aFailedStageEndsTheWaitWithExitOne() throws IOException {
        ok("create", "repo", "bad");
        pipeline("breaks", "bad", "exit 3");
        pipeline("after", "breaks", "cp -r /pfs/breaks/. /pfs/out/");
        Path local = dir.resolve("bad.txt");
        Files.writeString(local, "x\n");
        ok("put", "file", "bad@master:/x", "-f", local.toString());
        String set = json("inspect", "commit", "bad@master", "-o", "json").get("id").asText();
        TestDaemon.Run run = daemon.cli("wait", "commit", set, "--timeout", "120");
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains("breaks").contains("JOB_FAILURE").doesNotContain("Exception");
        assertThat(json("inspect", "commit", set, "-o", "json").get("complete").asBoolean()).isTrue();
    }

    @Test
    void anUnknownSetIsOneLine() {
        TestDaemon.Run run = daemon.cli("wait", "commit", "0123456789abcdef0123456789abcdef", "--timeout", "1");
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err().strip()).contains("no commit set").doesNotContain("Exception");
        assertThat(run.err().strip().lines().count()).isEqualTo(1);
    }
}
