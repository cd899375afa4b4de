package io.sluice.runner.exec;

import io.sluice.runner.JobRunner.LogSink;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts user code as a child process of this JVM, without a namespace. The workspace is either fixed
 * (a worker pod's {@code /pfs}) or {@code <datumDir>/pfs}; when it is not at {@code /pfs}, {@code /pfs} in
 * the command's arguments and stdin lines is rewritten to it (user code that builds {@code /pfs} paths by
 * other means then does not find them), and {@code prev} is a symlink protected by file modes only. The
 * program is looked up on the child's {@code PATH} (which the JVM's own exec would not use).
 */
public final class DirectLauncher implements Launcher {
    private static final Path PFS = Path.of("/pfs");
    private final Path fixedPfs;

    /** Each datum's /pfs at {@code <datumDir>/pfs}. */
    public DirectLauncher() {
        this(null);
    }

    /** Every datum's /pfs at {@code pfs} (null: {@code <datumDir>/pfs}); one session at a time then. */
    public DirectLauncher(Path pfs) {
        this.fixedPfs = pfs == null ? null : pfs.toAbsolutePath().normalize();
    }

    @Override
    public String describe() {
        return fixedPfs != null && fixedPfs.equals(PFS) ? "child processes with /pfs as is, started in the worker's directory"
                : "child processes, /pfs rewritten to each datum's directory in cmd and stdin (no private mount namespace)";
    }

    @Override
    public Session open(Path datumDir) {
        Workspace ws = new Workspace(fixedPfs != null ? fixedPfs : datumDir.resolve("pfs"));
        return new Session() {
            @Override
            public Workspace workspace() {
                return ws;
            }

            @Override
            public Exit run(DatumCommand command, Path prev, LogSink logs) throws IOException, InterruptedException {
                if (prev != null && !prev.equals(ws.prev())) {
                    Files.createSymbolicLink(ws.prev(), prev);
                }
                DatumCommand c = ws.pfs().equals(PFS) ? command : command.withPfsAt(ws.pfs());
                // the worker's or daemon's own token and credentials are for talking to the daemon and store, never for user code
                ProcessBuilder pb = ProcessRun.withBaseEnvironment(new ProcessBuilder(onPath(c)));
                if (!ws.pfs().equals(PFS)) {
                    pb.directory(ws.workingDir().toFile());
                }
                // else a worker pod's: user code starts where the worker did (the image's WORKDIR, or working_dir)
                pb.environment().putAll(c.env());
                return ProcessRun.run(pb, c.stdin(), logs);
            }

            @Override
            public void close() {
                // nothing held: the next datum resets the workspace
            }
        };
    }

    @Override
    public void close() {
        // nothing runs between datums
    }

    /**
     * The command with its program looked up on the child's PATH; through {@code sh} only when it is not
     * found there, so that sh reports it as usual (exit 127).
     */
    static List<String> onPath(DatumCommand c) {
        String program = c.cmd().get(0);
        if (program.contains("/")) {
            return c.cmd();
        }
        String path = c.env().getOrDefault("PATH", System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                List<String> out = new ArrayList<>(c.cmd());
                out.set(0, candidate.toAbsolutePath().toString());
                return out;
            }
        }
        List<String> out = new ArrayList<>(List.of("sh", "-c", "exec \"$@\"", "sluice-pfs"));
        out.addAll(c.cmd());
        return out;
    }
}
