package io.sluice.runner.exec;

import io.sluice.runner.DatumResult;
import io.sluice.runner.JobRunner.LogSink;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one sequence that runs a datum, wherever it runs: lay out /pfs in a launcher's workspace, fetch the
 * datum's files from the file source, present the job's previous output read-only at /pfs/prev (fetched
 * once per job), run the command, collect /pfs/out under the symlink rule and hand it to the output sink.
 * A command that exits non-zero, or leaves an output that is refused, is a failed result; an exception
 * means the machinery itself failed (disk, store).
 */
public final class DatumExecutor {
    private final Launcher launcher;
    private final PrevCache prevs;
    private final Map<String, String> baseEnv;

    /**
     * Runs datums through {@code launcher}, keeping previous outputs in {@code prevs}; user code's
     * environment is {@code baseEnv} overlaid by the command's own.
     */
    public DatumExecutor(Launcher launcher, PrevCache prevs, Map<String, String> baseEnv) {
        this.launcher = launcher;
        this.prevs = prevs;
        this.baseEnv = Map.copyOf(baseEnv);
    }

    public String describe() {
        return launcher.describe();
    }

    /** Runs {@code work} once, reading its files from {@code source} and keeping its output in {@code sink}. */
    public DatumResult run(DatumWork work, FileSource source, OutputSink sink, LogSink logs)
            throws IOException, InterruptedException {
        Path prev = work.prev() == null ? null : prevs.get(work.jobId(), work.prev(), source);
        try (Launcher.Session session = launcher.open(work.dir())) {
            Workspace ws = session.workspace();
            ws.reset(work.inputs(), prev);
            ws.fetch(source, work.files());
            Launcher.Exit exit = session.run(withBaseEnv(work.command()), prev, logs);
            if (exit.code() != 0) {
                return DatumResult.failed(exit.code(), "command " + work.command().cmd() + " exited with code "
                        + exit.code() + (exit.stderrTail().isEmpty() ? "" : ": " + exit.stderrTail()));
            }
            List<Workspace.OutputFile> files;
            try {
                files = ws.collect();
            } catch (Workspace.Refused e) {
                return DatumResult.failed(0, e.getMessage());
            }
            return new DatumResult(true, 0, null, sink.keep(ws, files));
        }
    }

    /** Forgets what the executor kept for job {@code jobId}. */
    public void release(String jobId) {
        prevs.release(jobId);
    }

    private DatumCommand withBaseEnv(DatumCommand c) {
        if (baseEnv.isEmpty()) {
            return c;
        }
        Map<String, String> env = new LinkedHashMap<>(baseEnv);
        env.putAll(c.env());
        return new DatumCommand(c.cmd(), c.stdin(), env, c.user());
    }
}
