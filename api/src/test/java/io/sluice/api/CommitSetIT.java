package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

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

    @RegisterExtension
    static final ClassDaemon daemon = new ClassDaemon();

    private static void pipeline(String name, String input, String script) throws IOException {
        Path spec = daemon.dir().resolve(name + ".json");
        Files.writeString(spec, "{\"pipeline\": {\"name\": \"" + name + "\"}, \"transform\": {\"cmd\": [\"sh\", \"-c\", \""
                + script + "\"]}, \"input\": {\"pfs\": {\"repo\": \"" + input + "\", \"glob\": \"/\"}}}");
        daemon.ok("create", "pipeline", "-f", spec.toString());
    }

    /** Puts {@code content} at {@code target} ({@code repo@branch:/path}); returns the commit that made, as inspected. */
    private static JsonNode put(String target, String content) throws IOException {
        Path local = daemon.dir().resolve("upload");
        Files.writeString(local, content);
        daemon.ok("put", "file", target, "-f", local.toString());
        return daemon.json("inspect", "commit", target.substring(0, target.indexOf(':')), "-o", "json");
    }

    @Test
    void waitCommitOnAnInputSetReturnsWhenTheLastStageHasLanded() throws Exception {
        daemon.ok("create", "repo", "src");
        pipeline("one", "src", "cp -r /pfs/src/. /pfs/out/");
        pipeline("two", "one", "cp -r /pfs/one/. /pfs/out/");
        // the last stage is slow, so a wait that stopped at the first stages would return seconds too early
        pipeline("three", "two", "sleep 3; cp -r /pfs/two/. /pfs/out/");
        JsonNode put = put("src@master:/in.txt", "hello\n");
        String set = put.get("set").asText();
        assertThat(set).isEqualTo(put.get("id").asText());

        // asked before any job of the set may exist: it must count the pipelines that have not started yet
        CompletableFuture<TestDaemon.Run> waiter = CompletableFuture.supplyAsync(
                () -> daemon.cli("wait", "commit", set, "--timeout", "120", "-o", "json"));
        JsonNode early = daemon.json("inspect", "commit", set, "-o", "json");
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
        JsonNode last = daemon.json("inspect", "commit", "three@" + set, "-o", "json");
        assertThat(last.get("set").asText()).isEqualTo(set);
        assertThat(Instant.parse(last.get("finished").asText())).isBefore(returned);
        assertThat(daemon.ok("get", "file", "three@" + set + ":/in.txt").out()).isEqualTo("hello\n");
        JsonNode two = daemon.json("inspect", "commit", "two@" + set, "-o", "json");
        assertThat(last.get("provenance").findValuesAsText("id")).contains(two.get("id").asText());

        JsonNode jobs = daemon.json("list", "job", set, "-o", "json");
        assertThat(jobs.findValuesAsText("pipeline")).containsExactlyInAnyOrder("one", "two", "three");
        assertThat(jobs.findValuesAsText("state")).containsOnly("JOB_SUCCESS");

        // list commit with no repo lists sets newest first; a second change makes a second, newer set
        String second = put("src@master:/in.txt", "again\n").get("set").asText();
        List<String> sets = new java.util.ArrayList<>();
        daemon.json("list", "commit", "-o", "json").forEach(s -> sets.add(s.get("id").asText()));
        sets.retainAll(List.of(set, second));
        assertThat(sets).containsExactly(second, set);
        daemon.ok("wait", "commit", second, "--timeout", "120");
        assertThat(daemon.ok("get", "file", "three@" + second + ":/in.txt").out()).isEqualTo("again\n");
        assertThat(daemon.ok("get", "file", "three@" + set + ":/in.txt").out()).isEqualTo("hello\n");
    }

    @Test
    void aFailedStageEndsTheWaitWithExitOne() throws IOException {
        daemon.ok("create", "repo", "bad");
        pipeline("breaks", "bad", "exit 3");
        pipeline("after", "breaks", "cp -r /pfs/breaks/. /pfs/out/");
        String set = put("bad@master:/x", "x\n").get("id").asText();
        TestDaemon.Run run = daemon.cli("wait", "commit", set, "--timeout", "120");
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains("breaks").contains("JOB_FAILURE").doesNotContain("Exception");
        assertThat(daemon.json("inspect", "commit", set, "-o", "json").get("complete").asBoolean()).isTrue();
    }

    @Test
    void anUnknownSetIsOneLine() {
        TestDaemon.Run run = daemon.fails("wait", "commit", "0123456789abcdef0123456789abcdef", "--timeout", "1");
        assertThat(run.err().strip()).contains("no commit set");
    }
}
