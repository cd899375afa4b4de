package io.sluice.runner;

import io.sluice.runner.exec.DatumCommand;
import io.sluice.runner.exec.DatumWork;
import io.sluice.runner.exec.FileSource;
import io.sluice.runner.exec.InputFile;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything a runner needs to run user code over one datum: the command as user code sees it, the commit
 * each input name was read from, the exact files of the datum ({@code files}, each shown at
 * /pfs/&lt;input&gt;/&lt;path&gt;), for incremental pipelines the files of the previous output commit
 * ({@code prev}, null otherwise) to show read-only at /pfs/prev, where file bytes come from
 * ({@code source}), and the job's {@link JobShape} for runners that size a job once.
 */
public record DatumTask(String jobId, String pipeline, String datumId, int attempt, DatumCommand command,
                        Map<String, String> inputCommits, List<InputFile> files, List<InputFile> prev,
                        FileSource source, JobShape shape) {

    /**
     * What a runner that sizes a whole job at once needs (Kubernetes: the image, {@code transform.env} for
     * the pod, resources, {@code parallelism_spec.constant} worker pods, a back-off limit of
     * {@code datum_tries}, the secrets mounted as volumes ({@code secretMounts}: mount path, then secret
     * name), {@code transform.image_pull_secrets}, and {@code transform.user} and {@code working_dir}, empty
     * when unset); the local runner ignores it.
     */
    public record JobShape(String image, Map<String, String> env, Map<String, String> resourceRequests,
                           Map<String, String> resourceLimits, int parallelism, int datumTries,
                           Map<String, String> secretMounts, List<String> imagePullSecrets, String user,
                           String workingDir) {

        /** A shape with no secrets, pull secrets, user or working directory. */
        public JobShape(String image, Map<String, String> env, Map<String, String> resourceRequests,
                        Map<String, String> resourceLimits, int parallelism, int datumTries) {
            this(image, env, resourceRequests, resourceLimits, parallelism, datumTries, Map.of(), List.of(), "", "");
        }

        /** No image or resources, one worker, Pachyderm's default of 3 tries. */
        public static JobShape local() {
            return new JobShape(null, Map.of(), Map.of(), Map.of(), 1, 3);
        }
    }

    /** This task as the datum executor runs it, with {@code dir} for the datum's own files. */
    public DatumWork work(Path dir) {
        return new DatumWork(jobId, datumId, dir, command, inputCommits.keySet(), files, prev);
    }
}
