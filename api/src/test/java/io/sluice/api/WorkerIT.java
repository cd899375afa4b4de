package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.javalin.Javalin;
import io.sluice.Json;
import io.sluice.SluiceException;
import io.sluice.api.server.ApiServer;
import io.sluice.api.server.Daemon;
import io.sluice.api.server.DaemonConfig;
import io.sluice.runner.kube.MockCluster;
import io.sluice.storage.S3ProxyServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code sluice worker} for real: a daemon on an S3 store (S3Proxy in process) with the Kubernetes runner
 * pointed at fabric8's mock API server by a kubeconfig, a pipeline whose job becomes a Job there, and two
 * {@code sluice worker} processes started with exactly the environment the Job gives its pods (as the Job
 * controller would), each on its own /pfs directory. They download the datums' files, run the shell
 * transform, stream its logs, stage /pfs/out in S3; pps commits the outputs; the Job is deleted when the
 * job ends and the workers then exit 0.
 */
class WorkerIT {
    private static final ObjectMapper JSON = Json.mapper();
    private static final String NS = "pipelines";

    @RegisterExtension
    final MockCluster cluster = new MockCluster();

    @Test
    void workersCompleteAJobEndToEnd(@TempDir Path dir) throws Exception {
        Path kubeconfig = kubeconfig(dir, cluster.client().getConfiguration().getMasterUrl());
        int port = freePort();
        String address = "http://127.0.0.1:" + port;
        try (S3ProxyServer s3 = new S3ProxyServer(Files.createDirectories(dir.resolve("s3")))) {
            Map<String, String> env = new HashMap<>(s3.env());
            env.put("KUBECONFIG", kubeconfig.toString());
            DaemonConfig config = new DaemonConfig(dir.resolve("data"), "s3://sluice/chunks", "127.0.0.1", port,
                    List.of(), null, new DaemonConfig.Kubernetes(NS, address, null, 600));
            Daemon daemon = Daemon.open(config, env);
            Javalin app = ApiServer.create(daemon).start("127.0.0.1", port);
            try {
                assertThat(daemon.runner().describe()).contains("namespace " + NS);
                cli(address, "create", "repo", "words");
                for (String w : List.of("alpha", "beta", "gamma")) {
                    Path f = dir.resolve(w);
                    Files.writeString(f, w + "\n");
                    cli(address, "put", "file", "words@master:/" + w + ".txt", "-f", f.toString());
                }
                Path spec = dir.resolve("upper.json");
                Files.writeString(spec, """
                        {"pipeline": {"name": "upper"},
                         "transform": {"image": "registry.local/sluice-stages:test", "cmd": ["sh"],
                                       "stdin": ["for f in /pfs/words/*; do tr a-z A-Z < $f > /pfs/out/$(basename $f);",
                                                 "echo $GREETING $(basename $f) from $PACH_DATUM_ID; done"],
                                       "env": {"GREETING": "uppercased"}},
                         "input": {"pfs": {"repo": "words", "glob": "/*"}},
                         "parallelism_spec": {"constant": 2},
                         "resource_requests": {"cpu": "0.25", "memory": "64M"}}
                        """);
                cli(address, "create", "pipeline", "-f", spec.toString());

                Job job = awaitJob();
                assertThat(job.getSpec().getParallelism()).isEqualTo(2);
                var container = job.getSpec().getTemplate().getSpec().getContainers().get(0);
                assertThat(container.getImage()).isEqualTo("registry.local/sluice-stages:test");
                assertThat(container.getCommand()).containsExactly("sluice", "worker");
                Map<String, String> podEnv = new HashMap<>();
                for (EnvVar e : container.getEnv()) {
                    if (e.getValue() != null) {
                        podEnv.put(e.getName(), e.getValue());
                    }
                }
                assertThat(podEnv).containsEntry("SLUICE_ADDRESS", address).containsEntry("SLUICE_STORE", "s3://sluice/chunks")
                        .containsEntry("AWS_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY).containsEntry("GREETING", "uppercased");

                // the Job controller's part: two pods with the Job's environment, each its own /pfs
                List<Process> workers = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    workers.add(worker(podEnv, job.getMetadata().getName() + "-pod" + i,
                            Files.createDirectories(dir.resolve("pfs" + i)), dir.resolve("worker" + i + ".log")));
                }
                String jobId = podEnv.get("SLUICE_JOB_ID");
                TestDaemon.Run waited = TestDaemon.cli(address, new byte[0], "wait", "job", jobId, "--timeout", "120",
                        "-o", "json");
                assertThat(waited.code()).as("wait job: %s%nworker 0:%n%s%nworker 1:%n%s", waited.err(),
                        Files.readString(dir.resolve("worker0.log")), Files.readString(dir.resolve("worker1.log")))
                        .isZero();
                JsonNode ended = JSON.readTree(waited.out());
                assertThat(ended.get("state").asText()).isEqualTo("JOB_SUCCESS");
                // the workers read their inputs from the object store, never through the daemon
                JsonNode stats = JSON.readTree(HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create(address + "/api/v1/statistics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body());
                assertThat(stats.path("files.get").path("total calls").asLong(0)).isZero();
                assertThat(stats.path("workers.result").path("total calls").asLong()).isEqualTo(3);

                for (String w : List.of("alpha", "beta", "gamma")) {
                    assertThat(cli(address, "get", "file", "upper@master:/" + w + ".txt"))
                            .isEqualTo(w.toUpperCase() + "\n");
                }
                assertThat(cli(address, "logs", "-j", jobId)).contains("uppercased alpha.txt from ")
                        .contains("uppercased beta.txt from ").contains("uppercased gamma.txt from ");

                // the job ended: its Job is deleted, the staged outputs too, and the workers exit 0
                for (int i = 0; i < workers.size(); i++) {
                    assertThat(workers.get(i).waitFor(60, TimeUnit.SECONDS)).as("worker %d exits", i).isTrue();
                    String log = Files.readString(dir.resolve("worker" + i + ".log"));
                    assertThat(workers.get(i).exitValue()).as(log).isZero();
                    assertThat(log).contains("exiting");
                }
                // both are cleaned up after the job's end is recorded, so on a loaded machine they may lag a little
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline && !(cluster.client().batch().v1().jobs().inNamespace(NS).list().getItems().isEmpty()
                        && daemon.store().list("staging/").isEmpty())) {
                    Thread.sleep(100);
                }
                assertThat(cluster.client().batch().v1().jobs().inNamespace(NS).list().getItems()).isEmpty();
                assertThat(daemon.store().list("staging/")).isEmpty();
            } finally {
                app.stop();
                daemon.close();
            }
        }
    }

    @Test
    void aStoreThePodsCannotReachIsRefused(@TempDir Path dir) throws IOException {
        Map<String, String> env = Map.of("KUBECONFIG",
                kubeconfig(dir, cluster.client().getConfiguration().getMasterUrl()).toString());
        DaemonConfig config = new DaemonConfig(dir.resolve("data"), null, "127.0.0.1", 0, List.of(), null,
                new DaemonConfig.Kubernetes(NS, "http://sluice:5000", null, 600));
        assertThatThrownBy(() -> Daemon.open(config, env)).isInstanceOf(SluiceException.class)
                .hasMessageStartingWith("--runner kubernetes needs a store the pods reach, such as --store s3://");
    }

    @Test
    void noReachableClusterFailsFastWithOneLine(@TempDir Path dir) throws IOException {
        String gone = "http://127.0.0.1:" + freePort();
        Map<String, String> env = Map.of("KUBECONFIG", kubeconfig(dir, gone).toString());
        DaemonConfig config = new DaemonConfig(dir.resolve("data"), null, "127.0.0.1", 0, List.of(), null,
                new DaemonConfig.Kubernetes(null, "http://sluice:5000", null, 600));
        assertThatThrownBy(() -> Daemon.open(config, env)).isInstanceOf(SluiceException.class)
                .hasMessageStartingWith("no Kubernetes cluster reachable at " + gone);

        TestDaemon.Run up = TestDaemon.cli(Map.of("KUBECONFIG", kubeconfig(dir, gone).toString()), new byte[0],
                "up", "--no-demo", "--port", "0", "--data-dir", dir.resolve("data2").toString(),
                "--runner", "kubernetes", "--worker-address", "http://sluice:5000");
        assertThat(up.code()).isEqualTo(1);
        assertThat(up.err()).startsWith("sluice: no Kubernetes cluster reachable at " + gone);
        assertThat(up.err().strip().lines().count()).isEqualTo(1);
    }

    private Job awaitJob() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            List<Job> jobs = cluster.client().batch().v1().jobs().inNamespace(NS).list().getItems();
            if (!jobs.isEmpty()) {
                return jobs.get(0);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no Job was created");
    }

    private static Process worker(Map<String, String> podEnv, String podName, Path pfs, Path log) throws IOException {
        Path home = TestDaemon.HOME;
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", home.resolve("api/target/api.jar") + ":" + home.resolve("api/target/lib/*"),
                "io.sluice.api.Main", "worker", "--pfs", pfs.toString(), "--wait", "2")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(podEnv);
        pb.environment().put("SLUICE_WORKER_NAME", podName);
        return pb.start();
    }

    private static String cli(String address, String... args) {
        TestDaemon.Run run = TestDaemon.cli(address, new byte[0], args);
        assertThat(run.code()).as("sluice %s: %s", String.join(" ", args), run.err()).isZero();
        return run.out();
    }

    private static Path kubeconfig(Path dir, String server) throws IOException {
        Path file = dir.resolve("kubeconfig-" + Math.abs(server.hashCode()));
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: test
                  cluster:
                    server: %s
                    insecure-skip-tls-verify: true
                contexts:
                - name: test
                  context:
                    cluster: test
                current-context: test
                """.formatted(server), StandardCharsets.UTF_8);
        return file;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
