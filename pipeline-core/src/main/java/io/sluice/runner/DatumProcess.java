package io.sluice.runner;

import io.sluice.runner.DatumTask.InputFile;
import io.sluice.runner.JobRunner.LogSink;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The parts of running user code over one datum that the local runner and the Kubernetes worker
 * ({@code sluice worker}) share: fetching a datum's files, Pachyderm's job variables, running the command
 * with every output line logged and the end of stderr kept for the error, and reading {@code /pfs/out}
 * (refusing symlinks that leave it).
 */
public final class DatumProcess {
    private static final int STDERR_TAIL_LINES = 20;
    private static final Pattern PFS = Pattern.compile("(?<![\\w./-])/pfs(?=/|\\b|$)");

    private DatumProcess() {
    }

    /** {@code s} with every {@code /pfs} path prefix replaced by {@code pfsDir}. */
    public static String rewritePfs(String s, Path pfsDir) {
        return PFS.matcher(s).replaceAll(Matcher.quoteReplacement(pfsDir.toString()));
    }

    /** Copies one input file to {@code root}/its path, refusing a path that would leave {@code root}. */
    public static void fetch(DatumTask.FileSource source, InputFile f, Path root) throws IOException {
        Path target = root.resolve(f.path().replaceFirst("^/+", "")).normalize();
        if (!target.startsWith(root)) {
            throw new IOException("input path escapes its directory: " + f.path());
        }
        Files.createDirectories(target.getParent());
        try (InputStream in = source.open(f.repo(), f.commit(), f.path())) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** {@code cmd} run through {@code sh} so that the child's PATH (from {@code transform.env}) finds it. */
    public static List<String> throughShell(List<String> cmd) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", "exec \"$@\"", "sluice-pfs"));
        command.addAll(cmd);
        return command;
    }

    /** Takes write permission off everything under {@code dir} (the previous output shown at /pfs/prev). */
    public static void makeReadOnly(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.forEach(p -> p.toFile().setWritable(false, false));
        }
    }

    /** Variables of the daemon's own environment that user code must never inherit: the API's bearer token. */
    public static final Set<String> DAEMON_SECRETS = Set.of("SLUICE_AUTH_TOKEN");

    /**
     * {@code pb} with {@link #DAEMON_SECRETS} taken out of the environment it inherits, so user code cannot
     * read the daemon's credentials (a transform.env entry of the same name is still passed on).
     */
    public static ProcessBuilder withoutDaemonSecrets(ProcessBuilder pb) {
        pb.environment().keySet().removeAll(DAEMON_SECRETS);
        return pb;
    }

    /** {@code transform.env} plus {@code PACH_JOB_ID}, {@code PACH_DATUM_ID} and {@code <input>_COMMIT}. */
    public static Map<String, String> jobEnv(String jobId, String datumId, Map<String, String> transformEnv,
                                             Map<String, String> inputCommits) {
        Map<String, String> env = new LinkedHashMap<>(transformEnv);
        env.put("PACH_JOB_ID", jobId);
        env.put("PACH_DATUM_ID", datumId);
        inputCommits.forEach((input, commit) -> env.put(input + "_COMMIT", commit));
        return env;
    }

    /**
     * Starts {@code pb}, feeds it {@code stdin}, passes every line it prints to {@code logs}, and waits for it.
     * Returns a successful result without outputs when it exits 0, else a failed one naming {@code cmd} with
     * the end of its stderr. When the calling thread is interrupted, the process and its descendants are
     * killed and {@link InterruptedException} is thrown.
     */
    public static DatumResult run(ProcessBuilder pb, List<String> cmd, List<String> stdin, LogSink logs)
            throws IOException, InterruptedException {
        Process process = pb.start();
        Deque<String> stderrTail = new ArrayDeque<>();
        Thread out = pump(process::getInputStream, "stdout", logs, null);
        Thread err = pump(process::getErrorStream, "stderr", logs, stderrTail);
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
        return exit == 0 ? new DatumResult(true, 0, null, null) : failure(cmd, exit, stderrTail);
    }

    /** The failed result of {@code cmd} exiting with {@code exit}, with the end of its stderr. */
    static DatumResult failure(List<String> cmd, int exit, Deque<String> stderrTail) {
        String tail;
        synchronized (stderrTail) {
            tail = String.join("\n", stderrTail);
        }
        return DatumResult.failed(exit, "command " + cmd + " exited with code " + exit
                + (tail.isEmpty() ? "" : ": " + tail));
    }

    /**
     * The files in {@code outDir} as a successful result; a symlink there counts only when it points at a
     * regular file inside {@code outDir}, anything else fails the datum.
     */
    public static DatumResult outputs(Path outDir) {
        List<String> paths = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(outDir)) {
            Path realOut = outDir.toRealPath();
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

    /** Deletes {@code dir} and everything under it, read-only directories included; a missing dir is fine. */
    public static void deleteTree(Path dir) throws IOException {
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

    /** Opens a stream on the pump's own thread (opening a FIFO blocks until its writer opens it). */
    interface StreamOpener {
        InputStream open() throws IOException;
    }

    /**
     * Reads the lines of the stream {@code stream} opens into {@code logs} on a thread of its own, keeping
     * the last lines in {@code tail} when it is not null.
     */
    static Thread pump(StreamOpener stream, String name, LogSink logs, Deque<String> tail) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream.open(),
                    StandardCharsets.UTF_8))) {
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

    /** Kills {@code process} and everything it started. */
    static void kill(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
