package io.sluice.runner;

import io.sluice.runner.DatumTask.InputFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
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
 * directory on {@code /pfs} in it. A datum takes an idle slot, has its files put there (one directory per
 * input name holding the datum's files at their repo paths, and an empty {@code out}) and its command
 * started inside the slot's namespace with {@code nsenter --mount}: every process sees its own {@code /pfs},
 * so datums run concurrently without clashing, and nothing is visible outside. Afterwards {@code out} is
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
    private static final int STDERR_TAIL_LINES = 20;
    private static final Pattern PFS = Pattern.compile("(?<![\\w./-])/pfs(?=/|\\b|$)");
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
            deleteTree(datumDir);
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
                List<String> cmd = task.cmd().stream().map(a -> rewrite(a, pfsDir)).toList();
                command.addAll(direct(cmd));
                stdin = stdin.stream().map(l -> rewrite(l, pfsDir)).toList();
            }
            DatumResult failed = execute(task, logs, command, stdin, datumDir);
            return failed != null ? failed : outputs(outDir);
        } catch (IOException e) {
            throw new UncheckedIOException("local runner cannot prepare datum " + task.datumId() + " of job "
                    + task.jobId() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs the datum in an idle slot: its files are put in the slot's directory, which the slot's helper
     * has bind-mounted on /pfs in its own mount namespace, and the command enters that namespace with
     * {@code nsenter} (one exec, no shell, no mount per datum). Its /pfs/out is then moved to the datum's
     * work directory, where pps reads it, and the slot is emptied for the next datum.
     */
    private DatumResult runInSlot(DatumTask task, LogSink logs, Path datumDir)
            throws IOException, InterruptedException {
        Slot slot = slots.acquire();
        try {
            Path pfsDir = slot.pfs();
            clear(pfsDir);
            materialise(task, pfsDir);
            List<String> command = new ArrayList<>(List.of("nsenter", "--mount=" + slot.namespace(),
                    "--wd=" + slot.dir(), "--"));
            command.addAll(task.cmd());
            DatumResult failed = execute(task, logs, command, task.stdin(), slot.dir());
            if (failed != null) {
                return failed;
            }
            Files.createDirectories(datumDir);
            Path outDir = datumDir.resolve("out");
            Files.move(pfsDir.resolve("out"), outDir);
            return outputs(outDir);
        } finally {
            slots.release(slot);
        }
    }

    /** An empty /pfs/out and one directory per input name holding the datum's files at their repo paths. */
    private static void materialise(DatumTask task, Path pfsDir) throws IOException {
        Files.createDirectories(pfsDir.resolve("out"));
        for (String input : task.inputCommits().keySet()) {
            Files.createDirectories(pfsDir.resolve(input));
        }
        for (InputFile f : task.files()) {
            fetch(task.source(), f, pfsDir.resolve(f.input()));
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
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
        Map<String, String> env = pb.environment();
        env.put("PATH", path);
        env.putAll(task.env());
        env.put("PACH_JOB_ID", task.jobId());
        env.put("PACH_DATUM_ID", task.datumId());
        task.inputCommits().forEach((input, commit) -> env.put(input + "_COMMIT", commit));

        Process process = pb.start();
        Deque<String> stderrTail = new ArrayDeque<>();
        Thread out = pump(process.getInputStream(), "stdout", logs, null);
        Thread err = pump(process.getErrorStream(), "stderr", logs, stderrTail);
        Thread in = stdin.isEmpty() ? null : feed(process.getOutputStream(), stdin);
        if (in == null) {
            process.getOutputStream().close();
        }
        int exit;
        try {
            exit = process.waitFor();
            out.join();
            err.join();
        } catch (InterruptedException e) {
            kill(process);
            if (in != null) {
                in.interrupt();
            }
            throw e;
        }
        if (in != null) {
            in.join(TimeUnit.SECONDS.toMillis(1));
        }
        if (exit != 0) {
            String tail;
            synchronized (stderrTail) {
                tail = String.join("\n", stderrTail);
            }
            return DatumResult.failed(exit, "command " + task.cmd() + " exited with code " + exit
                    + (tail.isEmpty() ? "" : ": " + tail));
        }
        return null;
    }

    private static String rewrite(String s, Path pfsDir) {
        return PFS.matcher(s).replaceAll(Matcher.quoteReplacement(pfsDir.toString()));
    }

    private static DatumResult outputs(Path outDir) throws IOException {
        Path realOut = outDir.toRealPath();
        List<String> paths = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(outDir)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                String rel = "/" + outDir.relativize(p).toString().replace(File.separatorChar, '/');
                if (Files.isSymbolicLink(p)) {
                    Path target = p.toRealPath();
                    if (!target.startsWith(realOut) || !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                        return DatumResult.failed(0, "output " + rel + " is a symlink to " + Files.readSymbolicLink(p)
                                + ", which is not a regular file inside /pfs/out; refusing to follow it");
                    }
                    paths.add(rel);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    paths.add(rel);
                }
            }
        } catch (IOException e) {
            return DatumResult.failed(0, "cannot read /pfs/out: " + e.getMessage());
        }
        paths.sort(Comparator.naturalOrder());
        List<String> sorted = List.copyOf(paths);
        return new DatumResult(true, 0, null, new DatumResult.Output() {
            @Override
            public List<String> paths() {
                return sorted;
            }

            @Override
            public InputStream open(String p) throws IOException {
                return Files.newInputStream(outDir.resolve(p.substring(1)));
            }
        });
    }

    /** The previous output commit, fetched once per job, shared read-only by its datums. */
    private Path prevDir(DatumTask task) throws IOException {
        Path dir = workRoot.resolve(task.jobId()).resolve("prev");
        try {
            return prevDirs.computeIfAbsent(task.jobId(), j -> {
                try {
                    deleteTree(dir);
                    Files.createDirectories(dir);
                    for (InputFile f : task.prev()) {
                        fetch(task.source(), f, dir);
                    }
                    makeReadOnly(dir);
                    return dir;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void fetch(DatumTask.FileSource source, InputFile f, Path root) throws IOException {
        Path target = root.resolve(f.path().replaceFirst("^/+", "")).normalize();
        if (!target.startsWith(root)) {
            throw new IOException("input path escapes its directory: " + f.path());
        }
        Files.createDirectories(target.getParent());
        try (InputStream in = source.open(f.repo(), f.commit(), f.path())) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void makeReadOnly(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.forEach(p -> p.toFile().setWritable(false, false));
        }
    }

    private static Thread pump(InputStream stream, String name, LogSink logs, Deque<String> tail) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    logs.line(name, line);
                    if (tail != null) {
                        synchronized (tail) {
                            tail.addLast(line);
                            if (tail.size() > STDERR_TAIL_LINES) {
                                tail.removeFirst();
                            }
                        }
                    }
                }
            } catch (IOException e) {
                // the process was killed: its pipe closed under us
            }
        }, "datum-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static Thread feed(OutputStream stdin, List<String> lines) {
        Thread t = new Thread(() -> {
            try (OutputStream os = stdin) {
                for (String line : lines) {
                    os.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // the command exited without reading all of its stdin, which is its right
            }
        }, "datum-stdin");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void release(String jobId) {
        prevDirs.remove(jobId);
        try {
            deleteTree(workRoot.resolve(jobId));
        } catch (IOException e) {
            LOG.warn("cannot delete work directory of job {}: {}", jobId, e.getMessage());
        }
    }

    /** Stops the slots' helpers; datum processes belong to the jobs, which pps interrupts before this. */
    @Override
    public void close() {
        slots.close();
    }

    /** A long-lived helper process whose private mount namespace has {@code dir/pfs} bound on /pfs. */
    private record Slot(Path dir, Process helper) {
        Path pfs() {
            return dir.resolve("pfs");
        }

        String namespace() {
            return "/proc/" + helper.pid() + "/ns/mnt";
        }
    }

    /**
     * The slots, started on demand (at most one per datum running at once) and reused: a datum then costs
     * one {@code nsenter} exec instead of {@code unshare}, a shell, {@code mkdir}, {@code mount} and a
     * second shell. A helper reads its stdin until EOF, so it ends with the daemon even on SIGKILL; its
     * namespace, and the mount in it, go with it.
     */
    private final class Slots {
        /** $1: the slot's pfs dir; prints a line once /pfs is mounted, then waits for its stdin to close. */
        private static final String HELPER_SCRIPT = "[ -d /pfs ] || mkdir -p /pfs; mount --bind \"$1\" /pfs"
                + " && echo ready && exec cat >/dev/null";
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

        synchronized void release(Slot s) {
            if (closed || !s.helper().isAlive()) {
                discard(s);
            } else {
                idle.push(s);
            }
        }

        private Slot start(Path dir) throws IOException, InterruptedException {
            deleteTree(dir);
            Files.createDirectories(dir.resolve("pfs"));
            Process p = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c",
                    HELPER_SCRIPT, "sluice-slot", dir.resolve("pfs").toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String line;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                    StandardCharsets.UTF_8))) {
                line = r.readLine();
            } catch (IOException e) {
                line = null;
            }
            if (!"ready".equals(line)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                throw new IOException("cannot start a mount namespace helper for " + dir);
            }
            return new Slot(dir, p);
        }

        private void discard(Slot s) {
            all.remove(s);
            stopHelper(s.helper());
            try {
                deleteTree(s.dir());
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
                        deleteTree(d);
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
                deleteTree(c);
            }
        }
    }

    private Isolation probe() {
        Path probe = workRoot.resolve(".probe");
        try {
            deleteTree(probe);
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
                deleteTree(probe);
            } catch (IOException e) {
                LOG.debug("cannot delete {}", probe, e);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                // prev directories are read-only; without write permission a non-root user cannot empty them
                p.getParent().toFile().setWritable(true, true);
                Files.deleteIfExists(p);
            }
        }
    }
}
