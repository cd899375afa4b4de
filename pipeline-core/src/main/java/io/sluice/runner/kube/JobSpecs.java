package io.sluice.runner.kube;

import io.fabric8.kubernetes.api.model.EnvFromSourceBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSecurityContextBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.sluice.runner.DatumTask;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Pure functions from a job's shape to the batch/v1 Job that runs its workers: names, labels, owner,
 * environment, resources, secret volumes, image pull secrets, user and working directory. Nothing here talks
 * to a cluster.
 */
final class JobSpecs {

    private JobSpecs() {
    }

    /**
     * The Job {@code name} of job {@code jobId} of {@code pipeline}; IllegalArgumentException (with a line
     * for the user) when a resource amount is not a Kubernetes quantity.
     */
    static Job job(String pipeline, String jobId, DatumTask.JobShape shape, String name, String namespace,
                   KubernetesJobRunner.Options options) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(KubernetesJobRunner.APP_LABEL, "sluice");
        labels.put(KubernetesJobRunner.PIPELINE_LABEL, labelValue(pipeline));
        labels.put(KubernetesJobRunner.JOB_LABEL, labelValue(jobId));
        labels.put(KubernetesJobRunner.RUN_LABEL, name);
        List<EnvVar> env = new ArrayList<>();
        env.add(new EnvVar("SLUICE_ADDRESS", options.daemonAddress(), null));
        env.add(new EnvVar("SLUICE_JOB_ID", jobId, null));
        env.add(new EnvVarBuilder().withName("SLUICE_WORKER_NAME")
                .withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endValueFrom()
                .build());
        new TreeMap<>(options.workerEnv()).forEach((k, v) -> env.add(new EnvVar(k, v, null)));
        shape.env().forEach((k, v) -> env.add(new EnvVar(k, v, null)));
        List<Volume> volumes = new ArrayList<>();
        List<VolumeMount> mounts = new ArrayList<>();
        // /pfs writable whatever user the image runs as, and gone with the pod
        volumes.add(new VolumeBuilder().withName("pfs").withNewEmptyDir().endEmptyDir().build());
        mounts.add(new VolumeMountBuilder().withName("pfs").withMountPath("/pfs").build());
        int n = 0;
        for (Map.Entry<String, String> secret : shape.secretMounts().entrySet()) {
            // as Pachyderm mounts them: every key of the Secret a file, read-only; named by index, as one
            // Secret may be mounted twice
            String volume = "secret-" + n++;
            volumes.add(new VolumeBuilder().withName(volume).withNewSecret().withSecretName(secret.getValue())
                    .endSecret().build());
            mounts.add(new VolumeMountBuilder().withName(volume).withMountPath(secret.getKey()).withReadOnly(true)
                    .build());
        }
        return new JobBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(labels)
                .withOwnerReferences(ownerReferences(options.owner())).endMetadata()
                .withNewSpec()
                .withParallelism(Math.max(1, shape.parallelism()))
                .withBackoffLimit(Math.max(0, shape.datumTries()))
                .withTtlSecondsAfterFinished(options.ttlSecondsAfterFinished())
                .withNewTemplate()
                .withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .withVolumes(volumes)
                .withImagePullSecrets(shape.imagePullSecrets().stream().map(LocalObjectReference::new).toList())
                .withSecurityContext(securityContext(shape.user()))
                .addNewContainer()
                .withName(KubernetesJobRunner.CONTAINER)
                .withImage(shape.image())
                .withCommand("sluice", "worker")
                .withWorkingDir(shape.workingDir().isEmpty() ? null : shape.workingDir())
                .withVolumeMounts(mounts)
                .withEnv(env)
                .withEnvFrom(options.envSecret() == null ? List.of()
                        : List.of(new EnvFromSourceBuilder().withNewSecretRef().withName(options.envSecret())
                                .endSecretRef().build()))
                .withNewResources()
                .withRequests(quantities("resource_requests", shape.resourceRequests()))
                .withLimits(quantities("resource_limits", shape.resourceLimits()))
                .endResources()
                .endContainer()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }

    /**
     * {@code transform.user} as the pod's security context: a uid, or uid:gid (the group is the uid when not
     * given, as Pachyderm sets it); null when unset. A name cannot be looked up in an image from here:
     * IllegalArgumentException with a line for the user.
     */
    static PodSecurityContext securityContext(String user) {
        if (user.isEmpty()) {
            return null;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,10})(?::(\\d{1,10}))?").matcher(user);
        if (!m.matches() || Long.parseLong(m.group(1)) > Integer.MAX_VALUE
                || (m.group(2) != null && Long.parseLong(m.group(2)) > Integer.MAX_VALUE)) {
            throw new IllegalArgumentException("transform.user '" + user + "' is not a uid or uid:gid; the"
                    + " Kubernetes runner sets it as the pod's runAsUser and runAsGroup, which take numbers");
        }
        long uid = Long.parseLong(m.group(1));
        long gid = m.group(2) == null ? uid : Long.parseLong(m.group(2));
        return new PodSecurityContextBuilder().withRunAsUser(uid).withRunAsGroup(gid).build();
    }

    private static List<OwnerReference> ownerReferences(KubernetesJobRunner.Owner owner) {
        if (owner == null) {
            return List.of();
        }
        // not blocking: deleting the daemon's pod must never wait for its Jobs
        return List.of(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Pod").withName(owner.podName())
                .withUid(owner.podUid()).withController(false).withBlockOwnerDeletion(false).build());
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

}
