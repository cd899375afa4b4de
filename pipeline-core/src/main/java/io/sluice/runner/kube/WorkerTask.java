package io.sluice.runner.kube;

import io.sluice.runner.exec.DatumCommand;
import io.sluice.runner.exec.InputFile;

import java.util.List;
import java.util.Map;

/**
 * One datum as the daemon hands it to a worker: what to run, the commit each input name was read from,
 * the files to show at /pfs/&lt;input&gt; (and /pfs/prev, null when none), each with an opaque locator the
 * worker opens against the object store itself, and the object-store prefix under which the worker stages
 * output number {@code i} (in path order) as {@code staging + i}.
 */
public record WorkerTask(String jobId, String taskId, String datumId, int attempt, DatumCommand command,
                         Map<String, String> inputCommits, List<WorkerFile> files, List<WorkerFile> prev,
                         String staging) {

    /** A file to show and where its bytes are. */
    public record WorkerFile(InputFile file, String locator) {
    }
}
