package io.sluice.runner.kube;

import java.util.List;

/**
 * What a worker reports for one task: the command's exit code, an error when it failed (null on success),
 * the paths of /pfs/out it staged, as absolute repo paths in staging order, and whether a failed run was
 * recovered by {@code transform.err_cmd}.
 */
public record WorkerResult(int exitCode, String error, List<String> outputs, boolean recovered) {

    /** A result that was not recovered. */
    public WorkerResult(int exitCode, String error, List<String> outputs) {
        this(exitCode, error, outputs, false);
    }

    /** A failure that is not the command's exit (a lost pod, a job that ended). */
    public static WorkerResult failed(String error) {
        return new WorkerResult(-1, error, List.of());
    }

    public boolean success() {
        return exitCode == 0 && error == null;
    }
}
