package io.sluice.runner;

import io.sluice.runner.DatumTask.InputFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs user code as a process on this machine, showing it the datum at {@code /pfs/<input>/...} and
 * {@code /pfs/out} exactly as Pachyderm does, so a real Pachyderm spec whose {@code cmd} or {@code stdin}
 * names {@code /pfs/...} paths runs unchanged.
 *
 * <p>How: each datum is materialised under {@code <dataDir>/pps/work/<job>/<datum>/pfs/} (one directory
 * per input name holding the datum's files at their repo paths, an empty {@code out}, and for
 * {@code incremental} pipelines {@code prev}, the previous output commit, fetched once per job). The
 * command then runs in a private mount namespace of its own
 * ({@code unshare --mount --propagation private}) through a small {@code sh} wrapper that bind-mounts
 * that directory on {@code /pfs} (and {@code prev} again, read-only) and {@code exec}s the command: every
 * process sees its own {@code /pfs}, so datums run concurrently without clashing and nothing is visible
 * outside the process. This needs root (or CAP_SYS_ADMIN); when the probe run at construction shows it is
 * not permitted, the runner falls back to rewriting {@code /pfs} in the command's arguments and stdin
 * lines to the datum's real directory (user code that builds {@code /pfs} paths by other means then does
 * not find them, and {@code /pfs/prev} is only protected by file modes). Which mode is used is logged at
 * start and returned by {@link #isolation()}.
 *
 * <p>The process gets the daemon's environment plus {@code PATH} prefixed by the directories given to the
 * constructor, {@code transform.env}, {@code PACH_JOB_ID}, {@code PACH_DATUM_ID} and
 * {@code <input name>_COMMIT}; its working directory is the datum directory; {@code transform.stdin}
 * lines are fed to its stdin. Every stdout and stderr line goes to the job's log, and the last stderr
 * lines go into the error of a failed run. After a successful run the files in {@code /pfs/out} are the
 * datum's output; a symlink there is read through only when it points at a regular file inside
 * {@code /pfs/out}, anything else fails the datum. Work directories are deleted when pps
 * {@link #release releases} the job.
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
    /** $1: the datum's pfs dir; $2: the job's prev dir or empty; the rest: the user command. */
    private static final String MOUNT_SCRIPT = "mkdir -p /pfs && mount --bind \"$1\" /pfs"
            + " && if [ -n \"$2\" ]; then mount --bind \"$2\" /pfs/prev && mount -o remount,bind,ro /pfs/prev; fi"
            + " && shift 2 && exec \"$@\"";

    private final Path workRoot;
    private final String path;
    private final Isolation isolation;
    private final Map<String, Path> prevDirs = new ConcurrentHashMap<>();

    /** A runner working under {@code <dataDir>/pps/work}, detecting whether mount namespaces are permitted. */
    public LocalJobRunner(Path dataDir, List<Path> extraPathDirs) {
        this(dataDir, extraPathDirs, null);
    }

    /** As above, but with the isolation forced ({@code null}: detect). */
    public LocalJobRunner(Path dataDir, List<Path> extraPathDirs, Isolation isolation) {
        this.workRoot = dataDir.resolve("pps").resolve("work").toAbsolutePath();
        StringBuilder p = new StringBuilder();
        for (Path dir : extraPathDirs) {
            p.append(dir.toAbsolutePath()).append(File.pathSeparator);
        }
        String inherited = System.getenv("PATH");
        this.path = p + (inherited == null ? "/usr/local/bin:/usr/bin:/bin" : inherited);
        try {
            Files.createDirectories(workRoot);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + workRoot, e);
        }
        this.isolation = isolation != null ? isolation : probe();
        LOG.info("local runner: {}", describe());
    }

    public Isolation isolation() {
        return isolation;
    }

    @Override
    public String describe() {
        return isolation == Isolation.MOUNT_NAMESPACE
                ? "local processes, /pfs bind-mounted in a private mount namespace per datum (unshare)"
                : "local processes, /pfs rewritten to each datum's directory in cmd and stdin "
                + "(no private mount namespace)";
    }

    @Override
    public DatumResult run(DatumTask task, LogSink logs) throws InterruptedException {
        Path datumDir = workRoot.resolve(task.jobId()).resolve(task.datumId());
        Path pfsDir = datumDir.resolve("pfs");
        Path outDir = pfsDir.resolve("out");
        try {
            DatumProcess.deleteTree(datumDir);
            Files.createDirectories(outDir);
            for (String input : task.inputCommits().keySet()) {
                Files.createDirectories(pfsDir.resolve(input));
            }
            for (InputFile f : task.files()) {
                DatumProcess.fetch(task.source(), f, pfsDir.resolve(f.input()));
            }
            Path prev = task.prev() == null ? null : prevDir(task);
            if (prev != null) {
                if (isolation == Isolation.MOUNT_NAMESPACE) {
                    Files.createDirectories(pfsDir.resolve("prev"));
                } else {
                    Files.createSymbolicLink(pfsDir.resolve("prev"), prev);
                }
            }
            return execute(task, logs, datumDir, pfsDir, outDir, prev);
        } catch (IOException e) {
            throw new UncheckedIOException("local runner cannot prepare datum " + task.datumId() + " of job "
                    + task.jobId() + ": " + e.getMessage(), e);
        }
    }

    private DatumResult execute(DatumTask task, LogSink logs, Path datumDir, Path pfsDir, Path outDir, Path prev)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        List<String> stdin = task.stdin();
        if (isolation == Isolation.MOUNT_NAMESPACE) {
            command.addAll(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c", MOUNT_SCRIPT,
                    "sluice-pfs", pfsDir.toString(), prev == null ? "" : prev.toString()));
            command.addAll(task.cmd());
        } else {
            command.addAll(DatumProcess.throughShell(
                    task.cmd().stream().map(a -> DatumProcess.rewritePfs(a, pfsDir)).toList()));
            stdin = stdin.stream().map(l -> DatumProcess.rewritePfs(l, pfsDir)).toList();
        }
        ProcessBuilder pb = new ProcessBuilder(command).directory(datumDir.toFile());
        Map<String, String> env = pb.environment();
        env.put("PATH", path);
        env.putAll(DatumProcess.jobEnv(task.jobId(), task.datumId(), task.env(), task.inputCommits()));
        DatumResult ran = DatumProcess.run(pb, task.cmd(), stdin, logs);
        return ran.success() ? DatumProcess.outputs(outDir) : ran;
    }

    /** The previous output commit, fetched once per job, shared read-only by its datums. */
    private Path prevDir(DatumTask task) throws IOException {
        Path dir = workRoot.resolve(task.jobId()).resolve("prev");
        try {
            return prevDirs.computeIfAbsent(task.jobId(), j -> {
                try {
                    DatumProcess.deleteTree(dir);
                    Files.createDirectories(dir);
                    for (InputFile f : task.prev()) {
                        DatumProcess.fetch(task.source(), f, dir);
                    }
                    DatumProcess.makeReadOnly(dir);
                    return dir;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public void release(String jobId) {
        prevDirs.remove(jobId);
        try {
            DatumProcess.deleteTree(workRoot.resolve(jobId));
        } catch (IOException e) {
            LOG.warn("cannot delete work directory of job {}: {}", jobId, e.getMessage());
        }
    }

    @Override
    public void close() {
        // processes belong to the jobs that started them; pps interrupts those before closing the runner
    }

    private Isolation probe() {
        Path probe = workRoot.resolve(".probe");
        try {
            DatumProcess.deleteTree(probe);
            Files.createDirectories(probe.resolve("pfs"));
            Files.writeString(probe.resolve("pfs").resolve("probe"), "ok");
            Process p = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c",
                    MOUNT_SCRIPT, "sluice-pfs", probe.resolve("pfs").toString(), "", "test", "-f", "/pfs/probe")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            boolean ok = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
            if (!ok) {
                p.destroyForcibly();
            }
            return ok ? Isolation.MOUNT_NAMESPACE : Isolation.PATH_REWRITE;
        } catch (IOException e) {
            return Isolation.PATH_REWRITE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Isolation.PATH_REWRITE;
        } finally {
            try {
                DatumProcess.deleteTree(probe);
            } catch (IOException e) {
                LOG.debug("cannot delete {}", probe, e);
            }
        }
    }
}
