package io.sluice.runner.exec;

import io.sluice.runner.JobRunner.LogSink;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Running one process to its end with its stdout and stderr lines passed to a {@link LogSink}, the last
 * stderr lines kept, stdin lines fed on a thread of their own, and the whole process tree killed on
 * interruption: the parts both launchers share.
 */
public final class ProcessRun {
    private static final int STDERR_TAIL_LINES = 20;

    /**
     * The only variables of the daemon's (or worker's) own environment that user code inherits: what a
     * program needs to run at all. Everything else (the API token, AWS credentials, whatever the daemon was
     * started with) stays out; a datum gets Pachyderm's variables plus its spec's env and secrets on top.
     */
    public static final Set<String> INHERITED = Set.of("PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "TMPDIR",
            "TZ", "LANG", "LANGUAGE");

    private ProcessRun() {
    }

    /** {@code pb} with its inherited environment cut down to {@link #INHERITED} and the {@code LC_*} locale names. */
    public static ProcessBuilder withBaseEnvironment(ProcessBuilder pb) {
        pb.environment().keySet().removeIf(name -> !INHERITED.contains(name) && !name.startsWith("LC_"));
        return pb;
    }

    /** The last stderr lines of one run, kept as they are read. */
    public static final class Tail {
        private final Deque<String> lines = new ArrayDeque<>();

        synchronized void add(String line) {
            lines.addLast(line);
            if (lines.size() > STDERR_TAIL_LINES) {
                lines.removeFirst();
            }
        }

        @Override
        public synchronized String toString() {
            return String.join("\n", lines);
        }
    }

    /** Starts {@code pb}, feeds it {@code stdin}, logs its output, waits; kills its tree when interrupted. */
    public static Launcher.Exit run(ProcessBuilder pb, List<String> stdin, LogSink logs)
            throws IOException, InterruptedException {
        Process process = pb.start();
        Tail tail = new Tail();
        Thread out = pump(process::getInputStream, "stdout", logs, null);
        Thread err = pump(process::getErrorStream, "stderr", logs, tail);
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
            killTree(process.toHandle());
            if (in != null) {
                in.interrupt();
            }
            throw e;
        }
        if (in != null) {
            in.join(TimeUnit.SECONDS.toMillis(1));
        }
        return new Launcher.Exit(exit, tail.toString());
    }

    /** Opens a stream on the pump's own thread (opening a FIFO blocks until its writer opens it). */
    public interface StreamOpener {
        InputStream open() throws IOException;
    }

    /** Reads the lines of the stream {@code stream} opens into {@code logs} on a thread of its own. */
    public static Thread pump(StreamOpener stream, String name, LogSink logs, Tail tail) {
        Thread t = new Thread(() -> {
            try {
                copyLines(stream.open(), name, logs, tail);
            } catch (IOException e) {
                // the process was killed: its pipe closed under us
            }
        }, "datum-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Passes each line of {@code in} to {@code logs} as stream {@code name} (and to {@code tail}, when not
     * null) until EOF, and closes it.
     */
    public static void copyLines(InputStream in, String name, LogSink logs, Tail tail) throws IOException {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                logs.line(name, line);
                if (tail != null) {
                    tail.add(line);
                }
            }
        }
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

    /** Kills {@code process} and everything it started, descendants first so none is re-parented away. */
    public static void killTree(ProcessHandle process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.onExit().get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // it is being killed; nothing more to do
        }
    }
}
