package io.sluice.runner.exec;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;

/**
 * One run of one datum as the executor sees it: whose it is ({@code jobId}, {@code datumId}), the directory
 * it may use for its own files ({@code dir}), the command, the input names (one directory each under /pfs),
 * the files to show there, and the previous output's files for /pfs/prev (null: none).
 */
public record DatumWork(String jobId, String datumId, Path dir, DatumCommand command, Collection<String> inputs,
                        List<InputFile> files, List<InputFile> prev) {
}
