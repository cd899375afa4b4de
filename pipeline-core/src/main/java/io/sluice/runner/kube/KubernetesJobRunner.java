package io.sluice.runner.kube;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.EnvFromSourceBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.sluice.SluiceException;
import io.sluice.pfs.FileManifest;
import io.sluice.runner.DatumResult;
import io.sluice.runner.DatumTask;
import io.sluice.runner.JobRunner;
import io.sluice.storage.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs each job's datums in worker pods of one batch/v1 Job per job, created on the job's first datum:
 * the pods run the pipeline's {@code transform.image} with {@code sluice worker}, which polls the daemon
 * (at {@link Options#daemonAddress}) for the tasks this runner puts in the {@link WorkQueue}, stages its
 * /pfs/out files in the object store and reports back; {@link #run} blocks until then. The Job has
 * {@code parallelism_spec.constant} pods, the pipeline's resource requests and limits, {@code transform.env}
 * and the worker environment (store URI and credentials, or a Secret holding them), {@code restartPolicy: Never}, a back-off limit of
 * {@code datum_tries} and a TTL after it finishes. A pod that fails or vanishes fails the datum it held
 * with the end of its log; a pod that cannot start its container, or a Job that fails, fails every datum
 * of the job. The Job is deleted when its job is released or stopped, and is owned by the daemon's pod when
 * the daemon runs in the cluster.
 */
public final class KubernetesJobRunner implements JobRunner {

    /**
     * Where Jobs go, how their pods reach the daemon, what extra environment they get (plain values, and
     * every key of the Secret {@code envSecret} when not null, so credentials stay out of Job specs), how
     * long a finished Job is kept, and the daemon's own pod when it runs in the cluster (null otherwise).
     */
    public record Options(String namespace, String daemonAddress, Map<String, String> workerEnv, String envSecret,
                          int ttlSecondsAfterFinished, Owner owner) {
    }

    /**
     * The daemon's pod, the owner of every Job it creates: when that pod goes (deleted, evicted, replaced by
     * a rollout) Kubernetes garbage-collects its Jobs and their worker pods, so none works for a daemon that
     * is gone; the daemon that replaces it runs the unfinished jobs again with Jobs of its own.
     */
    public record Owner(String podName, String podUid) {
        /** From {@code SLUICE_POD_NAME} and {@code SLUICE_POD_UID} (the downward API); null unless both are set. */
        public static Owner fromEnv(Map<String, String> env) {
            String name = env.get("SLUICE_POD_NAME");
            String uid = env.get("SLUICE_POD_UID");
            return name == null || name.isEmpty() || uid == null || uid.isEmpty() ? null : new Owner(name, uid);
        }
    }

    public static final String APP_LABEL = "app";
    public static final String PIPELINE_LABEL = "sluice/pipeline";
    public static final String JOB_LABEL = "sluice/job";
    /** The label naming the Kubernetes Job a worker pod belongs to; the runner watches pods by it. */
    public static final String RUN_LABEL = "sluice/run";
    public static final String CONTAINER = "user";
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesJobRunner.class);
    private static final int LOG_TAIL_LINES = 20;
    /** Container states in which a pod will never run its worker without someone fixing the spec or image. */
    private static final Set<String> STUCK = Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName",
            "CreateContainerConfigError", "CreateContainerError");

    private final KubernetesClient client;
    private final boolean ownsClient;
    private final String namespace;
    private final Options options;
    private final WorkQueue queue;
    private final ObjectStore store;
    private final Chunks chunks;
    private final Map<String, Handle> handles = new ConcurrentHashMap<>();

    /** One Kubernetes Job of one Sluice job, and the watches on it. */
    private static final class Handle {
        final String jobId;
        final String name;
        final List<Watch> watches = new ArrayList<>();
        volatile String lastPodFailure;

        Handle(String jobId, String name) {
            this.jobId = jobId;
            this.name = name;
        }
    }

    /** Where the chunks of one file of one commit are (pfs knows: {@code PfsService::chunks}). */
    @FunctionalInterface
    public interface Chunks {
        List<FileManifest.Chunk> chunks(String repo, String commit, String path);
    }

    /**
     * A runner on {@code client}; fails with UNAVAILABLE (one line) when the cluster cannot be reached or
     * refuses to list Jobs in the namespace. {@code client} stays the caller's.
     */
    public KubernetesJobRunner(KubernetesClient client, Options options, WorkQueue queue, ObjectStore store,
                               Chunks chunks) {
        this(client, false, options, queue, store, chunks);
    }

    private KubernetesJobRunner(KubernetesClient client, boolean ownsClient, Options options, WorkQueue queue,
                                ObjectStore store, Chunks chunks) {
        this.client = client;
        this.chunks = chunks;
        this.ownsClient = ownsClient;
        this.namespace = options.namespace() != null && !options.namespace().isBlank() ? options.namespace()
                : client.getNamespace() != null ? client.getNamespace() : "default";
        this.options = options;
        this.queue = queue;
        this.store = store;
        String master = String.valueOf(client.getConfiguration().getMasterUrl());
        try {
            client.batch().v1().jobs().inNamespace(namespace).list(new ListOptionsBuilder().withLimit(1L).build());
        } catch (KubernetesClientException e) {
            if (ownsClient) {
                client.close();
            }
            if (e.getCode() == 401 || e.getCode() == 403) {
                throw SluiceException.unavailable("the Kubernetes cluster at " + master + " does not let Sluice list"
                        + " Jobs in namespace " + namespace + ": " + rootMessage(e), e);
            }
            throw SluiceException.unavailable("no Kubernetes cluster reachable at " + master + ": " + rootMessage(e), e);
        }
        LOG.info("Kubernetes runner: {}", describe());
    }

    /**
     * Connects with the kubeconfig that {@code env} names ({@code KUBECONFIG}, its first existing file),
     * else fabric8's defaults ({@code ~/.kube/config}, then the in-cluster service account), and returns a
     * runner owning that client; fails fast with one line when no cluster answers.
     */
    public static KubernetesJobRunner connect(Map<String, String> env, Options options, WorkQueue queue,
                                              ObjectStore store, Chunks chunks) {
        Config config;
        try {
            String kubeconfig = env.get("KUBECONFIG");
            if (kubeconfig != null && !kubeconfig.isBlank()) {
                File file = null;
                for (String candidate : kubeconfig.split(File.pathSeparator)) {
                    if (!candidate.isBlank() && new File(candidate).isFile()) {
                        file = new File(candidate);
                        break;
                    }
                }
                if (file == null) {
                    throw SluiceException.unavailable("no Kubernetes cluster reachable: KUBECONFIG names no readable"
                            + " file (" + kubeconfig + ")", null);
                }
                config = Config.fromKubeconfig(file);
            } else {
                config = Config.autoConfigure(null);
            }
        } catch (KubernetesClientException e) {
            throw SluiceException.unavailable("no Kubernetes cluster reachable: cannot read its configuration: "
                    + rootMessage(e), e);
        }
        // fail fast at start; fabric8's default of 10 retries takes minutes to give up on a missing cluster
        config.setRequestRetryBackoffLimit(2);
        config.setConnectionTimeout(5_000);
        return new KubernetesJobRunner(new KubernetesClientBuilder().withConfig(config).build(), true, options,
                queue, store, chunks);
    }

    public String namespace() {
        return namespace;
    }

    @Override
    public String describe() {
        return "Kubernetes Jobs in namespace " + namespace + " at " + client.getConfiguration().getMasterUrl()
                + " (workers report to " + options.daemonAddress() + ")";
    }

    @Override
    public DatumResult run(DatumTask task, LogSink logs) throws InterruptedException {
        if (task.image() == null || task.image().isBlank()) {
            return DatumResult.failed(-1, "pipeline " + task.pipeline() + " has no transform.image; the Kubernetes"
                    + " runner runs every datum in that container image");
        }
        try {
            handles.computeIfAbsent(task.jobId(), id -> start(task));
        } catch (KubernetesClientException e) {
            if (interrupted(e)) {
                throw new InterruptedException("stopped while creating the Kubernetes Job of job " + task.jobId());
            }
            throw SluiceException.unavailable("the Kubernetes cluster failed while starting job " + task.jobId()
                    + ": " + rootMessage(e), e);
        }
        String taskId = task.datumId() + "-" + task.attempt();
        WorkerTask wire = new WorkerTask(task.jobId(), taskId, task.datumId(), task.attempt(), task.cmd(),
                task.stdin(), task.env(), withChunks(task.files()), task.inputCommits(),
                task.prev() == null ? null : withChunks(task.prev()), stagingPrefix(task.jobId()) + taskId + "/");
        WorkQueue.Pending pending = queue.submit(wire, logs);
        WorkerResult result;
        try {
            result = pending.result().get();
        } catch (InterruptedException e) {
            queue.cancel(pending);
            stop(task.jobId());
            throw e;
        } catch (ExecutionException | CancellationException e) {
            result = WorkerResult.failed("the task was withdrawn: " + e);
        }
        if (!result.success()) {
            return DatumResult.failed(result.exitCode(), result.error());
        }
        return new DatumResult(true, 0, null, staged(wire.staging(), result.outputs()));
    }

    /** The staged outputs of one task: output {@code i} of {@code paths} is the object {@code prefix + i}. */
    private DatumResult.Output staged(String prefix, List<String> paths) {
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < paths.size(); i++) {
            index.put(paths.get(i), i);
        }
        List<String> sorted = paths.stream().sorted().toList();
        return new DatumResult.Output() {
            @Override
            public List<String> paths() {
                return sorted;
            }

            @Override
            public InputStream open(String path) throws IOException {
                Integer i = index.get(path);
                if (i == null) {
                    throw new java.nio.file.NoSuchFileException(path);
                }
                return store.get(prefix + i, 0, -1);
            }
        };
    }

    private Handle start(DatumTask task) {
        queue.open(task.jobId());
        Handle h = new Handle(task.jobId(), jobName(task.pipeline(), task.jobId()));
        Job job;
        try {
            job = jobSpec(task, h.name);
        } catch (IllegalArgumentException e) {
            queue.fail(task.jobId(), e.getMessage());
            return h;
        }
        try {
            client.batch().v1().jobs().inNamespace(namespace).resource(job).create();
        } catch (KubernetesClientException e) {
            if (interrupted(e)) {
                // the Job may exist all the same: its workers find the queue closed, exit, and its TTL removes it
                queue.close(task.jobId());
                throw e;
            }
            if (e.getCode() == 400 || e.getCode() == 422) {
                // the spec is the user's (image name, resources): a failed job, not a broken runner
                queue.fail(task.jobId(), "Kubernetes refused Job " + h.name + ": " + rootMessage(e));
                return h;
            }
            queue.close(task.jobId());
            throw SluiceException.unavailable("cannot create Kubernetes Job " + h.name + " in namespace "
                    + namespace + ": " + rootMessage(e), e);
        }
        LOG.info("job {} of pipeline {}: Kubernetes Job {} with {} worker pod(s) of {}", task.jobId(),
                task.pipeline(), h.name, task.parallelism(), task.image());
        try {
            watch(h);
        } catch (KubernetesClientException e) {
            h.watches.forEach(Watch::close);
            delete(h.name);
            queue.close(task.jobId());
            throw e;
        }
        return h;
    }

    private void watch(Handle h) {
        h.watches.add(client.pods().inNamespace(namespace).withLabel(RUN_LABEL, h.name).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Pod pod) {
                podChanged(h, action, pod);
            }

            @Override
            public void onClose(WatcherException cause) {
                LOG.warn("watch on the pods of Kubernetes Job {} closed: {}", h.name, cause.getMessage());
            }
        }));
        h.watches.add(client.batch().v1().jobs().inNamespace(namespace).withName(h.name).watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Job changed) {
                jobChanged(h, changed);
            }

            @Override
            public void onClose(WatcherException cause) {
                LOG.warn("watch on Kubernetes Job {} closed: {}", h.name, cause.getMessage());
            }
        }));
    }

    /** The files with their chunks, so that workers read inputs from the object store, not through the daemon. */
    private List<WorkerTask.WorkerFile> withChunks(List<DatumTask.InputFile> files) {
        List<WorkerTask.WorkerFile> out = new ArrayList<>(files.size());
        for (DatumTask.InputFile f : files) {
            out.add(new WorkerTask.WorkerFile(f, chunks.chunks(f.repo(), f.commit(), f.path())));
        }
        return out;
    }

    private List<OwnerReference> ownerReferences() {
        Owner owner = options.owner();
        if (owner == null) {
            return List.of();
        }
        // not blocking: deleting the daemon's pod must never wait for its Jobs
        return List.of(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Pod").withName(owner.podName())
                .withUid(owner.podUid()).withController(false).withBlockOwnerDeletion(false).build());
    }

    private Job jobSpec(DatumTask task, String name) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(APP_LABEL, "sluice");
        labels.put(PIPELINE_LABEL, labelValue(task.pipeline()));
        labels.put(JOB_LABEL, labelValue(task.jobId()));
        labels.put(RUN_LABEL, name);
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVar("SLUICE_ADDRESS", options.daemonAddress(), null));
        env.add(new EnvVar("SLUICE_JOB_ID", task.jobId(), null));
        env.add(new EnvVarBuilder().withName("SLUICE_WORKER_NAME")
                .withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endValueFrom()
                .build());
        new TreeMap<>(options.workerEnv()).forEach((k, v) -> env.add(new EnvVar(k, v, null)));
        task.env().forEach((k, v) -> env.add(new EnvVar(k, v, null)));
        return new JobBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels)
                .withOwnerReferences(ownerReferences()).endMetadata()
                .withNewSpec()
                .withParallelism(Math.max(1, task.parallelism()))
                .withBackoffLimit(Math.max(0, task.datumTries()))
                .withTtlSecondsAfterFinished(options.ttlSecondsAfterFinished())
                .withNewTemplate()
                .withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                // /pfs writable whatever user the image runs as, and gone with the pod
                .addNewVolume().withName("pfs").withNewEmptyDir().endEmptyDir().endVolume()
                .addNewContainer()
                .withName(CONTAINER)
                .withImage(task.image())
                .withCommand("sluice", "worker")
                .addNewVolumeMount().withName("pfs").withMountPath("/pfs").endVolumeMount()
                .withEnv(env)
                .withEnvFrom(options.envSecret() == null ? List.of()
                        : List.of(new EnvFromSourceBuilder().withNewSecretRef().withName(options.envSecret())
                                .endSecretRef().build()))
                .withNewResources()
                .withRequests(quantities("resource_requests", task.resourceRequests()))
                .withLimits(quantities("resource_limits", task.resourceLimits()))
                .endResources()
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    private static Map<String, Quantity> quantities(String field, Map<String, String> amounts) {
        Map<String, Quantity> out = new LinkedHashMap<>();
        amounts.forEach((resource, amount) -> {
            Quantity q = new Quantity(amount);
            try {
                Quantity.getAmountInBytes(q);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new IllegalArgumentException(field + "." + resource + " '" + amount
                        + "' is not a Kubernetes quantity (e.g. cpu \"0.5\", memory \"64M\")");
            }
            out.put(resource, q);
        });
        return out;
    }

    private void podChanged(Handle h, Watcher.Action action, Pod pod) {
        String podName = pod.getMetadata().getName();
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Failed".equals(phase) || action == Watcher.Action.DELETED) {
            if (!"Failed".equals(phase) && !queue.holds(h.jobId, podName)) {
                return;
            }
            String why = "worker pod " + podName + (action == Watcher.Action.DELETED && !"Failed".equals(phase)
                    ? " was deleted" : " failed" + termination(pod));
            String log = podLog(podName);
            String reason = why + (log.isEmpty() ? "" : "; the end of its log:\n" + log);
            h.lastPodFailure = reason;
            queue.workerLost(h.jobId, podName, reason);
            return;
        }
        if (pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null) {
            for (ContainerStatus cs : pod.getStatus().getContainerStatuses()) {
                if (cs.getState() != null && cs.getState().getWaiting() != null
                        && STUCK.contains(cs.getState().getWaiting().getReason())) {
                    queue.fail(h.jobId, "worker pod " + podName + " cannot start its container: "
                            + cs.getState().getWaiting().getReason() + ": " + cs.getState().getWaiting().getMessage());
                }
            }
        }
    }

    private void jobChanged(Handle h, Job job) {
        if (job.getStatus() == null || job.getStatus().getConditions() == null) {
            return;
        }
        for (JobCondition c : job.getStatus().getConditions()) {
            if ("Failed".equals(c.getType()) && "True".equals(c.getStatus())) {
                String last = h.lastPodFailure;
                queue.fail(h.jobId, "Kubernetes Job " + h.name + " failed: " + c.getReason() + ": " + c.getMessage()
                        + (last == null ? "" : "; " + last));
            }
        }
    }

    private static String termination(Pod pod) {
        if (pod.getStatus().getContainerStatuses() != null) {
            for (ContainerStatus cs : pod.getStatus().getContainerStatuses()) {
                if (cs.getState() != null && cs.getState().getTerminated() != null) {
                    var t = cs.getState().getTerminated();
                    return " (" + (t.getReason() == null ? "terminated" : t.getReason()) + ", exit code "
                            + t.getExitCode() + ")";
                }
            }
        }
        String reason = pod.getStatus().getReason();
        return reason == null ? "" : " (" + reason + ")";
    }

    private String podLog(String podName) {
        try {
            String log = client.pods().inNamespace(namespace).withName(podName).tailingLines(LOG_TAIL_LINES).getLog();
            return log == null ? "" : log.strip();
        } catch (KubernetesClientException e) {
            return "(its log is unavailable: " + rootMessage(e) + ")";
        }
    }

    /** Deletes the Kubernetes Job of {@code jobId} (its pods go with it) and stops watching it. */
    private void stop(String jobId) {
        Handle h = handles.remove(jobId);
        if (h == null) {
            return;
        }
        h.watches.forEach(Watch::close);
        delete(h.name);
    }

    private void delete(String name) {
        // a stopped job's thread is interrupted, which would abort the very request that stops its pods
        boolean interrupted = Thread.interrupted();
        try {
            client.batch().v1().jobs().inNamespace(namespace).withName(name)
                    .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
            LOG.info("deleted Kubernetes Job {}", name);
        } catch (KubernetesClientException e) {
            LOG.warn("cannot delete Kubernetes Job {} (its TTL will): {}", name, rootMessage(e));
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void release(String jobId) {
        queue.close(jobId);
        stop(jobId);
        try {
            for (String key : store.list(stagingPrefix(jobId))) {
                store.delete(key);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot delete the staged outputs of job {}: {}", jobId, e.getMessage());
        }
    }

    @Override
    public void close() {
        for (String jobId : List.copyOf(handles.keySet())) {
            queue.close(jobId);
            stop(jobId);
        }
        if (ownsClient) {
            client.close();
        }
    }

    /** Where a job's workers stage their outputs until pps has committed them. */
    public static String stagingPrefix(String jobId) {
        return "staging/" + jobId + "/";
    }

    /** {@code sluice-<pipeline>-<job id>-<random>}: a DNS label, unique even when a job is run again. */
    static String jobName(String pipeline, String jobId) {
        String p = pipeline.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
        p = p.substring(0, Math.min(p.length(), 30)).replaceAll("^-+|-+$", "");
        String j = jobId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        j = j.substring(0, Math.min(j.length(), 8));
        StringBuilder suffix = new StringBuilder();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < 4; i++) {
            suffix.append("abcdefghijklmnopqrstuvwxyz0123456789".charAt(random.nextInt(36)));
        }
        return "sluice-" + (p.isEmpty() ? "" : p + "-") + (j.isEmpty() ? "" : j + "-") + suffix;
    }

    /** {@code s} as a valid label value: at most 63 characters of [A-Za-z0-9_.-], alphanumeric at both ends. */
    static String labelValue(String s) {
        String v = s.replaceAll("[^A-Za-z0-9_.-]", "-");
        v = v.substring(0, Math.min(v.length(), 63));
        return v.replaceAll("^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "");
    }

    private static boolean interrupted(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof InterruptedException) {
                return true;
            }
        }
        return Thread.currentThread().isInterrupted();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
        if (t != e && e.getMessage() != null && !e.getMessage().startsWith("An error has occurred")) {
            m = e.getMessage() + " (" + m + ")";
        }
        return m.replaceAll("\\s+", " ").strip();
    }
}
