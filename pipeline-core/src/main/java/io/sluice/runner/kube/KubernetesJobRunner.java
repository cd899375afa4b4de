package io.sluice.runner.kube;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.sluice.SluiceException;
import io.sluice.runner.DatumResult;
import io.sluice.runner.DatumTask;
import io.sluice.runner.JobRunner;
import io.sluice.runner.exec.DatumCommand;
import io.sluice.runner.exec.InputFile;
import io.sluice.runner.exec.OutputSink;
import io.sluice.storage.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Runs each job's datums in worker pods of one batch/v1 Job per job, created on the job's first datum:
 * the pods run the pipeline's {@code transform.image} with {@code sluice worker}, which polls the daemon
 * (at {@link Options#daemonAddress}) for the tasks this runner puts in the {@link WorkQueue}, stages its
 * /pfs/out files in the object store and reports back; {@link #run} blocks until then. The Job has
 * {@code parallelism_spec.constant} pods, the pipeline's resource requests and limits, {@code transform.env}
 * and the worker environment (store URI and credentials, or a Secret holding them), {@code restartPolicy: Never}, a back-off limit of
 * {@code datum_tries} and a TTL after it finishes; {@code transform.secrets} with a mount_path are Secret
 * volumes (the Kubernetes Secret of that name must exist in the namespace, as {@code pachctl create secret}
 * makes it), {@code image_pull_secrets} the pod's imagePullSecrets, a numeric {@code transform.user} its
 * runAsUser and runAsGroup (a name fails the job) and {@code working_dir} the container's workingDir. A pod that fails or vanishes fails the datum it held
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
    private final Locator locator;
    private final Map<String, Handle> handles = new ConcurrentHashMap<>();

    /** One Kubernetes Job of one Sluice job, and the watches on it. */
    private static final class Handle {
        final String jobId;
        final String name;
        final List<Watch> watches = new ArrayList<>();
        volatile String lastPodFailure;
        /** Set before the Job is deleted: what its watches report from then on is the runner's own doing. */
        volatile boolean stopping;

        Handle(String jobId, String name) {
            this.jobId = jobId;
            this.name = name;
        }
    }

    /** The opaque locator of one file of one commit that a worker opens against the store (pfs makes it). */
    @FunctionalInterface
    public interface Locator {
        String locate(String repo, String commit, String path);
    }

    /**
     * A runner on {@code client}; fails with UNAVAILABLE (one line) when the cluster cannot be reached or
     * refuses to list Jobs in the namespace. {@code client} stays the caller's.
     */
    public KubernetesJobRunner(KubernetesClient client, Options options, WorkQueue queue, ObjectStore store,
                               Locator locator) {
        this(client, false, options, queue, store, locator);
    }

    private KubernetesJobRunner(KubernetesClient client, boolean ownsClient, Options options, WorkQueue queue,
                                ObjectStore store, Locator locator) {
        this.client = client;
        this.locator = locator;
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
                                              ObjectStore store, Locator locator) {
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
                queue, store, locator);
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
        if (task.shape().image() == null || task.shape().image().isBlank()) {
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
        WorkerTask wire = new WorkerTask(task.jobId(), taskId, task.datumId(), task.attempt(), onPod(task.command()),
                task.inputCommits(), located(task.files()), task.prev() == null ? null : located(task.prev()),
                stagingPrefix(task.jobId()) + taskId + "/");
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
            return result.recovered() ? DatumResult.recovered(result.exitCode(), result.error())
                    : DatumResult.failed(result.exitCode(), result.error());
        }
        return new DatumResult(true, 0, null, OutputSink.staged(store, wire.staging(), result.outputs()));
    }

    /**
     * The command as a worker pod runs it: its secret files and working directory are the pod's own (secret
     * volumes, the container's workingDir), so neither travels with the task.
     */
    private static DatumCommand onPod(DatumCommand c) {
        DatumCommand.Policy p = c.policy();
        return c.withSecretFiles(Map.of())
                .withPolicy(new DatumCommand.Policy(p.acceptReturnCode(), p.errCmd(), p.errStdin(), p.timeoutMillis(), ""));
    }

    private Handle start(DatumTask task) {
        queue.open(task.jobId());
        Handle h = new Handle(task.jobId(), JobSpecs.jobName(task.pipeline(), task.jobId()));
        Job job;
        try {
            job = JobSpecs.job(task.pipeline(), task.jobId(), task.shape(), h.name, namespace, options);
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
                task.pipeline(), h.name, task.shape().parallelism(), task.shape().image());
        try {
            watch(h);
        } catch (KubernetesClientException e) {
            h.stopping = true;
            delete(h.name);
            h.watches.forEach(Watch::close);
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

    /** The files with their locators, so that workers read inputs from the object store, not through the daemon. */
    private List<WorkerTask.WorkerFile> located(List<InputFile> files) {
        List<WorkerTask.WorkerFile> out = new ArrayList<>(files.size());
        for (InputFile f : files) {
            out.add(new WorkerTask.WorkerFile(f, locator.locate(f.repo(), f.commit(), f.path())));
        }
        return out;
    }

    private void podChanged(Handle h, Watcher.Action action, Pod pod) {
        if (h.stopping) {
            return;
        }
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
        if (h.stopping || job.getStatus() == null || job.getStatus().getConditions() == null) {
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

    /**
     * Deletes the Kubernetes Job of {@code jobId} (its pods go with it), then stops watching it. In that order
     * so no watch is closing while the API server sends it the deletion: fabric8's mock API server can stall
     * its event loop for 30 s on exactly that overlap (its watch's close waits for a send that waits for the
     * event loop), and a real server gains nothing from the other order, as the events are ignored anyway.
     */
    private void stop(String jobId) {
        Handle h = handles.remove(jobId);
        if (h == null) {
            return;
        }
        h.stopping = true;
        delete(h.name);
        h.watches.forEach(Watch::close);
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
        stop(jobId);
        try {
            for (String key : store.list(stagingPrefix(jobId))) {
                store.delete(key);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot delete the staged outputs of job {}: {}", jobId, e.getMessage());
        }
        // last: a worker told to exit finds its Job and the staged outputs already gone
        queue.close(jobId);
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
