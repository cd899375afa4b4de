package io.sluice.runner;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * Everything a runner needs to run user code over one datum: the transform (command, stdin lines, env,
 * image, resources), the exact files of the datum ({@code files}, each shown at
 * /pfs/&lt;input&gt;/&lt;path&gt;), the commit each input name was read from, and, for incremental
 * pipelines, the files of the previous output commit ({@code prev}, null otherwise) to show read-only at
 * /pfs/prev. File bytes come from {@code source}. {@code parallelism} ({@code parallelism_spec.constant})
 * and {@code datumTries} are the job's, for runners that size a job once (Kubernetes: worker pods and
 * their back-off limit); the local runner ignores them.
 */
public record DatumTask(String jobId, String pipeline, String datumId, int attempt, List<String> cmd,
                        List<String> stdin, Map<String, String> env, String image,
                        Map<String, String> resourceRequests, Map<String, String> resourceLimits,
                        List<InputFile> files, Map<String, String> inputCommits, List<InputFile> prev,
                        FileSource source, int parallelism, int datumTries) {

    /** A task of a job run with one worker and Pachyderm's default of 3 tries. */
    public DatumTask(String jobId, String pipeline, String datumId, int attempt, List<String> cmd,
                     List<String> stdin, Map<String, String> env, String image,
                     Map<String, String> resourceRequests, Map<String, String> resourceLimits,
                     List<InputFile> files, Map<String, String> inputCommits, List<InputFile> prev,
                     FileSource source) {
        this(jobId, pipeline, datumId, attempt, cmd, stdin, env, image, resourceRequests, resourceLimits, files,
                inputCommits, prev, source, 1, 3);
    }

    /** One file of a datum: which input shows it, and its repo, commit and path (absolute, "/a/b"). */
    public record InputFile(String input, String repo, String commit, String path, long size) {
    }

    /** Opens the bytes of one file of one commit. */
    @FunctionalInterface
    public interface FileSource {
        InputStream open(String repo, String commit, String path) throws IOException;
    }
}
