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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Projects through a real daemon, the CLI and the HTTP API: the project verbs and their rules, the same repo
 * name in two projects, a pipeline of one project reading a repo of another (jobs, provenance, commit sets),
 * and a data dir laid out before projects existed opening with everything in {@code default}.
 */
class ProjectsIT {
    private static final ObjectMapper JSON = Json.mapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final ClassDaemon daemon = new ClassDaemon();

    private static HttpResponse<String> http(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(daemon.address() + path))
                .header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertError(HttpResponse<String> r, int status, String says) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(JSON.readTree(r.body()).get("error").asText()).contains(says);
    }

    private static Path file(String name, String content) throws IOException {
        Path f = daemon.dir().resolve(name);
        Files.writeString(f, content);
        return f;
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.get("name").asText()));
        return out;
    }

    @Test
    void projectVerbsAndTheirRules() throws Exception {
        daemon.ok("create", "project", "research", "--description", "experiments");
        JsonNode p = daemon.json("inspect", "project", "research", "-o", "json");
        assertThat(p.get("name").asText()).isEqualTo("research");
        assertThat(p.get("description").asText()).isEqualTo("experiments");
        assertThat(names(daemon.json("list", "project", "-o", "json"))).contains("default", "research");
        assertThat(daemon.ok("list", "project").out()).contains("research").contains("experiments");

        assertThat(daemon.fails("create", "project", "research").err()).contains("already exists");
        assertThat(daemon.fails("create", "project", "bad.name").err()).contains("invalid project name 'bad.name'");
        assertThat(daemon.fails("inspect", "project", "nosuch").err()).contains("no project 'nosuch'");
        assertThat(daemon.fails("delete", "project", "default").err()).contains("default project cannot be deleted");
        assertThat(daemon.fails("create", "repo", "x", "--project", "nosuch").err()).contains("no project 'nosuch'");
        assertThat(daemon.fails("list", "repo", "--project", "a.b").err()).contains("invalid project name");

        // a non-empty project goes only with --force, and then with its pipelines and repos
        daemon.ok("create", "repo", "in", "--project", "research");
        daemon.ok("put", "file", "in@master:/a.txt", "-f", file("a.txt", "a\n").toString(), "--project", "research");
        Path spec = file("cp.json", "{\"pipeline\": {\"name\": \"cp\"}, \"transform\": {\"cmd\": [\"sh\", \"-c\","
                + " \"cp -r /pfs/in/. /pfs/out/\"]}, \"input\": {\"pfs\": {\"repo\": \"in\", \"glob\": \"/\"}}}");
        daemon.ok("create", "pipeline", "-f", spec.toString(), "--project", "research");
        assertThat(daemon.fails("delete", "project", "research").err()).contains("not empty").contains("force");
        assertError(http("DELETE", "/api/v1/projects/research", null), 409, "not empty");
        assertThat(names(daemon.json("list", "repo", "--project", "research", "-o", "json")))
                .containsExactlyInAnyOrder("in", "cp");
        daemon.ok("delete", "project", "research", "--force");
        assertThat(daemon.fails("inspect", "project", "research").err()).contains("no project 'research'");
        assertThat(daemon.pfs().listRepos()).noneMatch(r -> r.project().equals("research"));
        assertThat(daemon.pps().listPipeline()).noneMatch(x -> x.project().equals("research"));
        // and the name is free again, empty
        daemon.ok("create", "project", "research");
        assertThat(daemon.json("list", "repo", "--project", "research", "-o", "json")).isEmpty();
        daemon.ok("delete", "project", "research");

        // the same over HTTP
        HttpResponse<String> made = http("POST", "/api/v1/projects", "{\"name\": \"web\", \"description\": \"d\"}");
        assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
        assertThat(JSON.readTree(http("GET", "/api/v1/projects/web", null).body()).get("description").asText()).isEqualTo("d");
        assertError(http("POST", "/api/v1/projects", "{\"name\": \"a/b\"}"), 400, "invalid project name");
        assertError(http("POST", "/api/v1/projects", "{\"name\": 7}"), 400, "must be a string");
        assertError(http("POST", "/api/v1/projects/web/repos", "{\"name\": \"x/y\"}"), 400, "invalid repo name");
        assertError(http("GET", "/api/v1/projects/nosuch", null), 404, "no project 'nosuch'");
        assertError(http("POST", "/api/v1/projects/nosuch/repos", "{\"name\": \"x\"}"), 404, "no project 'nosuch'");
        assertError(http("DELETE", "/api/v1/projects/default", null), 409, "cannot be deleted");
        assertThat(http("DELETE", "/api/v1/projects/web", null).statusCode()).isEqualTo(200);
    }

    @Test
    void theSameRepoNameInTwoProjectsHoldsDifferentFiles() throws Exception {
        daemon.ok("create", "project", "two");
        daemon.ok("create", "repo", "shared");
        daemon.ok("create", "repo", "shared", "--project", "two");
        daemon.ok("put", "file", "shared@master:/f.txt", "-f", file("one.txt", "in default\n").toString());
        daemon.ok("put", "file", "shared@master:/f.txt", "-f", file("two.txt", "in two\n").toString(), "--project", "two");
        daemon.ok("put", "file", "shared@master:/only-two.txt", "-f", file("o.txt", "o\n").toString(), "--project", "two");

        assertThat(daemon.ok("get", "file", "shared@master:/f.txt").out()).isEqualTo("in default\n");
        assertThat(daemon.ok("get", "file", "shared@master:/f.txt", "--project", "two").out()).isEqualTo("in two\n");
        // SLUICE_PROJECT is the default of --project
        TestDaemon.Run viaEnv = TestDaemon.cli(Map.of("SLUICE_ADDRESS", daemon.address(), "SLUICE_PROJECT", "two"),
                new byte[0], "get", "file", "shared@master:/f.txt");
        assertThat(viaEnv.code()).as(viaEnv.err()).isZero();
        assertThat(viaEnv.out()).isEqualTo("in two\n");
        assertThat(daemon.json("list", "file", "shared@master:/", "--project", "two", "-o", "json")).hasSize(2);
        assertThat(daemon.json("list", "file", "shared@master:/", "-o", "json")).hasSize(1);
        assertThat(daemon.json("list", "commit", "shared@master", "--project", "two", "-o", "json")).hasSize(2);
        assertThat(daemon.json("list", "commit", "shared@master", "-o", "json")).hasSize(1);
        // the project routes serve the same handlers; today's routes are the default project's
        assertThat(http("GET", "/api/v1/projects/two/repos/shared/files?ref=master&path=/f.txt", null).body())
                .isEqualTo("in two\n");
        assertThat(http("GET", "/api/v1/repos/shared/files?ref=master&path=/f.txt", null).body()).isEqualTo("in default\n");
        assertThat(http("GET", "/api/v1/projects/default/repos/shared/files?ref=master&path=/f.txt", null).body())
                .isEqualTo("in default\n");
        JsonNode listed = JSON.readTree(http("GET", "/api/v1/projects/two/repos", null).body());
        assertThat(names(listed)).containsExactly("shared");
        assertThat(listed.get(0).get("project").asText()).isEqualTo("two");

        // a copy names another project's repo as project/repo, and copies no bytes
        HttpResponse<String> copied = http("POST", "/api/v1/repos/shared/files/copy",
                "{\"srcRepo\": \"two/shared\", \"srcPath\": \"/only-two.txt\", \"path\": \"/copied.txt\"}");
        assertThat(copied.statusCode()).as(copied.body()).isEqualTo(200);
        assertThat(daemon.ok("get", "file", "shared@master:/copied.txt").out()).isEqualTo("o\n");
        assertError(http("POST", "/api/v1/repos/shared/files/copy",
                "{\"srcRepo\": \"nosuch/shared\", \"srcPath\": \"/f.txt\", \"path\": \"/x.txt\"}"), 404, "no repo 'nosuch/shared'");
        assertError(http("POST", "/api/v1/repos/shared/files/copy",
                "{\"srcRepo\": \"a.b/shared\", \"srcPath\": \"/f.txt\", \"path\": \"/x.txt\"}"), 400, "invalid project name");

        // branches and deletes stay in their project
        daemon.ok("create", "branch", "shared@dev", "--head", "master", "--project", "two");
        assertThat(names(daemon.json("list", "branch", "shared", "--project", "two", "-o", "json"))).contains("dev");
        assertThat(names(daemon.json("list", "branch", "shared", "-o", "json"))).doesNotContain("dev");
        daemon.ok("delete", "repo", "shared", "--project", "two");
        assertThat(daemon.ok("get", "file", "shared@master:/f.txt").out()).isEqualTo("in default\n");
        daemon.ok("delete", "project", "two");
    }

    @Test
    void aPipelineReadsARepoOfAnotherProjectAndWritesIntoItsOwn() throws Exception {
        daemon.ok("create", "project", "staging");
        daemon.ok("create", "project", "ml");
        daemon.ok("create", "repo", "images");
        daemon.ok("create", "repo", "images", "--project", "staging");
        // Pachyderm's opencv edges-union shape: the same repo name in the default project and in another
        Path union = file("union.json", "{\"pipeline\": {\"name\": \"edges\"}, \"input\": {\"union\": ["
                + "{\"pfs\": {\"glob\": \"/*\", \"repo\": \"images\", \"project\": \"default\"}},"
                + "{\"pfs\": {\"glob\": \"/*\", \"repo\": \"images\", \"project\": \"staging\"}}]},"
                + " \"transform\": {\"cmd\": [\"sh\", \"-c\", \"cp /pfs/images/* /pfs/out/\"]}}");
        daemon.ok("create", "pipeline", "-f", union.toString(), "--project", "ml");
        // a second stage named by its spec's own project, reading the first stage's output repo in ml
        Path count = file("count.json", "{\"pipeline\": {\"name\": \"count\", \"project\": {\"name\": \"ml\"}},"
                + " \"input\": {\"pfs\": {\"glob\": \"/\", \"repo\": \"edges\"}},"
                + " \"transform\": {\"cmd\": [\"sh\", \"-c\", \"ls /pfs/edges | wc -l > /pfs/out/n\"]}}");
        daemon.ok("create", "pipeline", "-f", count.toString());

        JsonNode inspected = daemon.json("inspect", "pipeline", "edges", "--project", "ml", "-o", "json");
        assertThat(inspected.get("project").asText()).isEqualTo("ml");
        assertThat(inspected.get("spec").get("pipeline").get("project").get("name").asText()).isEqualTo("ml");
        assertThat(names(daemon.json("list", "pipeline", "--project", "ml", "-o", "json")))
                .containsExactly("count", "edges");
        assertThat(names(daemon.json("list", "pipeline", "-o", "json"))).doesNotContain("edges", "count");
        assertThat(daemon.fails("inspect", "pipeline", "edges").err()).contains("no pipeline 'edges'");

        daemon.ok("put", "file", "images@master:/a.png", "-f", file("a.png", "A").toString());
        daemon.ok("put", "file", "images@master:/b.png", "-f", file("b.png", "B").toString(), "--project", "staging");
        JsonNode put = daemon.json("inspect", "commit", "images@master", "--project", "staging", "-o", "json");
        String set = put.get("set").asText();
        assertThat(put.get("repo").asText()).isEqualTo("staging/images");

        // wait commit follows the set across the projects, to the last stage
        JsonNode done = daemon.json("wait", "commit", set, "--timeout", "120", "-o", "json");
        assertThat(done.get("complete").asBoolean()).isTrue();
        List<String> repos = new ArrayList<>();
        done.get("commits").forEach(c -> repos.add(c.get("repo").asText()));
        assertThat(repos).containsExactlyInAnyOrder("staging/images", "ml/edges", "ml/count");

        assertThat(daemon.ok("get", "file", "edges@master:/b.png", "--project", "ml").out()).isEqualTo("B");
        assertThat(daemon.ok("get", "file", "edges@master:/a.png", "--project", "ml").out()).isEqualTo("A");
        assertThat(daemon.ok("get", "file", "count@master:/n", "--project", "ml").out().strip()).isEqualTo("2");
        JsonNode out = daemon.json("inspect", "commit", "edges@" + set, "--project", "ml", "-o", "json");
        List<String> provenance = new ArrayList<>();
        out.get("provenance").forEach(c -> provenance.add(c.get("repo").asText() + "@" + c.get("id").asText()));
        assertThat(provenance).contains("staging/images@" + put.get("id").asText());
        assertThat(provenance).anyMatch(x -> x.startsWith("images@"));

        // jobs: listed per project, by pipeline within it
        JsonNode jobs = daemon.json("list", "job", "-p", "edges", "--project", "ml", "-o", "json");
        assertThat(jobs).isNotEmpty();
        jobs.forEach(j -> assertThat(j.get("pipeline").asText()).isEqualTo("ml/edges"));
        assertThat(daemon.json("list", "job", "--project", "ml", "-o", "json").size()).isGreaterThan(jobs.size());
        assertThat(daemon.json("list", "job", "-o", "json")).noneMatch(j -> j.get("pipeline").asText().startsWith("ml/"));
        assertThat(daemon.json("list", "job", set, "-o", "json")).isNotEmpty();
        JsonNode viaHttp = JSON.readTree(http("GET", "/api/v1/projects/ml/jobs?pipeline=count", null).body());
        assertThat(viaHttp).isNotEmpty();
        // a job is found by id on its own project's routes (and the default ones), not on another project's
        String edgesJob = jobs.get(0).get("id").asText();
        assertThat(http("GET", "/api/v1/projects/ml/jobs/" + edgesJob, null).statusCode()).isEqualTo(200);
        assertThat(http("GET", "/api/v1/jobs/" + edgesJob, null).statusCode()).isEqualTo(200);
        assertError(http("GET", "/api/v1/projects/staging/jobs/" + edgesJob, null), 404, "no job");
        assertError(http("POST", "/api/v1/projects/staging/jobs/" + edgesJob + "/stop", null), 404, "no job");
        assertError(http("GET", "/api/v1/projects/staging/jobs/" + edgesJob + "/datums", null), 404, "no job");
        assertThat(http("GET", "/api/v1/projects/ml/logs?job=" + edgesJob, null).statusCode()).isEqualTo(200);
        assertThat(http("GET", "/api/v1/logs?job=" + edgesJob, null).statusCode()).isEqualTo(200);
        assertError(http("GET", "/api/v1/projects/staging/logs?job=" + edgesJob, null), 404, "no job");

        // a repo another project's pipeline reads cannot go, nor can its project, even with force
        assertThat(daemon.fails("delete", "repo", "images", "--project", "staging").err()).contains("ml/edges");
        assertThat(daemon.fails("delete", "project", "staging", "--force").err()).contains("ml/edges");
        assertThat(daemon.ok("get", "file", "images@master:/b.png", "--project", "staging").out()).isEqualTo("B");
        // the lineage and DAG of the console name repos by project
        JsonNode lineage = JSON.readTree(http("GET", "/api/v1/projects/staging/repos/images/lineage?ref=master", null).body());
        List<String> downstream = new ArrayList<>();
        lineage.get("downstream").forEach(c -> downstream.add(c.get("repo").asText()));
        assertThat(downstream).contains("ml/edges", "ml/count");
        assertThat(lineage.get("edges").toString()).contains("staging/images@" + put.get("id").asText());
        JsonNode dag = JSON.readTree(http("GET", "/api/v1/dag", null).body());
        assertThat(names(dag.get("repos"))).contains("images", "staging/images", "ml/edges");
        // a commit set spanning three projects' repos is dropped as one
        JsonNode dropped = daemon.json("delete", "commit", set, "-o", "json");
        List<String> removed = new ArrayList<>();
        dropped.get("commits").forEach(c -> removed.add(c.get("repo").asText()));
        assertThat(removed).containsExactlyInAnyOrder("staging/images", "ml/edges", "ml/count");
        // the union had no job before staging/images had a commit, so each head was at its first commit of the
        // set and moves back to a new empty commit, as in Pachyderm; the default project's images is untouched
        assertThat(daemon.json("list", "file", "edges@master:/", "--project", "ml", "-o", "json")).isEmpty();
        assertThat(daemon.json("list", "file", "images@master:/", "--project", "staging", "-o", "json")).isEmpty();
        assertThat(daemon.ok("get", "file", "images@master:/a.png").out()).isEqualTo("A");

        daemon.ok("delete", "project", "ml", "--force");
        daemon.ok("delete", "project", "staging", "--force");
        assertThat(daemon.pfs().listRepos()).extracting(r -> r.qualified()).doesNotContain("staging/images", "ml/edges");
    }

    @Test
    void aCopyFromDefaultSlashRepoReadsTheDefaultProjectsRepo() throws Exception {
        daemon.ok("create", "project", "dst");
        daemon.ok("create", "repo", "plain");
        daemon.ok("create", "repo", "copies", "--project", "dst");
        daemon.ok("put", "file", "plain@master:/f", "-f", file("f.txt", "F").toString());
        HttpResponse<String> r = http("POST", "/api/v1/projects/dst/repos/copies/files/copy",
                "{\"srcRepo\": \"default/plain\", \"srcPath\": \"/f\", \"path\": \"/g\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(daemon.ok("get", "file", "copies@master:/g", "--project", "dst").out()).isEqualTo("F");
    }

    @Test
    void theCliCopiesFromAnotherProjectsRepoWithSrcProject() throws Exception {
        daemon.ok("create", "project", "ml2");
        daemon.ok("create", "repo", "src", "--project", "ml2");
        daemon.ok("create", "repo", "src"); // a repo of the same name in default, which must not be read
        daemon.ok("create", "repo", "dst", "--project", "ml2");
        daemon.ok("create", "repo", "plainDst");
        daemon.ok("put", "file", "src@master:/f", "-f", file("ml2-f.txt", "from ml2").toString(), "--project", "ml2");
        daemon.ok("put", "file", "src@master:/f", "-f", file("default-f.txt", "from default").toString());
        daemon.ok("copy", "file", "src@master:/f", "dst@master:/a", "--project", "ml2");
        daemon.ok("copy", "file", "src@master:/f", "dst@master:/b", "--project", "ml2", "--src-project", "default");
        daemon.ok("copy", "file", "src@master:/f", "plainDst@master:/c", "--src-project", "ml2");
        assertThat(daemon.ok("get", "file", "dst@master:/a", "--project", "ml2").out()).isEqualTo("from ml2");
        assertThat(daemon.ok("get", "file", "dst@master:/b", "--project", "ml2").out()).isEqualTo("from default");
        assertThat(daemon.ok("get", "file", "plainDst@master:/c").out()).isEqualTo("from ml2");
        TestDaemon.Run bad = TestDaemon.cli(daemon.address(), new byte[0], "copy", "file", "src@master:/f",
                "dst@master:/d", "--src-project", "no.such");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err().strip()).doesNotContain("Exception").contains("invalid project name 'no.such'");
        assertThat(bad.err().strip().lines()).hasSize(1);
    }

    @Test
    void projectsAndTheirPipelinesOutliveARestart() throws Exception {
        Path data = daemon.dir().resolve("restart");
        Path spec = file("ml-cp.json", "{\"pipeline\": {\"name\": \"cp\"}, \"transform\": {\"cmd\": [\"sh\", \"-c\","
                + " \"cp -r /pfs/in/. /pfs/out/\"]}, \"input\": {\"pfs\": {\"repo\": \"in\", \"glob\": \"/\"}}}");
        Path cron = file("ml-tick.json", "{\"pipeline\": {\"name\": \"tick\"}, \"transform\": {\"cmd\": [\"true\"]},"
                + " \"input\": {\"cron\": {\"name\": \"t\", \"spec\": \"@every 1h\"}}}");
        try (TestDaemon before = new TestDaemon(data)) {
            for (String[] args : List.of(new String[]{"create", "project", "ml", "-d", "models"},
                    new String[]{"create", "repo", "in", "--project", "ml"},
                    new String[]{"create", "pipeline", "-f", spec.toString(), "--project", "ml"},
                    new String[]{"create", "pipeline", "-f", cron.toString(), "--project", "ml"})) {
                TestDaemon.Run run = TestDaemon.cli(before.address(), new byte[0], args);
                assertThat(run.code()).as(String.join(" ", args) + ": " + run.err()).isZero();
            }
            before.commit("ml/in", "master", Map.of("/a", "a\n"));
            before.awaitJobs("ml/cp", "finish", jobs -> !jobs.isEmpty() && jobs.get(0).state().terminal());
        }
        assertThat(data.resolve("pfs/ml.in.git")).isDirectory();
        assertThat(data.resolve("pfs/ml.tick_t.git")).isDirectory();
        assertThat(data.resolve("pps/pipelines/ml.cp/spec-1.json")).isRegularFile();

        try (TestDaemon after = new TestDaemon(data)) {
            assertThat(after.pfs().inspectProject("ml").description()).isEqualTo("models");
            assertThat(after.pps().listPipeline("ml")).extracting(p -> p.name()).containsExactly("cp", "tick");
            assertThat(after.pfs().listRepos("ml")).extracting(r -> r.name()).containsExactlyInAnyOrder("in", "cp", "tick",
                    "tick_t");
            assertThat(after.pps().listPipeline("default")).isEmpty();
            after.commit("ml/in", "master", Map.of("/b", "b\n"));
            after.awaitJobs("ml/cp", "run again", jobs -> jobs.size() == 2 && jobs.get(0).state().terminal());
            assertThat(after.output("ml/cp")).containsOnlyKeys("/a", "/b");
            TestDaemon.Run ticked = TestDaemon.cli(after.address(), new byte[0], "run", "cron", "tick", "--project", "ml");
            assertThat(ticked.code()).as(ticked.err()).isZero();
            assertThat(after.pfs().listCommit("ml/tick_t", "master", 0)).hasSize(1);
        }
    }

    @Test
    void aDataDirLaidOutBeforeProjectsOpensWithEverythingInDefault() throws Exception {
        Path data = daemon.dir().resolve("old-layout");
        try (TestDaemon before = new TestDaemon(data)) {
            // made the way every data dir before projects was: no project anywhere
            TestDaemon.Run made = TestDaemon.cli(before.address(), new byte[0], "create", "repo", "raw");
            assertThat(made.code()).as(made.err()).isZero();
            before.commit("raw", "master", Map.of("/x.txt", "x\n"));
            Path spec = file("old.json", "{\"pipeline\": {\"name\": \"old\"}, \"transform\": {\"cmd\": [\"sh\", \"-c\","
                    + " \"cp -r /pfs/raw/. /pfs/out/\"]}, \"input\": {\"pfs\": {\"repo\": \"raw\", \"glob\": \"/\"}}}");
            before.pps().createPipeline(Files.readString(spec));
            before.awaitJobs("old", "finish", jobs -> !jobs.isEmpty() && jobs.get(0).state().terminal());
        }
        // the layout of before: one bare repo per data repo straight under pfs/, pipelines under pps/pipelines/
        assertThat(data.resolve("pfs/raw.git")).isDirectory();
        assertThat(data.resolve("pfs/old.git")).isDirectory();
        assertThat(data.resolve("pps/pipelines/old/spec-1.json")).isRegularFile();
        assertThat(data.resolve("pfs/projects")).doesNotExist();

        try (TestDaemon after = new TestDaemon(data)) {
            assertThat(names(JSON.readTree(TestDaemon.cli(after.address(), new byte[0], "list", "project", "-o", "json")
                    .out()))).containsExactly("default");
            JsonNode repos = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(after.address()
                    + "/api/v1/projects/default/repos")).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertThat(names(repos)).containsExactlyInAnyOrder("raw", "old");
            repos.forEach(r -> assertThat(r.get("project").asText()).isEqualTo("default"));
            TestDaemon.Run got = TestDaemon.cli(after.address(), new byte[0], "get", "file", "old@master:/x.txt",
                    "--project", "default");
            assertThat(got.out()).as(got.err()).isEqualTo("x\n");
            assertThat(after.pps().listPipeline("default")).extracting(p -> p.name()).containsExactly("old");
            // and it still runs: a new commit gets a job
            after.commit("raw", "master", Map.of("/y.txt", "y\n"));
            after.awaitJobs("old", "run again", jobs -> jobs.size() == 2 && jobs.get(0).state().terminal());
            assertThat(after.output("old")).containsOnlyKeys("/x.txt", "/y.txt");
        }
    }
}
