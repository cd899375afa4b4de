package io.sluice.runner.kube;

import io.sluice.pfs.FileManifest;
import io.sluice.runner.DatumTask.InputFile;

import java.util.List;
import java.util.Map;

/**
 * One datum as the daemon hands it to a {@code sluice worker}: what to run ({@code cmd}, {@code stdin},
 * {@code env}), the files to download into /pfs/&lt;input&gt; (and /pfs/prev, null when none) with the
 * chunks that hold each, which the worker reads from the object store itself, the commit each input name
 * was read from, and the object-store prefix under which the worker stages output number {@code i} (in
 * the order it reports them) as {@code staging + i}.
 */
public record WorkerTask(String jobId, String taskId, String datumId, int attempt, List<String> cmd,
                         List<String> stdin, Map<String, String> env, List<WorkerFile> files,
                         Map<String, String> inputCommits, List<WorkerFile> prev, String staging) {

    /** A file to download and the object-store chunks holding its bytes, in order. */
    public record WorkerFile(InputFile file, List<FileManifest.Chunk> chunks) {
    }
}
