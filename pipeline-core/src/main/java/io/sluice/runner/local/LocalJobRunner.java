package io.sluice.runner.local;

import io.sluice.SluiceException;
import io.sluice.runner.DatumResult;
import io.sluice.runner.DatumTask;
import io.sluice.runner.JobRunner;
import io.sluice.runner.exec.DatumExecutor;
import io.sluice.runner.exec.DirectLauncher;
import io.sluice.runner.exec.Launcher;
import io.sluice.runner.exec.OutputSink;
import io.sluice.runner.exec.PrevCache;
import io.sluice.runner.exec.Workspace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Runs user code as processes on this machine through the {@link DatumExecutor}, showing each datum at
 * {@code /pfs/<input>/...} and {@code /pfs/out} exactly as Pachyderm does, so a real Pachyderm spec whose
 * {@code cmd} or {@code stdin} names {@code /pfs/...} paths runs unchanged.
 *
 * <p>With root (or CAP_SYS_ADMIN) datums run in namespace slots ({@link SlotLauncher}): every process sees
 * its own {@code /pfs}, so datums run concurrently without clashing and nothing shows outside; for
 * {@code incremental} pipelines the previous output commit (fetched once per job) is bind-mounted
 * read-only at {@code /pfs/prev}. When the probe run at construction shows namespaces are not permitted,
 * datums run directly ({@link DirectLauncher}) with {@code /pfs} rewritten in the command's arguments and
 * stdin lines to the datum's real directory. Which mode is used is logged at start and returned by
 * {@link #isolation()}.
 *
 * <p>The process gets the daemon's environment plus {@code PATH} prefixed by the directories given to the
 * constructor, then the task's command environment. A datum's output is moved to
 * {@code <dataDir>/pps/work/<job>/<datum>/out}, where pps reads it; work directories are deleted when pps
 * {@link #release releases} the job; {@link #close()} stops the slots' helpers.
 */
public final class LocalJobRunner implements JobRunner {

    /** How user code is shown /pfs. */
    public enum Isolation {
        /** A private mount namespace per process with the datum bind-mounted on /pfs. */
        MOUNT_NAMESPACE,
        /** No namespace: /pfs in arguments and stdin is rewritten to the datum's real directory. */
        PATH_REWRITE
    }

    private static final Logger LOG = LoggerFactory.getLogger(LocalJobRunner.class);
    /** The uid user code runs as when the daemon is root (nobody on Debian and most distributions). */
    static final String NOBODY = "65534";

    private final Path workRoot;
    private final Isolation isolation;
    private final Launcher launcher;
    private final DatumExecutor executor;

    /** A runner working under {@code <dataDir>/pps/work}, detecting whether mount namespaces are permitted. */
    public LocalJobRunner(Path dataDir, List<Path> extraPathDirs) {
        this(dataDir, extraPathDirs, null);
    }

    /** As above, but with the isolation forced ({@code null}: detect). */
    public LocalJobRunner(Path dataDir, List<Path> extraPathDirs, Isolation isolation) {
        this(dataDir, extraPathDirs, isolation, List.of());
    }

    /**
     * As above; user code also never sees the directories {@code alsoHidden} (a chunk store kept outside the
     * data dir) when it runs in namespaces.
     */
    public LocalJobRunner(Path dataDir, List<Path> extraPathDirs, Isolation isolation, List<Path> alsoHidden) {
        this.workRoot = dataDir.resolve("pps").resolve("work").toAbsolutePath();
        StringBuilder p = new StringBuilder();
        for (Path dir : extraPathDirs) {
            p.append(dir.toAbsolutePath()).append(File.pathSeparator);
        }
        String inherited = System.getenv("PATH");
        String path = p + (inherited == null ? "/usr/local/bin:/usr/bin:/bin" : inherited);
        try {
            Files.createDirectories(workRoot);
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot create the runner's work directory " + workRoot + ": "
                    + e.getMessage(), e);
        }
        this.isolation = isolation != null ? isolation
                : SlotLauncher.permitted(workRoot.resolve(".probe")) ? Isolation.MOUNT_NAMESPACE : Isolation.PATH_REWRITE;
        // a daemon running as root runs user code as nobody, as a container would without USER
        this.launcher = this.isolation == Isolation.MOUNT_NAMESPACE
                ? new SlotLauncher(workRoot, hidden(dataDir, alsoHidden), extraPathDirs,
                        runsAsRoot() ? NOBODY : "")
                : new DirectLauncher();
        this.executor = new DatumExecutor(launcher, new PrevCache(job -> workRoot.resolve(job).resolve("prev")),
                Map.of("PATH", path));
        LOG.info("local runner: {}", describe());
        if (!isolationGap().isEmpty()) {
            LOG.warn("local runner: {}", isolationGap());
        }
    }

    private static List<Path> hidden(Path dataDir, List<Path> alsoHidden) {
        List<Path> all = new java.util.ArrayList<>(List.of(dataDir));
        all.addAll(alsoHidden);
        return all;
    }

    /** Whether this process runs as uid 0. */
    private static boolean runsAsRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    public Isolation isolation() {
        return isolation;
    }

    @Override
    public String isolationGap() {
        return isolation == Isolation.MOUNT_NAMESPACE ? ""
                : "this daemon cannot make namespaces (it needs root or CAP_SYS_ADMIN and unshare), so datums share"
                + " the host's /tmp, processes and user, and can reach the data dir";
    }

    @Override
    public String secretFilesGap() {
        return isolation == Isolation.MOUNT_NAMESPACE ? ""
                : "secret files need a private mount namespace for the datum, which this daemon cannot make (it needs"
                + " root or CAP_SYS_ADMIN)";
    }

    @Override
    public boolean runsOnHost() {
        return true;
    }

    @Override
    public String describe() {
        return "local processes, " + launcher.describe();
    }

    @Override
    public DatumResult run(DatumTask task, LogSink logs) throws InterruptedException {
        Path datumDir = workRoot.resolve(task.jobId()).resolve(task.datumId());
        if (!task.command().secretFiles().isEmpty() && !secretFilesGap().isEmpty()) {
            // created while namespaces worked; never write secrets where other users could read them
            return DatumResult.failed(-1, "transform.secrets with mount_path cannot be shown: " + secretFilesGap());
        }
        try {
            return executor.run(task.work(datumDir), task.source(), OutputSink.moveTo(datumDir.resolve("out")), logs);
        } catch (IOException e) {
            throw SluiceException.unavailable("local runner cannot run datum " + task.datumId() + " of job "
                    + task.jobId() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void release(String jobId) {
        executor.release(jobId);
        try {
            Workspace.deleteTree(workRoot.resolve(jobId));
        } catch (IOException e) {
            LOG.warn("cannot delete work directory of job {}: {}", jobId, e.getMessage());
        }
    }

    /** Stops the slots' helpers; datum processes belong to the jobs, which pps interrupts before this. */
    @Override
    public void close() {
        launcher.close();
    }
}
