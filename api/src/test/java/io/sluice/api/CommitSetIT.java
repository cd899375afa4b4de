package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Commit sets through a real daemon, the CLI and the HTTP API: one change, the commits and jobs it caused,
 * waiting on it, and squash and delete of a whole set with Pachyderm's rules (histories and heads afterwards,
 * the set's jobs, gc freeing only what no remaining commit holds).
 */
class CommitSetIT {
    private static final ObjectMapper JSON = Json.mapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

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

    private static List<String> history(String repoAtBranch) throws IOException {
        List<String> ids = new ArrayList<>();
        daemon.json("list", "commit", repoAtBranch, "-o", "json").forEach(c -> ids.add(c.get("id").asText()));
        return ids;
    }

    private static HttpResponse<String> http(String method, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String input(String repo) {
        return "{\"pfs\": {\"repo\": \"" + repo + "\", \"glob\": \"/\"}}";
    }

    @Test
    void squashFoldsASetIntoItsChildrenAndDeleteDropsAHeadSet() throws Exception {
        daemon.ok("create", "repo", "plain");
        String a = put("plain@master:/f", "one\n").get("set").asText();
        String b = put("plain@master:/f", "only the squashed commit ever held these bytes\n").get("set").asText();
        String c = put("plain@master:/f", "three\n").get("set").asText();

        assertThat(daemon.fails("delete", "commit", a).err()).contains("cannot delete a commit that has children: plain@" + a);
        assertThat(daemon.fails("squash", "commit", c).err()).contains("cannot squash a commit that has no children");
        assertThat(daemon.fails("squash", "commit", "plain@master").err()).contains("takes a commit set id");

        JsonNode squashed = daemon.json("squash", "commit", b, "-o", "json");
        assertThat(squashed.get("commits")).singleElement().satisfies(x -> assertThat(x.get("id").asText()).isEqualTo(b));
        assertThat(history("plain@master")).containsExactly(c, a);
        assertThat(daemon.json("inspect", "commit", "plain@master^1", "-o", "json").get("id").asText()).isEqualTo(a);
        assertThat(daemon.ok("get", "file", "plain@master:/f").out()).isEqualTo("three\n");
        assertThat(daemon.ok("get", "file", "plain@" + a + ":/f").out()).isEqualTo("one\n");
        assertThat(daemon.fails("inspect", "commit", "plain@" + b).err()).contains("no branch or commit");
        assertThat(daemon.fails("inspect", "commit", b).err()).contains("no commit set");

        // the squashed commit's own bytes are garbage now; what the remaining commits hold is not
        assertThat(JSON.readTree(http("POST", "/api/v1/gc").body()).get("deletedChunks").asLong()).isPositive();
        JsonNode fsck = JSON.readTree(http("POST", "/api/v1/fsck").body());
        assertThat(fsck.get("ok").asBoolean()).as(fsck.toString()).isTrue();
        assertThat(daemon.ok("get", "file", "plain@" + a + ":/f").out()).isEqualTo("one\n");
        assertThat(daemon.ok("get", "file", "plain@" + c + ":/f").out()).isEqualTo("three\n");

        // the head set has no children: delete drops it and moves master back to its parent
        daemon.ok("delete", "commit", c);
        assertThat(history("plain@master")).containsExactly(a);
        assertThat(daemon.ok("get", "file", "plain@master:/f").out()).isEqualTo("one\n");

        // an open commit is a set of its own with no children: deleting it drops it, the head stays
        String open = daemon.ok("start", "commit", "plain@master").out().strip();
        daemon.ok("delete", "commit", open);
        assertThat(daemon.fails("finish", "commit", "plain@master").err()).contains("has no open commit");
        assertThat(history("plain@master")).containsExactly(a);

        // the last commit of a branch: the branch stays, on a new empty commit, as in Pachyderm
        daemon.ok("delete", "commit", a);
        assertThat(daemon.json("list", "file", "plain@master:/", "-o", "json").size()).isZero();
    }

    @Test
    void aSetWithOutputsGoesFromEveryRepoWithItsJobsAndTheRulesHoldAcrossRepos() throws Exception {
        daemon.ok("create", "repo", "origin");
        pipeline("copy", "origin", "cp -r /pfs/origin/. /pfs/out/");
        String s1 = put("origin@master:/in", "1\n").get("set").asText();
        daemon.ok("wait", "commit", s1, "--timeout", "120");
        String s2 = put("origin@master:/in", "2\n").get("set").asText();
        daemon.ok("wait", "commit", s2, "--timeout", "120");
        String s3 = put("origin@master:/in", "3\n").get("set").asText();
        daemon.ok("wait", "commit", s3, "--timeout", "120");
        assertThat(daemon.json("list", "job", s2, "-o", "json").size()).isEqualTo(1);
        String out1 = daemon.json("inspect", "commit", "copy@" + s1, "-o", "json").get("id").asText();
        String out3 = daemon.json("inspect", "commit", "copy@" + s3, "-o", "json").get("id").asText();

        // over HTTP: a refusal is a 409 with one JSON error, an unknown set a 404
        HttpResponse<String> noChildren = http("POST", "/api/v1/commitsets/" + s3 + "/squash");
        assertThat(noChildren.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(noChildren.body()).get("error").asText()).contains("no children");
        assertThat(http("DELETE", "/api/v1/commitsets/0123456789abcdef0123456789abcdef").statusCode()).isEqualTo(404);

        // squash the middle set: it leaves src and copy, its job goes, and the children keep their data
        HttpResponse<String> squash = http("POST", "/api/v1/commitsets/" + s2 + "/squash");
        assertThat(squash.statusCode()).as(squash.body()).isEqualTo(200);
        JsonNode removed = JSON.readTree(squash.body());
        List<String> repos = new ArrayList<>();
        removed.get("commits").forEach(c -> repos.add(c.get("repo").asText()));
        assertThat(repos).containsExactlyInAnyOrder("origin", "copy");
        assertThat(removed.get("jobs").size()).isEqualTo(1);
        assertThat(history("copy@master")).containsExactly(out3, out1);
        assertThat(daemon.ok("get", "file", "copy@master:/in").out()).isEqualTo("3\n");
        assertThat(daemon.json("list", "job", "-p", "copy", "-o", "json").size()).isEqualTo(2);

        // delete the head set: both heads move back, copy's to the output of s1
        HttpResponse<String> drop = http("DELETE", "/api/v1/commitsets/" + s3);
        assertThat(drop.statusCode()).as(drop.body()).isEqualTo(200);
        assertThat(daemon.json("inspect", "commit", "copy@master", "-o", "json").get("id").asText()).isEqualTo(out1);
        assertThat(daemon.ok("get", "file", "origin@master:/in").out()).isEqualTo("1\n");
        assertThat(daemon.ok("get", "file", "copy@master:/in").out()).isEqualTo("1\n");
        assertThat(daemon.json("inspect", "commit", s1, "-o", "json").get("complete").asBoolean()).isTrue();

        // and the pipeline still runs for what comes next
        String s4 = put("origin@master:/in", "4\n").get("set").asText();
        daemon.ok("wait", "commit", s4, "--timeout", "120");
        assertThat(daemon.ok("get", "file", "copy@master:/in").out()).isEqualTo("4\n");
    }

    @Test
    void aSetAnotherSetWasComputedFromCannotBeRemoved() throws Exception {
        daemon.ok("create", "repo", "left");
        daemon.ok("create", "repo", "right");
        Path spec = daemon.dir().resolve("both.json");
        Files.writeString(spec, "{\"pipeline\": {\"name\": \"both\"}, \"transform\": {\"cmd\": [\"sh\", \"-c\", "
                + "\"cp /pfs/left/l /pfs/right/r /pfs/out/\"]}, \"input\": {\"cross\": [" + input("left") + ", "
                + input("right") + "]}}");
        daemon.ok("create", "pipeline", "-f", spec.toString());
        String l = put("left@master:/l", "l\n").get("set").asText();
        String r = put("right@master:/r", "r\n").get("set").asText();
        daemon.ok("wait", "commit", r, "--timeout", "120");
        // both's output joined r's set (r arrived last) with l's commit in its provenance
        assertThat(daemon.fails("delete", "commit", l).err()).contains("commit set " + r + " was computed from it");
        HttpResponse<String> squash = http("POST", "/api/v1/commitsets/" + l + "/squash");
        assertThat(squash.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(squash.body()).get("error").asText()).contains(r);
        assertThat(daemon.ok("get", "file", "left@" + l + ":/l").out()).isEqualTo("l\n");
        // removing the set made from it first lets it go
        daemon.ok("delete", "commit", r);
        daemon.ok("delete", "commit", l);
        assertThat(daemon.json("list", "file", "left@master:/", "-o", "json").size()).isZero();
    }
}
