package io.sluice.runner.exec;

import io.sluice.runner.DatumResult;
import io.sluice.runner.exec.Workspace.OutputFile;
import io.sluice.storage.ObjectStore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a successful datum's output goes before pps commits it, taken out of the workspace so that the
 * workspace can serve the next datum: moved to a directory of its own (on the daemon's machine), or
 * uploaded to the object store under a staging prefix (in a worker pod).
 */
@FunctionalInterface
public interface OutputSink {

    /** Takes {@code files} (collected from {@code ws}) out of the workspace; the output pps will read. */
    DatumResult.Output keep(Workspace ws, List<OutputFile> files) throws IOException;

    /**
     * Moves {@code /pfs/out} to {@code dir} (replacing what an earlier attempt left there) and reads the files
     * from there; a link to an input file becomes a hard link (a copy across file systems) to it first, as
     * the input's directory is not moved.
     */
    static OutputSink moveTo(Path dir) {
        return (ws, files) -> {
            Map<String, InputFile> sources = new LinkedHashMap<>();
            for (OutputFile f : files) {
                if (f.source() != null) {
                    sources.put(f.path(), f.source());
                    Path link = ws.out().resolve(f.path().substring(1));
                    if (!link.equals(f.file())) {
                        Files.delete(link);
                        try {
                            Files.createLink(link, f.file());
                        } catch (IOException | UnsupportedOperationException e) {
                            Files.copy(f.file(), link);
                        }
                    }
                }
            }
            Workspace.deleteTree(dir);
            Files.createDirectories(dir.getParent());
            Files.move(ws.out(), dir);
            Map<String, Path> moved = new LinkedHashMap<>();
            for (OutputFile f : files) {
                Path inOut = f.source() != null ? ws.out().resolve(f.path().substring(1)) : f.file();
                moved.put(f.path(), dir.resolve(ws.out().relativize(inOut)));
            }
            return output(moved.keySet().stream().toList(), sources, p -> {
                Path file = moved.get(p);
                if (file == null) {
                    throw new NoSuchFileException(p);
                }
                return Files.newInputStream(file);
            });
        };
    }

    /** Uploads output number {@code i} (in path order) as the object {@code prefix + i}. */
    static OutputSink upload(ObjectStore store, String prefix) {
        return (ws, files) -> {
            for (int i = 0; i < files.size(); i++) {
                Path file = files.get(i).file();
                try (InputStream in = Files.newInputStream(file)) {
                    store.put(prefix + i, in, Files.size(file));
                }
            }
            List<String> paths = files.stream().map(OutputFile::path).toList();
            // sources are not carried through staging: a worker's linked input is uploaded as bytes
            return staged(store, prefix, paths);
        };
    }

    /** The outputs {@link #upload} staged under {@code prefix}: path {@code i} of {@code paths} is {@code prefix + i}. */
    static DatumResult.Output staged(ObjectStore store, String prefix, List<String> paths) {
        Map<String, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < paths.size(); i++) {
            index.put(paths.get(i), i);
        }
        return output(paths.stream().sorted().toList(), Map.of(), p -> {
            Integer i = index.get(p);
            if (i == null) {
                throw new NoSuchFileException(p);
            }
            return store.get(prefix + i, 0, -1);
        });
    }

    /** Opens one output file by its repo path. */
    @FunctionalInterface
    interface Opener {
        InputStream open(String path) throws IOException;
    }

    private static DatumResult.Output output(List<String> sortedPaths, Map<String, InputFile> sources, Opener opener) {
        List<String> paths = List.copyOf(sortedPaths);
        return new DatumResult.Output() {
            @Override
            public InputFile source(String path) {
                return sources.get(path);
            }

            @Override
            public List<String> paths() {
                return paths;
            }

            @Override
            public InputStream open(String path) throws IOException {
                return opener.open(path);
            }
        };
    }
}
