package io.sluice.runner.local;

import io.sluice.runner.JobRunner.LogSink;
import io.sluice.runner.exec.DatumCommand;
import io.sluice.runner.exec.Launcher;
import io.sluice.runner.exec.ProcessRun;
import io.sluice.runner.exec.Workspace;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.RandomAccessFile;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * One namespace slot: a directory {@code dir} whose {@code pfs} a long-lived helper shell (see
 * {@link HelperScript#HELPER}) has bind-mounted on /pfs in mount and PID namespaces of its own, and which,
 * on request, runs one datum's command there. The JVM writes the request (a small script) and the stdin
 * lines as files, reads the command's stdout and stderr from two FIFOs, and gets its exit status back.
 */
final class Slot {
    private static final String EOF = "\0eof";
    private final Path dir;
    private final Process helper;
    private final Writer requests;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();

    private Slot(Path dir, Process helper) {
        this.dir = dir;
        this.helper = helper;
        this.requests = new OutputStreamWriter(helper.getOutputStream(), StandardCharsets.UTF_8);
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

    /** Starts a helper on {@code dir} (emptied first) and waits until it has mounted /pfs. */
    static Slot start(Path dir) throws IOException, InterruptedException {
        Workspace.deleteTree(dir);
        Files.createDirectories(dir.resolve("pfs"));
        // the commands the helper starts inherit its environment: it must hold none of the daemon's
        Process p = ProcessRun.withBaseEnvironment(new ProcessBuilder(HelperScript.helper(dir)))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Slot s = new Slot(dir, p);
        try {
            s.reply("ready");
        } catch (IOException e) {
            s.stop();
            throw new IOException("cannot start a namespace helper for " + dir + ": " + e.getMessage(), e);
        }
        return s;
    }

    Path dir() {
        return dir;
    }

    Workspace workspace() {
        return new Workspace(dir.resolve("pfs"));
    }

    boolean alive() {
        return helper.isAlive();
    }

    /**
     * Runs {@code c} in the slot as {@code user} (empty: the helper's), with {@code prev} (or null) read-only
     * at /pfs/prev, {@code programs} shown at {@link HelperScript#PROGRAMS} and {@code hidden} covered, and waits for it. On interruption the helper and everything in its PID
     * namespace are killed (the slot is then useless) and {@link InterruptedException} is thrown.
     */
    Launcher.Exit run(DatumCommand c, Path prev, List<Path> programs, List<Path> hidden, String user, LogSink logs)
            throws IOException, InterruptedException {
        Files.writeString(dir.resolve("request"), HelperScript.request(c, prev, programs, hidden, user));
        StringBuilder stdin = new StringBuilder();
        c.stdin().forEach(l -> stdin.append(l).append('\n'));
        Files.writeString(dir.resolve("stdin"), stdin);

        ProcessRun.Tail tail = new ProcessRun.Tail();
        Fifo out = new Fifo(dir.resolve("stdout"), "stdout", logs, null);
        Fifo err = new Fifo(dir.resolve("stderr"), "stderr", logs, tail);
        send("run");
        int exit;
        try {
            exit = Integer.parseInt(reply("exit "));
        } catch (InterruptedException e) {
            ProcessRun.killTree(helper.toHandle());
            out.end();
            err.end();
            throw e;
        }
        out.end();
        err.end();
        return new Launcher.Exit(exit, tail.toString());
    }

    private void send(String line) throws IOException {
        requests.write(line + "\n");
        requests.flush();
    }

    /** The next reply, which must start with {@code prefix}; what follows it. */
    private String reply(String prefix) throws IOException, InterruptedException {
        String line = replies.take();
        if (!line.startsWith(prefix)) {
            throw new IOException("the namespace helper of " + dir + " answered '"
                    + (line.equals(EOF) ? "nothing (it ended)" : line) + "' instead of '" + prefix.trim() + "'");
        }
        return line.substring(prefix.length());
    }

    /** Stops the helper (and with it everything in its namespaces) and deletes the slot's directory. */
    void stop() {
        try {
            helper.getOutputStream().close();
        } catch (IOException e) {
            // already gone
        }
        ProcessRun.killTree(helper.toHandle());
        try {
            Workspace.deleteTree(dir);
        } catch (IOException e) {
            // a later start of the runner deletes stale slots
        }
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

        Fifo(Path path, String name, LogSink logs, ProcessRun.Tail tail) {
            this.path = path;
            this.thread = ProcessRun.pump(() -> {
                InputStream in = Files.newInputStream(path);
                opened = true;
                return in;
            }, name, logs, tail);
        }

        /** Waits for the pump to read to EOF once the command ended. */
        void end() throws InterruptedException {
            while (!opened && thread.isAlive()) {
                try (RandomAccessFile unblock = new RandomAccessFile(path.toFile(), "rw")) {
                    // opening both ends lets a blocked open return; closing gives it EOF
                } catch (IOException e) {
                    break;
                }
                thread.join(10);
            }
            thread.join();
        }
    }
}
