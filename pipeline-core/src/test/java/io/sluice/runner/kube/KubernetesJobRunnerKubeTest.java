package io.sluice.runner.kube;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sluice.SluiceException;
import io.sluice.runner.DatumResult;
import io.sluice.runner.DatumTask;
import io.sluice.runner.exec.DatumCommand;
import io.sluice.runner.exec.InputFile;
import io.sluice.storage.MemObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Kubernetes runner against fabric8's mock API server in CRUD mode. The mock runs no controllers, so
 * the test plays the Job controller (it creates pods from the Job's template and sets their status) and
 * the pods' {@code sluice worker} (it takes tasks from the work queue, stages outputs and reports).
 */
class KubernetesJobRunnerKubeTest {
    private static final String NS = "pipelines";

    @RegisterExtension
    final MockCluster cluster = new MockCluster();
    private KubernetesClient client;

    private final WorkQueue queue = new WorkQueue();
    private final MemObjectStore store = new MemObjectStore();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private KubernetesJobRunner runner;

    @BeforeEach
    void start() {
        client = cluster.client();
        runner = new KubernetesJobRunner(client, new KubernetesJobRunner.Options(NS, "http://sluice.pipelines:5000",
                Map.of("SLUICE_STORE", "s3://chunks/sluice", "AWS_ENDPOINT_URL_S3", "http://minio:9000"), "sluice-minio", 600,
                new KubernetesJobRunner.Owner("sluice-7d9f-x2", "1f0c-uid")), queue, store,
                (repo, commit, path) -> "locator:" + repo + "@" + commit + ":" + path);
    }

    @AfterEach
    void stop() throws InterruptedException {
        runner.close();
        pool.shutdownNow();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).as("every runner call ended").isTrue();
    }

    private static DatumTask task(String jobId, String datum, int attempt, String image, Map<String, String> requests) {
        Map<String, String> env = Map.of("LEARNING_RATE", "0.01");
        return new DatumTask(jobId, "train", datum, attempt, DatumCommand.of(List.of("sh", "-c", "cp /pfs/in/* /pfs/out/"),
                List.of(), env, jobId, datum, Map.of("in", "c0ffee")), Map.of("in", "c0ffee"),
                List.of(new InputFile("in", "training", "c0ffee", "/a.txt", 3)), null, f -> InputStream.nullInputStream(),
                new DatumTask.JobShape(image, env, requests, Map.of("memory", "128M"), 3, 4));
    }

    private static final class Logs implements io.sluice.runner.JobRunner.LogSink {
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void line(String stream, String message) {
            lines.add(stream + ": " + message);
        }
    }

    private Future<DatumResult> submit(DatumTask task, Logs logs) {
        return pool.submit(() -> runner.run(task, logs));
    }

    private List<Job> jobs() {
        return client.batch().v1().jobs().inNamespace(NS).list().getItems();
    }

    private static <T> T eventually(Supplier<T> probe) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("timed out");
    }

    private Job theJob() throws InterruptedException {
        return eventually(() -> jobs().size() == 1 ? jobs().get(0) : null);
    }

    /** What the Job controller would do: one pod from the Job's template. */
    private Pod podOf(Job job, String name) {
        Pod pod = new PodBuilder().withNewMetadata().withName(name).withNamespace(NS)
                .withLabels(job.getSpec().getTemplate().getMetadata().getLabels()).endMetadata()
                .withSpec(job.getSpec().getTemplate().getSpec()).withNewStatus().withPhase("Running").endStatus()
                .build();
        return client.pods().inNamespace(NS).resource(pod).create();
    }

    private WorkerTask take(String jobId, String worker) throws Exception {
        WorkQueue.Poll poll = queue.next(jobId, worker, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        assertThat(poll).isInstanceOf(WorkQueue.Assigned.class);
        return ((WorkQueue.Assigned) poll).task();
    }

    @Test
    void oneJobPerSluiceJobWithTheSpecsImageEnvResourcesLabelsAndParallelism() throws Exception {
        Logs logs = new Logs();
        Future<DatumResult> first = submit(task("job1", "d1", 1, "registry.local/sluice-train:1",
                Map.of("cpu", "0.5", "memory", "64M")), logs);
        Future<DatumResult> second = submit(task("job1", "d2", 1, "registry.local/sluice-train:1",
                Map.of("cpu", "0.5", "memory", "64M")), logs);
        Job job = theJob();

        assertThat(job.getMetadata().getName()).matches("sluice-train-job1-[a-z0-9]{4}");
        assertThat(job.getMetadata().getLabels()).containsEntry("app", "sluice").containsEntry("sluice/pipeline", "train")
                .containsEntry("sluice/job", "job1").containsEntry("sluice/run", job.getMetadata().getName());
        assertThat(job.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("Pod");
            assertThat(o.getName()).isEqualTo("sluice-7d9f-x2");
            assertThat(o.getUid()).isEqualTo("1f0c-uid");
            assertThat(o.getBlockOwnerDeletion()).isFalse();
        });
        assertThat(job.getSpec().getParallelism()).isEqualTo(3);
        assertThat(job.getSpec().getBackoffLimit()).isEqualTo(4);
        assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(600);
        var pod = job.getSpec().getTemplate();
        assertThat(pod.getMetadata().getLabels()).isEqualTo(job.getMetadata().getLabels());
        assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
        assertThat(pod.getSpec().getContainers()).hasSize(1);
        var container = pod.getSpec().getContainers().get(0);
        assertThat(container.getImage()).isEqualTo("registry.local/sluice-train:1");
        assertThat(container.getCommand()).containsExactly("sluice", "worker");
        assertThat(container.getVolumeMounts()).singleElement().satisfies(m -> assertThat(m.getMountPath()).isEqualTo("/pfs"));
        assertThat(pod.getSpec().getVolumes()).singleElement().satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());
        Map<String, String> env = new java.util.HashMap<>();
        for (EnvVar e : container.getEnv()) {
            env.put(e.getName(), e.getValue() != null ? e.getValue() : "fieldRef:" + e.getValueFrom().getFieldRef().getFieldPath());
        }
        assertThat(env).containsEntry("SLUICE_ADDRESS", "http://sluice.pipelines:5000").containsEntry("SLUICE_JOB_ID", "job1")
                .containsEntry("SLUICE_WORKER_NAME", "fieldRef:metadata.name").containsEntry("SLUICE_STORE", "s3://chunks/sluice")
                .containsEntry("AWS_ENDPOINT_URL_S3", "http://minio:9000").containsEntry("LEARNING_RATE", "0.01");
        assertThat(container.getEnvFrom()).singleElement()
                .satisfies(from -> assertThat(from.getSecretRef().getName()).isEqualTo("sluice-minio"));
        assertThat(container.getResources().getRequests()).containsEntry("cpu", new Quantity("0.5"))
                .containsEntry("memory", new Quantity("64M"));
        assertThat(container.getResources().getLimits()).containsEntry("memory", new Quantity("128M"));

        // two pods serve the two datums; each stages one output and reports it
        for (String worker : List.of("pod-a", "pod-b")) {
            WorkerTask t = take("job1", worker);
            assertThat(t.command().cmd()).containsExactly("sh", "-c", "cp /pfs/in/* /pfs/out/");
            assertThat(t.files()).extracting(f -> f.file().path()).containsExactly("/a.txt");
            assertThat(t.files().get(0).locator()).isEqualTo("locator:training@c0ffee:/a.txt");
            assertThat(t.staging()).isEqualTo("staging/job1/" + t.taskId() + "/");
            store.put(t.staging() + "0", ("model of " + t.datumId()).getBytes(StandardCharsets.UTF_8));
            queue.log("job1", t.taskId(), "stdout", "trained " + t.datumId());
            queue.complete("job1", t.taskId(), new WorkerResult(0, null, List.of("/model/" + t.datumId())));
        }
        for (Future<DatumResult> f : List.of(first, second)) {
            DatumResult r = f.get(10, TimeUnit.SECONDS);
            assertThat(r.success()).isTrue();
            String path = r.output().paths().get(0);
            try (InputStream in = r.output().open(path)) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("model of " + path.substring(7));
            }
        }
        assertThat(logs.lines).containsExactlyInAnyOrder("stdout: trained d1", "stdout: trained d2");
        assertThat(jobs()).hasSize(1);

        // release: the Job is deleted, the staged outputs too, and polling workers are told to exit
        runner.release("job1");
        assertThat(jobs()).isEmpty();
        assertThat(store.list("staging/")).isEmpty();
        assertThat(queue.next("job1", "pod-a", Duration.ofSeconds(1)).get()).isInstanceOf(WorkQueue.Gone.class);
    }

    @Test
    void aFailedPodFailsTheDatumItHeldWithTheEndOfItsLog() throws Exception {
        Future<DatumResult> result = submit(task("job2", "d1", 1, "img:1", Map.of()), new Logs());
        Job job = theJob();
        Pod pod = podOf(job, job.getMetadata().getName() + "-x1y2z");
        cluster.server().expect().get().withPath("/api/v1/namespaces/" + NS + "/pods/" + pod.getMetadata().getName()
                + "/log?pretty=false&tailLines=20").andReturn(200, "loading model\njava.lang.OutOfMemoryError: Java heap space\n")
                .always();
        take("job2", pod.getMetadata().getName());

        pod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Failed")
                .addNewContainerStatus().withName("user").withNewState().withNewTerminated().withExitCode(137)
                .withReason("OOMKilled").endTerminated().endState().endContainerStatus().build());
        client.pods().inNamespace(NS).resource(pod).updateStatus();

        DatumResult r = result.get(10, TimeUnit.SECONDS);
        assertThat(r.success()).isFalse();
        assertThat(r.error()).contains("worker pod " + pod.getMetadata().getName() + " failed (OOMKilled, exit code 137)")
                .contains("java.lang.OutOfMemoryError: Java heap space");

        // the retry is queued for the replacement pod and succeeds there
        Future<DatumResult> retry = submit(task("job2", "d1", 2, "img:1", Map.of()), new Logs());
        WorkerTask t = take("job2", "replacement");
        assertThat(t.attempt()).isEqualTo(2);
        queue.complete("job2", t.taskId(), new WorkerResult(0, null, List.of()));
        assertThat(retry.get(10, TimeUnit.SECONDS).success()).isTrue();
    }

    @Test
    void aJobThatCannotRunFailsEveryDatum() throws Exception {
        Future<DatumResult> first = submit(task("job3", "d1", 1, "img:missing", Map.of()), new Logs());
        Job job = theJob();
        Pod pod = podOf(job, job.getMetadata().getName() + "-aaaaa");
        pod.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Pending")
                .addNewContainerStatus().withName("user").withNewState().withNewWaiting().withReason("ErrImagePull")
                .withMessage("pull access denied for img").endWaiting().endState().endContainerStatus().build());
        client.pods().inNamespace(NS).resource(pod).updateStatus();
        DatumResult r = first.get(10, TimeUnit.SECONDS);
        assertThat(r.success()).isFalse();
        assertThat(r.error()).contains("cannot start its container: ErrImagePull: pull access denied for img");
        // later datums of the job fail at once instead of waiting for a pod that will never come
        assertThat(runner.run(task("job3", "d2", 1, "img:missing", Map.of()), new Logs()).error()).contains("ErrImagePull");

        // a Job that the controller gave up on fails its datums too
        Future<DatumResult> other = submit(task("job4", "d1", 1, "img:1", Map.of()), new Logs());
        Job job4 = eventually(() -> jobs().stream().filter(j -> "job4".equals(j.getMetadata().getLabels().get("sluice/job")))
                .findFirst().orElse(null));
        job4.setStatus(new io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder().addNewCondition().withType("Failed")
                .withStatus("True").withReason("BackoffLimitExceeded").withMessage("Job has reached the specified backoff limit")
                .endCondition().build());
        client.batch().v1().jobs().inNamespace(NS).resource(job4).updateStatus();
        assertThat(other.get(10, TimeUnit.SECONDS).error()).contains("failed: BackoffLimitExceeded");
    }

    @Test
    void stoppingAJobDeletesItsKubernetesJob() throws Exception {
        CompletableFuture<Thread> runnerThread = new CompletableFuture<>();
        Future<DatumResult> result = pool.submit(() -> {
            runnerThread.complete(Thread.currentThread());
            return runner.run(task("job5", "d1", 1, "img:1", Map.of()), new Logs());
        });
        theJob();
        Thread.sleep(300); // let run() get past creating the Job and wait for its worker
        runnerThread.get().interrupt();
        assertThatThrownBy(() -> result.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(InterruptedException.class);
        assertThat(jobs()).isEmpty();
        // the withdrawn task is not handed to a worker any more
        assertThat(queue.next("job5", "late", Duration.ofMillis(200)).get()).isNotInstanceOf(WorkQueue.Assigned.class);
    }

    @Test
    void badSpecsFailTheDatumWithoutAJob() throws Exception {
        DatumResult noImage = runner.run(task("job6", "d1", 1, null, Map.of()), new Logs());
        assertThat(noImage.error()).contains("has no transform.image");
        DatumResult badMemory = runner.run(task("job7", "d1", 1, "img:1", Map.of("memory", "lots")), new Logs());
        assertThat(badMemory.error()).contains("resource_requests.memory 'lots' is not a Kubernetes quantity");
        assertThat(jobs()).isEmpty();
    }

    @Test
    void secretsPullSecretsUserAndWorkingDirAreThePodsOwn() throws Exception {
        DatumTask plain = task("job8", "d1", 1, "registry.local/query:1", Map.of());
        DatumCommand command = plain.command().withUser("1000:2000")
                .withPolicy(new DatumCommand.Policy(List.of(3), List.of(), List.of(), 0, "/work"))
                .withSecretFiles(Map.of("/tmp/mongosecret", Map.of("uri", "mongodb://db")));
        DatumTask.JobShape shape = new DatumTask.JobShape("registry.local/query:1", Map.of(), Map.of(), Map.of(), 1, 3,
                new java.util.LinkedHashMap<>(Map.of("/tmp/mongosecret", "mongosecret")), List.of("regcred"), "1000:2000", "/work");
        Future<DatumResult> result = submit(new DatumTask("job8", "query", "d1", 1, command, plain.inputCommits(),
                plain.files(), null, plain.source(), shape), new Logs());
        Job job = theJob();
        var pod = job.getSpec().getTemplate().getSpec();
        var container = pod.getContainers().get(0);
        assertThat(pod.getImagePullSecrets()).extracting(r -> r.getName()).containsExactly("regcred");
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(1000L);
        assertThat(pod.getSecurityContext().getRunAsGroup()).isEqualTo(2000L);
        assertThat(container.getWorkingDir()).isEqualTo("/work");
        assertThat(pod.getVolumes()).filteredOn(v -> v.getSecret() != null).singleElement().satisfies(v -> {
            assertThat(v.getSecret().getSecretName()).isEqualTo("mongosecret");
            assertThat(container.getVolumeMounts()).filteredOn(m -> m.getName().equals(v.getName())).singleElement()
                    .satisfies(m -> {
                        assertThat(m.getMountPath()).isEqualTo("/tmp/mongosecret");
                        assertThat(m.getReadOnly()).isTrue();
                    });
        });
        assertThat(container.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/pfs");

        // the pod has them, so the task carries neither the secret's bytes nor a working-directory wrapper
        WorkerTask t = take("job8", "pod-q");
        assertThat(t.command().secretFiles()).isEmpty();
        assertThat(t.command().policy().workingDir()).isEmpty();
        assertThat(t.command().policy().acceptReturnCode()).containsExactly(3);
        assertThat(t.command().inWorkingDir().cmd()).containsExactly("sh", "-c", "cp /pfs/in/* /pfs/out/");
        queue.complete("job8", t.taskId(), new WorkerResult(0, null, List.of()));
        assertThat(result.get(10, TimeUnit.SECONDS).success()).isTrue();

        // a user name cannot be looked up in an image from here: the job fails in one line, no Job is made
        runner.release("job8");
        DatumTask.JobShape named = new DatumTask.JobShape("img:1", Map.of(), Map.of(), Map.of(), 1, 3, Map.of(), List.of(),
                "postgres", "");
        DatumResult byName = runner.run(new DatumTask("job9", "query", "d1", 1, plain.command(), plain.inputCommits(),
                plain.files(), null, plain.source(), named), new Logs());
        assertThat(byName.success()).isFalse();
        assertThat(byName.error()).contains("transform.user 'postgres' is not a uid or uid:gid");
        assertThat(jobs()).isEmpty();
        assertThat(JobSpecs.securityContext("7").getRunAsGroup()).as("the group is the uid, as Pachyderm sets it").isEqualTo(7L);
        assertThat(JobSpecs.securityContext("")).isNull();
    }

    @Test
    void jobNamesAreDnsLabels() {
        String name = JobSpecs.jobName("My_Very.Long-Pipeline-Name-That-Goes-On-And-On-Forever",
                "0123456789abcdef0123456789abcdef");
        assertThat(name).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?").hasSizeLessThanOrEqualTo(52)
                .startsWith("sluice-my-very-long-pipeline-name-tha-01234567-");
        assertThat(JobSpecs.labelValue("-a/b" + "x".repeat(80))).matches("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
                .hasSizeLessThanOrEqualTo(63);
    }

    @Test
    void noReachableClusterFailsFastWithOneLine(@TempDir Path dir) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path kubeconfig = dir.resolve("config");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: gone
                  cluster:
                    server: http://127.0.0.1:%d
                contexts:
                - name: gone
                  context:
                    cluster: gone
                    namespace: pipelines
                current-context: gone
                """.formatted(port));
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> KubernetesJobRunner.connect(Map.of("KUBECONFIG", kubeconfig.toString()),
                new KubernetesJobRunner.Options(null, "http://sluice:5000", Map.of(), null, 600, null), queue, store,
                (repo, commit, path) -> ""))
                .isInstanceOf(SluiceException.class)
                .satisfies(e -> {
                    assertThat(((SluiceException) e).kind()).isEqualTo(SluiceException.Kind.UNAVAILABLE);
                    assertThat(e.getMessage()).startsWith("no Kubernetes cluster reachable at http://127.0.0.1:" + port)
                            .doesNotContain("\n");
                });
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }
}
