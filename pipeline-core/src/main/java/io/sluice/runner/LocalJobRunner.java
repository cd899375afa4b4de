package io.sluice.runner;

import io.sluice.runner.DatumTask.InputFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs user code as a process on this machine, showing it the datum at {@code /pfs/<input>/...} and
 * {@code /pfs/out} exactly as Pachyderm does, so a real Pachyderm spec whose {@code cmd} or {@code stdin}
 * names {@code /pfs/...} paths runs unchanged.
 *
 * <p>How: the runner keeps slots, one per datum running at once. A slot is a directory
 * {@code <dataDir>/pps/work/slots/slot-<pid>-<n>/pfs} and a long-lived helper process that made a private
 * mount namespace of its own ({@code unshare --mount --propagation private}) and bind-mounted that
 * directory on {@code /pfs} in it; the helper is a shell that, on request, forks a subshell which
 * {@code exec}s the datum's command, so a datum costs no process launch by the JVM and no mount. A datum
 * takes an idle slot, has its files put there (one directory per input name holding the datum's files at
 * their repo paths, and an empty {@code out}) and its command started by the slot's helper (or, when an
 * environment name is not one a shell can export, inside the slot's namespace with {@code nsenter}): every
 * process sees its own {@code /pfs}, so datums run concurrently without clashing, and nothing is visible
 * outside. Afterwards {@code out} is
 * moved to {@code <dataDir>/pps/work/<job>/<datum>/out}, where pps reads it, and the slot is emptied. For
 * {@code incremental} pipelines, whose datums also see {@code /pfs/prev} (the previous output commit,
 * fetched once per job, bind-mounted read-only), each datum instead gets a namespace of its own through a
 * small {@code sh} wrapper that mounts both and {@code exec}s the command. This needs root (or
 * CAP_SYS_ADMIN); when the probe run at construction shows it is not permitted, the runner falls back to
 * rewriting {@code /pfs} in the command's arguments and stdin lines to the datum's real directory (user
 * code that builds {@code /pfs} paths by other means then does not find them, and {@code /pfs/prev} is
 * only protected by file modes). Which mode is used is logged at start and returned by {@link #isolation()}.
 *
 * <p>The process gets the daemon's environment plus {@code PATH} prefixed by the directories given to the
 * constructor, {@code transform.env}, {@code PACH_JOB_ID}, {@code PACH_DATUM_ID} and
 * {@code <input name>_COMMIT}; its working directory is the directory holding {@code pfs}; {@code transform.stdin}
 * lines are fed to its stdin. Every stdout and stderr line goes to the job's log, and the last stderr
 * lines go into the error of a failed run. After a successful run the files in {@code /pfs/out} are the
 * datum's output; a symlink there is read through only when it points at a regular file inside
 * {@code /pfs/out}, anything else fails the datum. Work directories are deleted when pps
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
    /** Environment names a shell can export. */
    private static final Pattern SHELL_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /** $1: the datum's pfs dir; $2: the job's prev dir or empty; the rest: the user command. */
    private static final String MOUNT_SCRIPT = "mkdir -p /pfs && mount --bind \"$1\" /pfs"
            + " && if [ -n \"$2\" ]; then mount --bind \"$2\" /pfs/prev && mount -o remount,bind,ro /pfs/prev; fi"
            + " && shift 2 && exec \"$@\"";
    private static final String EXEC_SCRIPT = "exec \"$@\"";

    private final Path workRoot;
    private final String path;
    private final Isolation isolation;
    private final Map<String, Path> prevDirs = new ConcurrentHashMap<>();
    private final Slots slots;

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
        this.slots = new Slots(workRoot.resolve("slots"));
        LOG.info("local runner: {}", describe());
    }

    public Isolation isolation() {
        return isolation;
    }

    @Override
    public boolean runsOnHost() {
        return true;
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
        try {
            DatumProcess.deleteTree(datumDir);
            if (isolation == Isolation.MOUNT_NAMESPACE && task.prev() == null) {
                return runInSlot(task, logs, datumDir);
            }
            Path pfsDir = datumDir.resolve("pfs");
            Path outDir = pfsDir.resolve("out");
            materialise(task, pfsDir);
            Path prev = task.prev() == null ? null : prevDir(task);
            if (prev != null) {
                if (isolation == Isolation.MOUNT_NAMESPACE) {
                    Files.createDirectories(pfsDir.resolve("prev"));
                } else {
                    Files.createSymbolicLink(pfsDir.resolve("prev"), prev);
                }
            }
            List<String> command = new ArrayList<>();
            List<String> stdin = task.stdin();
            if (isolation == Isolation.MOUNT_NAMESPACE) {
                command.addAll(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c", MOUNT_SCRIPT,
                        "sluice-pfs", pfsDir.toString(), prev == null ? "" : prev.toString()));
                command.addAll(task.cmd());
            } else {
                List<String> cmd = task.cmd().stream().map(a -> DatumProcess.rewritePfs(a, pfsDir)).toList();
                command.addAll(direct(cmd));
                stdin = stdin.stream().map(l -> DatumProcess.rewritePfs(l, pfsDir)).toList();
            }
            DatumResult failed = execute(task, logs, command, stdin, datumDir);
            return failed != null ? failed : DatumProcess.outputs(outDir);
        } catch (IOException e) {
            throw new UncheckedIOException("local runner cannot prepare datum " + task.datumId() + " of job "
                    + task.jobId() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs the datum in an idle slot: its files are put in the slot's directory, which the slot's helper
     * has bind-mounted on /pfs in its own mount namespace, and the helper starts the command (see
     * {@link #startBySlot}); when the environment cannot be written as shell {@code export}s, the command
     * enters the namespace with {@code nsenter} instead. Its /pfs/out is then moved to the datum's work
     * directory, where pps reads it, and the slot is emptied for the next datum.
     */
    private DatumResult runInSlot(DatumTask task, LogSink logs, Path datumDir)
            throws IOException, InterruptedException {
        Slot slot = slots.acquire();
        boolean healthy = false;
        try {
            Path pfsDir = slot.pfs();
            clear(pfsDir);
            materialise(task, pfsDir);
            Map<String, String> env = environment(task);
            DatumResult failed;
            if (env.keySet().stream().allMatch(k -> SHELL_NAME.matcher(k).matches())) {
                failed = startBySlot(task, env, logs, slot);
            } else {
                List<String> command = new ArrayList<>(List.of("nsenter", "--mount=" + slot.namespace(),
                        "--wd=" + slot.dir(), "--"));
                command.addAll(task.cmd());
                failed = execute(task, logs, command, task.stdin(), slot.dir());
            }
            healthy = true;
            if (failed != null) {
                return failed;
            }
            Files.createDirectories(datumDir);
            Path outDir = datumDir.resolve("out");
            Files.move(pfsDir.resolve("out"), outDir);
            return DatumProcess.outputs(outDir);
        } finally {
            slots.release(slot, healthy);
        }
    }

    /**
     * Has the slot's helper start the command: the JVM writes the command, its environment and working
     * directory as a small shell script and its stdin lines as a file, and the helper forks a subshell
     * that sources the script, which {@code exec}s the command with stdout and stderr on the slot's two
     * FIFOs, read here line by line into the logs. The helper reports the pid, then the exit status.
     * Null when the command exited 0, else the failed result.
     */
    private DatumResult startBySlot(DatumTask task, Map<String, String> env, LogSink logs, Slot slot)
            throws IOException, InterruptedException {
        StringBuilder script = new StringBuilder("cd ").append(quote(slot.dir().toString())).append(" || exit 126\n");
        env.forEach((k, v) -> script.append("export ").append(quote(k + "=" + v)).append('\n'));
        script.append("exec");
        task.cmd().forEach(a -> script.append(' ').append(quote(a)));
        Files.writeString(slot.dir().resolve("request"), script.append('\n'));
        StringBuilder stdin = new StringBuilder();
        task.stdin().forEach(l -> stdin.append(l).append('\n'));
        Files.writeString(slot.dir().resolve("stdin"), stdin);

        Deque<String> stderrTail = new ArrayDeque<>();
        Fifo out = new Fifo(slot.dir().resolve("stdout"), "stdout", logs, null);
        Fifo err = new Fifo(slot.dir().resolve("stderr"), "stderr", logs, stderrTail);
        slot.send("run");
        long pid = Long.parseLong(slot.replyUninterruptibly("pid "));
        int exit;
        try {
            exit = Integer.parseInt(slot.reply("exit "));
        } catch (InterruptedException e) {
            ProcessHandle.of(pid).ifPresent(p -> {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            });
            out.end();
            err.end();
            throw e;
        }
        out.end();
        err.end();
        return exit == 0 ? null : DatumProcess.failure(task.cmd(), exit, stderrTail);
    }

    /** A shell word that is exactly {@code s}. */
    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /**
     * Reads one of a slot's FIFOs into the logs on a thread of its own. The open blocks until the command
     * opens its end, so {@link #end} unblocks an open the command never made (it was killed, or a
     * redirection failed) by opening and closing the FIFO itself.
     */
    private static final class Fifo {
        private final Path path;
        private final Thread thread;
        private volatile boolean opened;

        Fifo(Path path, String name, LogSink logs, Deque<String> tail) {
            this.path = path;
            this.thread = DatumProcess.pump(() -> {
                InputStream in = Files.newInputStream(path);
                opened = true;
                return in;
            }, name, logs, tail);
        }

        /** Waits for the pump to read to EOF once the command ended. */
        void end() throws InterruptedException {
            while (!opened && thread.isAlive()) {
                try (java.io.RandomAccessFile unblock = new java.io.RandomAccessFile(path.toFile(), "rw")) {
                    // opening both ends lets a blocked open return; closing gives it EOF
                }
                catch (IOException e) {
                    break;
                }
                thread.join(10);
            }
            thread.join();
        }
    }

    /** An empty /pfs/out and one directory per input name holding the datum's files at their repo paths. */
    private static void materialise(DatumTask task, Path pfsDir) throws IOException {
        Files.createDirectories(pfsDir.resolve("out"));
        for (String input : task.inputCommits().keySet()) {
            Files.createDirectories(pfsDir.resolve(input));
        }
        for (InputFile f : task.files()) {
            DatumProcess.fetch(task.source(), f, pfsDir.resolve(f.input()));
        }
    }

    /**
     * The command to exec without a shell: its program looked up on the child's PATH (which the daemon's
     * own exec would not use); through {@code sh} only when it is not found, so sh reports it as before.
     */
    private List<String> direct(List<String> cmd) {
        String program = cmd.get(0);
        if (!program.contains("/")) {
            for (String dir : path.split(File.pathSeparator)) {
                Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    List<String> out = new ArrayList<>(cmd);
                    out.set(0, candidate.toAbsolutePath().toString());
                    return out;
                }
            }
            List<String> out = new ArrayList<>(List.of("sh", "-c", EXEC_SCRIPT, "sluice-pfs"));
            out.addAll(cmd);
            return out;
        }
        return cmd;
    }

    /** Runs {@code command} to its end; null when it exited 0, else the failed result. */
    private DatumResult execute(DatumTask task, LogSink logs, List<String> command, List<String> stdin, Path cwd)
            throws IOException, InterruptedException {
        ProcessBuilder pb = DatumProcess.withoutDaemonSecrets(new ProcessBuilder(command).directory(cwd.toFile()));
        pb.environment().putAll(environment(task));

        DatumResult result = DatumProcess.run(pb, task.cmd(), stdin, logs);
        return result.success() ? null : result;
    }

    /** What the command sees on top of the daemon's environment; later entries win, as in Pachyderm. */
    private Map<String, String> environment(DatumTask task) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", path);
        env.putAll(DatumProcess.jobEnv(task.jobId(), task.datumId(), task.env(), task.inputCommits()));
        return env;
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

    /** Stops the slots' helpers; datum processes belong to the jobs, which pps interrupts before this. */
    @Override
    public void close() {
        slots.close();
    }

    /**
     * A long-lived helper shell in a private mount namespace of its own with {@code dir/pfs} bound on /pfs;
     * it runs one command per {@code run} request line and answers with {@code pid N}, then {@code exit N}.
     */
    private static final class Slot {
        private static final String EOF = "\0eof";
        private final Path dir;
        private final Process helper;
        private final java.io.Writer requests;
        private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();

        Slot(Path dir, Process helper) {
            this.dir = dir;
            this.helper = helper;
            this.requests = new java.io.OutputStreamWriter(helper.getOutputStream(), StandardCharsets.UTF_8);
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(helper.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        replies.add(line);
                    }
                } catch (IOException e) {
                    // the helper is gone; EOF below says so
                }
                replies.add(EOF);
            }, "slot-helper-reader");
            reader.setDaemon(true);
            reader.start();
        }

        Path dir() {
            return dir;
        }

        Path pfs() {
            return dir.resolve("pfs");
        }

        Process helper() {
            return helper;
        }

        String namespace() {
            return "/proc/" + helper.pid() + "/ns/mnt";
        }

        void send(String line) throws IOException {
            requests.write(line + "\n");
            requests.flush();
        }

        /** The next reply, which must start with {@code prefix}; what follows it. */
        String reply(String prefix) throws IOException, InterruptedException {
            return check(replies.take(), prefix);
        }

        /** As {@link #reply} but not interruptible (for a reply that comes at once); keeps the interrupt. */
        String replyUninterruptibly(String prefix) throws IOException {
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        String line = replies.poll(10, TimeUnit.SECONDS);
                        return check(line == null ? "nothing" : line, prefix);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        private String check(String line, String prefix) throws IOException {
            if (!line.startsWith(prefix)) {
                throw new IOException("the namespace helper of " + dir + " answered '"
                        + (line.equals(EOF) ? "nothing (it ended)" : line) + "' instead of '" + prefix.trim() + "'");
            }
            return line.substring(prefix.length());
        }
    }

    /**
     * The slots, started on demand (at most one per datum running at once) and reused: a datum then costs
     * a fork of the helper and one exec instead of a JVM process launch, {@code unshare}, a shell,
     * {@code mkdir}, {@code mount} and a second shell. A helper reads its stdin until EOF, so it ends with
     * the daemon even on SIGKILL; its namespace, and the mount in it, go with it.
     */
    private final class Slots {
        /**
         * $1: the slot's dir. Mounts its pfs on /pfs, makes the two FIFOs, says ready, then for each request
         * line runs the request script in a subshell with the slot's stdin file and FIFOs, and reports its
         * pid and exit status. It ends at EOF on its stdin.
         */
        private static final String HELPER_SCRIPT = "d=$1; [ -d /pfs ] || mkdir -p /pfs;"
                + " mount --bind \"$d/pfs\" /pfs && rm -f \"$d/stdout\" \"$d/stderr\""
                + " && mkfifo \"$d/stdout\" \"$d/stderr\" || exit 1; echo ready;"
                + " while read -r _; do ( . \"$d/request\" ) <\"$d/stdin\" >\"$d/stdout\" 2>\"$d/stderr\" &"
                + " echo \"pid $!\"; wait $!; echo \"exit $?\"; done";
        private final Path root;
        private final String prefix = "slot-" + ProcessHandle.current().pid() + "-";
        private final Deque<Slot> idle = new ArrayDeque<>();
        private final List<Slot> all = new ArrayList<>();
        private int started;
        private boolean closed;

        Slots(Path root) {
            this.root = root;
            deleteStale();
        }

        synchronized Slot acquire() throws IOException, InterruptedException {
            while (!idle.isEmpty()) {
                Slot s = idle.pop();
                if (s.helper().isAlive()) {
                    return s;
                }
                discard(s);
            }
            if (closed) {
                throw new IOException("the local runner is closed");
            }
            Slot s = start(root.resolve(prefix + started++));
            all.add(s);
            return s;
        }

        /** Back to idle; a slot whose datum was interrupted or broke is stopped instead. */
        synchronized void release(Slot s, boolean healthy) {
            if (closed || !healthy || !s.helper().isAlive()) {
                discard(s);
            } else {
                idle.push(s);
            }
        }

        private Slot start(Path dir) throws IOException, InterruptedException {
            DatumProcess.deleteTree(dir);
            Files.createDirectories(dir.resolve("pfs"));
            // the commands the helper starts inherit its environment: it must not hold the daemon's secrets
            Process p = DatumProcess.withoutDaemonSecrets(new ProcessBuilder("unshare", "--mount", "--propagation",
                    "private", "sh", "-c", HELPER_SCRIPT, "sluice-slot", dir.toString()))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            Slot s = new Slot(dir, p);
            try {
                s.reply("ready");
            } catch (IOException e) {
                stopHelper(p);
                throw new IOException("cannot start a mount namespace helper for " + dir + ": " + e.getMessage(), e);
            }
            return s;
        }

        private void discard(Slot s) {
            all.remove(s);
            stopHelper(s.helper());
            try {
                DatumProcess.deleteTree(s.dir());
            } catch (IOException e) {
                LOG.debug("cannot delete {}", s.dir(), e);
            }
        }

        synchronized void close() {
            closed = true;
            for (Slot s : new ArrayList<>(all)) {
                discard(s);
            }
            idle.clear();
        }

        /** Slots left by a runner of a process that is gone (a crash): nothing holds their namespaces. */
        private void deleteStale() {
            if (!Files.isDirectory(root)) {
                return;
            }
            try (Stream<Path> dirs = Files.list(root)) {
                for (Path d : (Iterable<Path>) dirs::iterator) {
                    String[] parts = d.getFileName().toString().split("-");
                    boolean alive = parts.length == 3 && parts[1].matches("\\d+")
                            && ProcessHandle.of(Long.parseLong(parts[1])).map(ProcessHandle::isAlive).orElse(false);
                    if (!alive) {
                        DatumProcess.deleteTree(d);
                    }
                }
            } catch (IOException e) {
                LOG.debug("cannot clean {}", root, e);
            }
        }
    }

    private static void stopHelper(Process helper) {
        try {
            helper.getOutputStream().close();
        } catch (IOException e) {
            // already gone
        }
        helper.destroy();
        try {
            if (!helper.waitFor(2, TimeUnit.SECONDS)) {
                helper.destroyForcibly();
            }
        } catch (InterruptedException e) {
            helper.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Deletes everything inside {@code dir}, keeping the directory itself (a mount source). */
    private static void clear(Path dir) throws IOException {
        try (Stream<Path> children = Files.list(dir)) {
            for (Path c : children.toList()) {
                DatumProcess.deleteTree(c);
            }
        }
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
