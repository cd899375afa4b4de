package io.sluice.runner.exec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The previous output commit of each running job, fetched once per job (not once per datum) into the
 * directory {@code dirOf} names, made read-only, and shared by the job's datums as /pfs/prev.
 */
public final class PrevCache {
    private final Function<String, Path> dirOf;
    private final Map<String, Path> dirs = new ConcurrentHashMap<>();

    /** Job {@code j}'s previous output lives in {@code dirOf.apply(j)}. */
    public PrevCache(Function<String, Path> dirOf) {
        this.dirOf = dirOf;
    }

    /** The directory holding {@code files} of job {@code jobId}'s previous output, fetched on first use. */
    public Path get(String jobId, List<InputFile> files, FileSource source) throws IOException {
        Path known = dirs.get(jobId);
        if (known != null && Files.isDirectory(known)) {
            return known;
        }
        dirs.remove(jobId);
        try {
            return dirs.computeIfAbsent(jobId, j -> {
                Path dir = dirOf.apply(j);
                try {
                    Workspace.deleteTree(dir);
                    Files.createDirectories(dir);
                    for (InputFile f : files) {
                        Workspace.copy(source, f, dir);
                    }
                    Workspace.makeReadOnly(dir);
                    return dir;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Forgets job {@code jobId} (its directory goes with the job's work directory). */
    public void release(String jobId) {
        dirs.remove(jobId);
    }
}
