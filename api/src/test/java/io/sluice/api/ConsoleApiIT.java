package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.FileBatch;
import io.sluice.pps.JobInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web console's server side over real HTTP: the page and its WebJars at "/", the read endpoints it adds
 * (DAG, spec versions, lineage both ways), paging of commits and jobs, and the token rule for its assets.
 */
class ConsoleApiIT {
    private static final ObjectMapper JSON = Json.mapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String COPY = """
            {"pipeline": {"name": "copy"},
             "transform": {"cmd": ["sh", "-c", "cp -r /pfs/in/. /pfs/out/"]},
             "input": {"pfs": {"repo": "in", "glob": "/"}}}
            """;

    @Test
    void dagVersionsLineageAndPaging(@TempDir Path dir) throws Exception {
        try (TestDaemon d = new TestDaemon(dir)) {
            d.daemon.pfs().createRepo("in", "");
            d.daemon.pfs().createRepo("alone", "read by nobody");
            d.daemon.pps().createPipeline(COPY);
            CommitInfo first = put(d, "/a.txt", "one");
            JobInfo firstJob = awaitJobFor(d, first);
            CommitInfo second = put(d, "/b.txt", "two");
            JobInfo secondJob = awaitJobFor(d, second);

            JsonNode dag = get(d, "/api/v1/dag", 200);
            assertThat(field(dag.get("repos"), "name")).containsExactlyInAnyOrder("in", "alone", "copy");
            JsonNode copy = dag.get("pipelines").get(0);
            assertThat(copy.get("name").asText()).isEqualTo("copy");
            assertThat(copy.get("inputs").toString()).isEqualTo("[\"in\"]");
            assertThat(copy.get("output").asText()).isEqualTo("copy");
            assertThat(copy.get("lastJobState").asText()).isEqualTo("JOB_SUCCESS");

            d.daemon.pps().updatePipeline("copy", COPY.replace("cp -r", "cp -R"), false);
            JsonNode versions = get(d, "/api/v1/pipelines/copy/versions", 200);
            assertThat(versions.findValuesAsText("version")).containsExactly("2", "1");
            assertThat(versions.get(0).at("/spec/transform/cmd/2").asText()).startsWith("cp -R");
            assertThat(versions.get(1).at("/spec/transform/cmd/2").asText()).startsWith("cp -r");
            assertThat(get(d, "/api/v1/pipelines/nope/versions", 404).get("error").asText()).contains("nope");

            // downstream of the first input commit: exactly the output of its job, with the edge between them
            JsonNode down = get(d, "/api/v1/repos/in/lineage?ref=" + first.id(), 200);
            assertThat(down.get("upstream")).isEmpty();
            assertThat(field(down.get("downstream"), "id")).as(down.toString()).containsExactly(firstJob.output().id());
            assertThat(down.get("edges").toString()).isEqualTo(
                    "[{\"from\":\"in@" + first.id() + "\",\"to\":\"copy@" + firstJob.output().id() + "\"}]");
            JsonNode up = get(d, "/api/v1/repos/copy/lineage?ref=" + secondJob.output().id(), 200);
            assertThat(field(up.get("upstream"), "id")).containsExactly(second.id());
            assertThat(up.get("downstream")).isEmpty();
            assertThat(get(d, "/api/v1/repos/in/lineage", 400).get("error").asText()).contains("ref");
            assertThat(get(d, "/api/v1/repos/in/lineage?ref=nosuchbranch", 404).has("error")).isTrue();

            // one page at a time, newest first, with the next page after it
            List<String> all = field(get(d, "/api/v1/repos/in/commits", 200), "id");
            assertThat(all).containsExactly(second.id(), first.id());
            assertThat(field(get(d, "/api/v1/repos/in/commits?limit=1", 200), "id")).containsExactly(second.id());
            assertThat(field(get(d, "/api/v1/repos/in/commits?limit=1&offset=1", 200), "id")).containsExactly(first.id());
            assertThat(get(d, "/api/v1/repos/in/commits?limit=5&offset=2", 200)).isEmpty();
            List<String> jobs = d.daemon.pps().listJob("copy").stream().map(JobInfo::id).toList();
            assertThat(jobs).contains(firstJob.id(), secondJob.id());
            assertThat(field(get(d, "/api/v1/jobs?pipeline=copy&limit=1", 200), "id")).isEqualTo(jobs.subList(0, 1));
            assertThat(field(get(d, "/api/v1/jobs?limit=1&offset=1", 200), "id")).isEqualTo(jobs.subList(1, 2));
            assertThat(field(get(d, "/api/v1/jobs?limit=2&offset=0", 200), "id")).isEqualTo(jobs.subList(0, 2));
            assertThat(get(d, "/api/v1/jobs?offset=-1", 400).get("error").asText()).contains("offset");
        }
    }

    @Test
    void aLineageListsTheNewestHundredDerivedCommitsAndSaysSoWhenThereAreMore(@TempDir Path dir) throws Exception {
        try (TestDaemon d = new TestDaemon(dir)) {
            d.daemon.pfs().createRepo("in", "");
            d.daemon.pfs().createRepo("derived", "written with in's commit as provenance, as a job would");
            CommitInfo source = put(d, "/a.txt", "one");
            List<String> derived = new ArrayList<>();
            for (int i = 0; i < 101; i++) {
                try (FileBatch batch = d.daemon.pfs().openBatch("derived", "master", "derived " + i, List.of(source.ref()))) {
                    batch.put("/n", new ByteArrayInputStream(String.valueOf(i).getBytes(StandardCharsets.UTF_8)), false);
                    derived.add(0, batch.commit().id());
                }
            }
            JsonNode lineage = get(d, "/api/v1/repos/in/lineage?ref=" + source.id(), 200);
            assertThat(field(lineage.get("downstream"), "id")).isEqualTo(derived.subList(0, 100));
            assertThat(lineage.get("truncated").asBoolean()).isTrue();
            JsonNode one = get(d, "/api/v1/repos/derived/lineage?ref=" + derived.get(0), 200);
            assertThat(field(one.get("upstream"), "id")).containsExactly(source.id());
            assertThat(one.get("truncated").asBoolean()).isFalse();
        }
    }

    @Test
    void aCommitWhoseUpstreamRepoWasDeletedStillHasALineage(@TempDir Path dir) throws Exception {
        try (TestDaemon d = new TestDaemon(dir)) {
            d.daemon.pfs().createRepo("in", "");
            d.daemon.pfs().createRepo("derived", "computed from a repo deleted since, as after a pipeline's update");
            CommitInfo source = put(d, "/a.txt", "one");
            String id;
            try (FileBatch batch = d.daemon.pfs().openBatch("derived", "master", "derived", List.of(source.ref()))) {
                batch.put("/n", new ByteArrayInputStream("1".getBytes(StandardCharsets.UTF_8)), false);
                id = batch.commit().id();
            }
            d.daemon.pps().deleteRepo("in");
            JsonNode lineage = get(d, "/api/v1/repos/derived/lineage?ref=" + id, 200);
            assertThat(lineage.get("commit").get("id").asText()).isEqualTo(id);
            assertThat(lineage.get("upstream")).isEmpty();
        }
    }

    @Test
    void thePageAndItsLibrariesLoadWithoutTheTokenButNoDataDoes(@TempDir Path dir) throws Exception {
        try (TestDaemon d = new TestDaemon(dir, null, "s3cret")) {
            HttpResponse<String> page = raw(d, "/");
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
            Matcher imports = Pattern.compile("\"(/webjars/[^\"]+)\"").matcher(page.body());
            List<String> libraries = new ArrayList<>();
            while (imports.find()) {
                libraries.add(imports.group(1));
            }
            assertThat(libraries).anyMatch(p -> p.contains("cytoscape")).anyMatch(p -> p.contains("uplot"));
            for (String library : libraries) {
                HttpResponse<String> js = raw(d, library);
                assertThat(js.statusCode()).as(library).isEqualTo(200);
                assertThat(js.body().length()).as(library).isGreaterThan(1000);
            }
            Matcher appJs = Pattern.compile("src=\"(/console/[0-9a-f]{12}/app\\.js)\"").matcher(page.body());
            assertThat(appJs.find()).as("the page names app.js at a content-named URL").isTrue();
            HttpResponse<String> app = raw(d, appJs.group(1));
            assertThat(app.statusCode()).isEqualTo(200);
            assertThat(app.body()).contains("import");
            // content-named, so cached for good, and gzipped for a browser that accepts it
            assertThat(app.headers().firstValue("Cache-Control").orElse("")).contains("immutable");
            HttpResponse<byte[]> zipped = HTTP.send(HttpRequest.newBuilder(URI.create(d.address + libraries.get(0)))
                    .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(zipped.headers().firstValue("Content-Encoding")).contains("gzip");
            byte[] unzipped = new GZIPInputStream(new ByteArrayInputStream(zipped.body())).readAllBytes();
            assertThat(new String(unzipped, StandardCharsets.UTF_8)).isEqualTo(raw(d, libraries.get(0)).body());
            assertThat(zipped.body().length).isLessThan(unzipped.length / 2);
            assertThat(raw(d, "/console/000000000000/app.js").statusCode()).isEqualTo(404);
            assertThat(raw(d, "/api/v1/dag").statusCode()).isEqualTo(401);
            assertThat(raw(d, "/console/../api/v1/repos").statusCode()).isNotEqualTo(200);
            assertThat(raw(d, "/console/nosuchfile.js").statusCode()).isEqualTo(404);
        }
    }

    /** The field of each element of an array (not of anything nested in them). */
    private static List<String> field(JsonNode array, String name) {
        List<String> out = new ArrayList<>();
        array.forEach(e -> out.add(e.get(name).asText()));
        return out;
    }

    private static CommitInfo put(TestDaemon d, String path, String text) {
        return d.daemon.pfs().putFile("in", "master", path, new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), false);
    }

    private static JobInfo awaitJobFor(TestDaemon d, CommitInfo input) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            for (JobInfo j : d.daemon.pps().listJob("copy")) {
                if (j.inputs().stream().anyMatch(i -> i.id().equals(input.id())) && j.output() != null) {
                    return j;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no finished copy job for " + input.id());
    }

    private static HttpResponse<String> raw(TestDaemon d, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(d.address + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode get(TestDaemon d, String path, int status) throws Exception {
        HttpResponse<String> r = raw(d, path);
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(status);
        return JSON.readTree(r.body());
    }
}
