package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import io.sluice.pfs.FileManifest;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Store integrity through a real daemon over HTTP and the CLI: damaged chunks, and ids never taken for branches. */
class StoreIntegrityIT {
    private static final ObjectMapper JSON = Json.mapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static HttpResponse<String> send(TestDaemon d, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(d.address + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode ok(TestDaemon d, String method, String path, String body) throws Exception {
        HttpResponse<String> r = send(d, method, path, body);
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isLessThan(300);
        return JSON.readTree(r.body());
    }

    private static Path chunkFile(Path data, FileManifest.Chunk c) {
        return data.resolve("objects").resolve(c.key());
    }

    @Test
    void aDamagedChunkIsNeverServedAsGoodBytesAndAPutOfTheSameBytesRepairsIt(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        byte[] bytes = new byte[12 << 20];
        new Random(12).nextBytes(bytes);
        Path local = dir.resolve("big");
        Files.write(local, bytes);
        try (TestDaemon d = new TestDaemon(data)) {
            assertThat(d.cli("create", "repo", "r").code()).isZero();
            assertThat(d.cli("put", "file", "r@master:/big", "-f", local.toString()).code()).isZero();
            List<FileManifest.Chunk> chunks = d.daemon.pfs().chunks("r", "master", "/big");
            assertThat(chunks.size()).isGreaterThanOrEqualTo(4);
            FileManifest.Chunk third = chunks.get(2);
            byte[] good = Files.readAllBytes(chunkFile(data, third));
            byte[] flipped = good.clone();
            flipped[good.length / 3] ^= 0x01;
            Files.write(chunkFile(data, third), flipped);
            long before = chunks.get(0).size() + chunks.get(1).size();

            // over HTTP: the body stops short of Content-Length and nothing of the third chunk is sent
            HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(
                    URI.create(d.address + "/api/v1/repos/r/files?ref=master&path=/big")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValueAsLong("Content-Length").orElse(-1)).isEqualTo(bytes.length);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            boolean failed = false;
            try (InputStream in = r.body()) {
                in.transferTo(got);
            } catch (IOException expected) {
                failed = true;
            }
            assertThat(failed || got.size() < bytes.length).as("the answer must not look complete").isTrue();
            assertThat(got.size()).isLessThanOrEqualTo((int) before);
            assertThat(got.toByteArray()).isEqualTo(Arrays.copyOf(bytes, got.size()));

            // the CLI: exit 1, one line naming the file and the chunk, no partial local file
            Path out = dir.resolve("back");
            TestDaemon.Run get = d.cli("get", "file", "r@master:/big", "-o", out.toString());
            assertThat(get.code()).isEqualTo(1);
            assertThat(get.err().strip().lines()).as(get.err()).hasSize(1);
            assertThat(get.err()).contains("r@master:/big").contains("chunk " + third.id()).contains("corrupt")
                    .doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(out).doesNotExist();
            try (var listing = Files.list(dir)) {
                assertThat(listing.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
            }

            // damage in the first chunk is refused before any header: an error answer, not a 200
            Files.write(chunkFile(data, third), good);
            Files.delete(chunkFile(data, chunks.get(0)));
            HttpResponse<String> refused = send(d, "GET", "/api/v1/repos/r/files?ref=master&path=/big", null);
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(refused.body()).get("error").asText())
                    .contains("r@master:/big: chunk " + chunks.get(0).id()).contains("missing");
            TestDaemon.Run stdout = d.cli("get", "file", "r@master:/big");
            assertThat(stdout.code()).isEqualTo(1);
            assertThat(stdout.err()).contains(chunks.get(0).id()).doesNotContain("Exception");
            assertThat(stdout.out()).isEmpty();

            // putting the same bytes again (under any name) repairs it
            assertThat(d.cli("put", "file", "r@master:/again", "-f", local.toString()).code()).isZero();
            assertThat(d.cli("get", "file", "r@master:/big", "-o", out.toString()).code()).isZero();
            assertThat(Files.readAllBytes(out)).isEqualTo(bytes);
            assertThat(ok(d, "POST", "/api/v1/fsck", "{}").get("ok").asBoolean()).isTrue();
        }
    }

    @Test
    void aBranchCannotBeNamedLikeACommitIdAndAJobReadsExactlyTheCommitItsProvenanceNames(@TempDir Path dir)
            throws Exception {
        Path data = dir.resolve("data");
        String first;
        String second;
        try (TestDaemon d = new TestDaemon(data)) {
            ok(d, "POST", "/api/v1/repos", "{\"name\": \"in\"}");
            first = ok(d, "PUT", "/api/v1/repos/in/files?branch=master&path=/f", "one").get("id").asText();
            second = ok(d, "PUT", "/api/v1/repos/in/files?branch=master&path=/f", "two").get("id").asText();
            HttpResponse<String> refused = send(d, "POST", "/api/v1/repos/in/branches",
                    "{\"name\": \"" + first + "\", \"head\": \"master\"}");
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
            assertThat(JSON.readTree(refused.body()).get("error").asText()).contains("commit id");
            assertThat(send(d, "PUT", "/api/v1/repos/in/files?branch=" + first + "&path=/g", "x").statusCode())
                    .isEqualTo(400);
            assertThat(ok(d, "GET", "/api/v1/repos/in/branches", null)).hasSize(1);
        }
        // a data dir from before the refusal may hold such a branch: it names the second commit, points at the first
        try (FileRepository git = (FileRepository) new FileRepositoryBuilder()
                .setGitDir(data.resolve("pfs/in.git").toFile()).setBare().build()) {
            ObjectId head = git.exactRef("refs/heads/master").getObjectId();
            RefUpdate u = git.updateRef("refs/heads/" + second);
            u.setNewObjectId(git.parseCommit(head).getParent(0).getId());
            assertThat(u.update()).isEqualTo(RefUpdate.Result.NEW);
        }
        try (TestDaemon d = new TestDaemon(data)) {
            HttpResponse<String> f = send(d, "GET", "/api/v1/repos/in/files?ref=" + second + "&path=/f", null);
            assertThat(f.body()).isEqualTo("two");
            ok(d, "POST", "/api/v1/pipelines", """
                    {"pipeline": {"name": "copy"},
                     "transform": {"cmd": ["sh", "-c", "cp -r /pfs/in/. /pfs/out/"]},
                     "input": {"pfs": {"repo": "in", "glob": "/"}}}""");
            JsonNode out = null;
            long deadline = System.currentTimeMillis() + 120_000;
            while (System.currentTimeMillis() < deadline) {
                HttpResponse<String> c = send(d, "GET", "/api/v1/repos/copy/commit?ref=master", null);
                if (c.statusCode() == 200 && !JSON.readTree(c.body()).get("provenance").isEmpty()) {
                    out = JSON.readTree(c.body());
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(out).as("the copy job's output commit").isNotNull();
            assertThat(out.get("provenance").toString()).contains(second).doesNotContain(first);
            String copied = send(d, "GET", "/api/v1/repos/copy/files?ref=" + out.get("id").asText() + "&path=/f", null)
                    .body();
            assertThat(copied).as("what the job read is the commit its provenance names").isEqualTo("two");
        }
    }
}
