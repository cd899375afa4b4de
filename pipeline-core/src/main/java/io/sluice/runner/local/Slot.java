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
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One namespace slot: a directory {@code dir} whose {@code pfs} a long-lived helper shell (see
 * {@link HelperScript#HELPER}) has bind-mounted on /pfs in mount and PID namespaces of its own, and which,
 * on request, runs one datum's command there. Per datum the JVM writes the request (a small script) as a
 * file (and the stdin lines, when there are any), asks for it with one line on the helper's stdin and gets
 * the exit status back on its stdout; the command's stdout and stderr come through two FIFOs that one reader
 * thread each reads for the slot's whole life, datum after datum.
 */
final class Slot {
    private static final String EOF = "\0eof";
    private final Path dir;
    private final Process helper;
    private final Writer requests;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    /** The readers of the command's stdout and stderr FIFOs, for the slot's whole life (the helper makes the FIFOs). */
    private Fifo out;
    private Fifo err;
    /** Set when a datum left something in /tmp that cannot be removed: the slot is then discarded. */
    private volatile boolean broken;

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

    /**
     * Starts a helper on {@code dir} (emptied first) that can show prev directories under {@code prevRoot},
     * shows {@code programs} and hides {@code hidden} (see {@link HelperScript#HELPER}), and waits until it
     * is set up.
     */
    static Slot start(Path dir, Path prevRoot, List<Path> programs, List<Path> hidden) throws IOException, InterruptedException {
        Workspace.deleteTree(dir);
        Files.createDirectories(dir.resolve("pfs"));
        // the commands the helper starts inherit its environment: it must hold none of the daemon's
        Process p = ProcessRun.withBaseEnvironment(new ProcessBuilder(HelperScript.helper(dir, prevRoot, programs, hidden)))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Slot s = new Slot(dir, p);
        try {
            s.reply("ready");
            s.out = new Fifo(dir.resolve("stdout"), "stdout");
            s.err = new Fifo(dir.resolve("stderr"), "stderr");
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
        return !broken && helper.isAlive();
    }

    /**
     * Runs {@code c} in the slot as {@code user} (null: the helper's; {@code unknownUser}: a user name this
     * machine does not know, which fails the run saying so), with the directory {@code prevRelative} under
     * the prev root (or null) read-only at /pfs/prev and its secret files shown, and waits for it; then every
     * process it left is gone, what was mounted for it is unmounted, and its /tmp and /var/tmp are emptied
     * for the next datum. On interruption the helper and everything in
     * its PID namespace are killed (the slot is then useless) and {@link InterruptedException} is thrown.
     */
    Launcher.Exit run(DatumCommand c, String prevRelative, HelperScript.RunAs user, String unknownUser, LogSink logs)
            throws IOException, InterruptedException {
        Files.writeString(dir.resolve("request"), HelperScript.request(c, prevRelative, user, unknownUser));
        if (!c.stdin().isEmpty()) {
            StringBuilder stdin = new StringBuilder();
            c.stdin().forEach(l -> stdin.append(l).append('\n'));
            Files.writeString(dir.resolve("stdin"), stdin);
        }
        ProcessRun.Tail tail = new ProcessRun.Tail();
        Fifo.Use outUse = out.serve(logs, null);
        Fifo.Use errUse = err.serve(logs, tail);
        send(c.stdin().isEmpty() ? "run" : "run stdin");
        int exit;
        try {
            exit = Integer.parseInt(reply("exit "));
        } catch (InterruptedException e) {
            // the slot is discarded: stop() ends the readers
            ProcessRun.killTree(helper.toHandle());
            throw e;
        }
        out.await(outUse);
        err.await(errUse);
        emptyTmp();
        return new Launcher.Exit(exit, tail.toString());
    }

    /**
     * Empties the slot's /tmp and /var/tmp, seen through the helper's root in /proc: the next datum finds them
     * as a fresh tmpfs would be (the program directories live outside them, at {@link HelperScript#PROGRAMS}).
     * Nothing of the last datum runs any more (the helper killed it before it answered), so nothing changes
     * under this walk. An entry on another file system (a mount root user code made) is not descended into:
     * the slot is marked broken instead, and its namespace, mounts and all, goes when it is discarded.
     */
    private void emptyTmp() {
        Path root = Path.of("/proc", Long.toString(helper.pid()), "root");
        try {
            for (String t : List.of("tmp", "var/tmp")) {
                Path tmp = root.resolve(t);
                if (!Files.isDirectory(tmp, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                Object dev = Files.getAttribute(tmp, "unix:dev", LinkOption.NOFOLLOW_LINKS);
                try (Stream<Path> children = Files.list(tmp)) {
                    for (Path child : (Iterable<Path>) children::iterator) {
                        deleteOnDevice(child, dev);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            broken = true;
        }
    }

    /** Deletes {@code p} and what is under it, all of which must be on the device {@code dev}. */
    private static void deleteOnDevice(Path p, Object dev) throws IOException {
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                onDevice(d, dev);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                onDevice(f, dev);
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void onDevice(Path p, Object dev) throws IOException {
        if (!dev.equals(Files.getAttribute(p, "unix:dev", LinkOption.NOFOLLOW_LINKS))) {
            throw new IOException(p + " is on another file system");
        }
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
        for (Fifo f : new Fifo[] {out, err}) {
            if (f != null) {
                f.stop();
            }
        }
        try {
            Workspace.deleteTree(dir);
        } catch (IOException e) {
            // a later start of the runner deletes stale slots
        }
    }

    /**
     * Reads one of a slot's FIFOs into the logs of the datum it {@link #serve serves}, on one thread for the
     * slot's whole life: each datum's command opens the FIFO (through the helper's redirection), writes and
     * closes it, and the EOF that follows, once the helper has killed everything of the datum, ends that
     * datum's stream. The open blocks until the command opens its end, so {@link #await} unblocks an open the
     * command never made (it was killed, or a redirection failed) by opening and closing the FIFO itself.
     */
    private static final class Fifo {
        private final Path path;
        private final String name;
        private final Thread thread;
        /** The datum whose stream the next open belongs to; set before the helper is asked to run it. */
        private volatile Use current;
        private volatile boolean stopped;

        /** One datum's use of the FIFO: where its lines go, and whether its stream was opened and read to EOF. */
        static final class Use {
            private final LogSink logs;
            private final ProcessRun.Tail tail;
            private volatile boolean opened;
            private final CountDownLatch done = new CountDownLatch(1);

            private Use(LogSink logs, ProcessRun.Tail tail) {
                this.logs = logs;
                this.tail = tail;
            }
        }

        Fifo(Path path, String name) {
            this.path = path;
            this.name = name;
            this.thread = new Thread(this::readAll, "slot-" + name);
            thread.setDaemon(true);
            thread.start();
        }

        /** Hands the FIFO's next stream to {@code logs} (and {@code tail}, when not null). */
        Use serve(LogSink logs, ProcessRun.Tail tail) {
            Use u = new Use(logs, tail);
            current = u;
            return u;
        }

        private void readAll() {
            while (!stopped) {
                InputStream in;
                try {
                    in = Files.newInputStream(path);
                } catch (IOException e) {
                    // the FIFO is gone (the slot stopped) or unusable: await sees this thread end
                    return;
                }
                Use u = current;
                try {
                    if (u == null || u.opened) {
                        // an unblocking open when no datum's stream was waiting for one
                        in.close();
                        continue;
                    }
                    u.opened = true;
                    ProcessRun.copyLines(in, name, u.logs, u.tail);
                } catch (IOException e) {
                    // a read failed: that datum's stream ends here
                } finally {
                    if (u != null) {
                        u.done.countDown();
                    }
                }
            }
        }

        /** Waits until the stream {@code u} served has been read to EOF (the command ended). */
        void await(Use u) throws InterruptedException {
            while (!u.opened && thread.isAlive()) {
                unblock();
                if (u.done.await(10, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
            while (thread.isAlive() && !u.done.await(100, TimeUnit.MILLISECONDS)) {
                // read to EOF: every writer of this datum is dead
            }
        }

        /** Opening both ends lets a blocked open return; closing gives it EOF. */
        private void unblock() {
            try (RandomAccessFile unblock = new RandomAccessFile(path.toFile(), "rw")) {
                // nothing to write
            } catch (IOException e) {
                // the FIFO is gone: the reader ends
            }
        }

        /** Ends the reader thread. */
        void stop() {
            stopped = true;
            current = null;
            for (int i = 0; i < 50 && thread.isAlive(); i++) {
                unblock();
                try {
                    thread.join(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
