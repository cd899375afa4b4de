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

    /**
     * Runs {@code work} once, reading its files from {@code source} and keeping its output in {@code sink}.
     * The command's {@link DatumCommand.Policy} applies here, for every runner: it starts in its working
     * directory, an exit code it accepts is a success, a run over its timeout is killed with everything it
     * started and fails saying so, and a failed run (not a timed-out one: its time is up) runs err_cmd over
     * the same /pfs, whose exit 0 makes the result recovered.
     */
    public DatumResult run(DatumWork work, FileSource source, OutputSink sink, LogSink logs)
            throws IOException, InterruptedException {
        Path prev = work.prev() == null ? null : prevs.get(work.jobId(), work.prev(), source);
        DatumCommand command = withBaseEnv(work.command());
        DatumCommand.Policy policy = command.policy();
        try (Launcher.Session session = launcher.open(work.dir())) {
            Workspace ws = session.workspace();
            ws.reset(work.inputs(), prev);
            ws.fetch(source, work.files());
            long started = System.nanoTime();
            Launcher.Exit exit = timed(session, command.inWorkingDir(), prev, logs, policy.timeoutMillis());
            if (exit == null) {
                return DatumResult.failed(-1, "datum timed out after " + DatumCommand.Policy.format(policy.timeoutMillis())
                        + " (datum_timeout); it and every process it started were killed");
            }
            if (!policy.accepts(exit.code())) {
                String error = "command " + command.cmd() + " exited with code " + exit.code()
                        + (exit.stderrTail().isEmpty() ? "" : ": " + exit.stderrTail());
                if (!policy.errCmd().isEmpty()) {
                    logs.line("sluice", "running err_cmd " + policy.errCmd() + " after: " + error);
                    // as in Pachyderm, err_cmd runs within the datum's time, not after it
                    long left = policy.timeoutMillis() == 0 ? 0 : Math.max(1, policy.timeoutMillis()
                            - (System.nanoTime() - started) / 1_000_000);
                    Launcher.Exit err = timed(session, command.errCommand().inWorkingDir(), prev, logs, left);
                    if (err == null) {
                        return DatumResult.failed(exit.code(), error + "; err_cmd " + policy.errCmd() + " was killed:"
                                + " the datum timed out after " + DatumCommand.Policy.format(policy.timeoutMillis())
                                + " (datum_timeout)");
                    }
                    if (err.code() == 0) {
                        return DatumResult.recovered(exit.code(), error + "; err_cmd exited 0, so it is recovered");
                    }
                    error += "; err_cmd " + policy.errCmd() + " exited with code " + err.code();
                }
                return DatumResult.failed(exit.code(), error);
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

    /**
     * {@code session.run}, interrupted by a watchdog after {@code timeoutMillis} (0: never), which makes the
     * launcher kill the command's whole tree; null when that happened. An interruption from elsewhere (the
     * job being stopped) is passed on as it came.
     */
    private static Launcher.Exit timed(Launcher.Session session, DatumCommand command, Path prev, LogSink logs,
                                       long timeoutMillis) throws IOException, InterruptedException {
        if (timeoutMillis == 0) {
            return session.run(command, prev, logs);
        }
        Thread caller = Thread.currentThread();
        java.util.concurrent.atomic.AtomicBoolean fired = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(timeoutMillis);
            } catch (InterruptedException e) {
                return;
            }
            fired.set(true);
            caller.interrupt();
        }, "datum-timeout");
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            return session.run(command, prev, logs);
        } catch (InterruptedException e) {
            if (stopWatchdog(watchdog, fired)) {
                return null;
            }
            throw e;
        } finally {
            if (stopWatchdog(watchdog, fired)) {
                // it fired just as the command ended on its own: the run stands, the interrupt was ours
                Thread.interrupted();
            }
        }
    }

    /** Stops {@code watchdog} for good; whether it fired. */
    private static boolean stopWatchdog(Thread watchdog, java.util.concurrent.atomic.AtomicBoolean fired) {
        watchdog.interrupt();
        boolean interrupted = false;
        while (watchdog.isAlive()) {
            try {
                watchdog.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted && !fired.get()) {
            Thread.currentThread().interrupt();
        }
        return fired.get();
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
        return new DatumCommand(c.cmd(), c.stdin(), env, c.user(), c.policy(), c.secretFiles());
    }
}
