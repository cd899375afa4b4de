package io.sluice.runner.kube;

import io.sluice.SluiceException;
import io.sluice.runner.DatumResult;
import io.sluice.runner.JobRunner.LogSink;
import io.sluice.runner.exec.DatumExecutor;
import io.sluice.runner.exec.DatumWork;
import io.sluice.runner.exec.DirectLauncher;
import io.sluice.runner.exec.FileSource;
import io.sluice.runner.exec.InputFile;
import io.sluice.runner.exec.OutputSink;
import io.sluice.runner.exec.PrevCache;
import io.sluice.storage.ObjectStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * The engine of a worker pod ({@code sluice worker}): polls the daemon for the datums of one job, runs each
 * through the same {@link DatumExecutor} as the local runner, with its files read from the object store
 * by their locators and its /pfs/out staged there, ships its output lines and reports how it ended; it
 * returns once the daemon says the job is over. The previous output (for incremental pipelines) is
 * fetched once per job, not once per datum.
 */
public final class Worker {
    private static final long LOG_FLUSH_MS = 200;
    private static final int LOG_BATCH = 500;
    private static final Duration UNREACHABLE_GIVE_UP = Duration.ofSeconds(120);

    /** Opens the bytes a locator names (pfs: {@code FileLocator.open} against the pod's store). */
    @FunctionalInterface
    public interface Locators {
        InputStream open(String locator) throws IOException;
    }

    private final WorkerProtocol daemon;
    private final ObjectStore store;
    private final Locators locators;
    private final String jobId;
    private final String name;
    private final Duration wait;
    private final PrintStream out;
    private final PrintStream err;
    private final DatumExecutor executor;

    /**
     * A worker of job {@code jobId} named {@code name} (its pod's), showing datums at {@code pfs}, staging
     * outputs in {@code store}; user code's lines are echoed to {@code out} and {@code err} (kubectl logs).
     */
    public Worker(WorkerProtocol daemon, ObjectStore store, Locators locators, Path pfs, String jobId, String name,
                  Duration wait, PrintStream out, PrintStream err) {
        this.daemon = daemon;
        this.store = store;
        this.locators = locators;
        this.jobId = jobId;
        this.name = name;
        this.wait = wait;
        this.out = out;
        this.err = err;
        Path root = pfs.toAbsolutePath().normalize();
        this.executor = new DatumExecutor(new DirectLauncher(root), new PrevCache(job -> root.resolve("prev")), Map.of());
    }

    /** Works until the daemon says the job is over; the number of datums processed. */
    public int run() throws InterruptedException {
        long unreachableSince = 0;
        int done = 0;
        while (true) {
            WorkQueue.Poll poll;
            try {
                poll = daemon.next(jobId, name, wait).get();
                unreachableSince = 0;
            } catch (ExecutionException | SluiceException e) {
                RuntimeException cause = e instanceof SluiceException se ? se
                        : e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                if (!(cause instanceof SluiceException se) || se.kind() != SluiceException.Kind.UNAVAILABLE) {
                    throw cause;
                }
                // the daemon is restarting or briefly unreachable: keep trying for a while
                long now = System.nanoTime();
                unreachableSince = unreachableSince == 0 ? now : unreachableSince;
                if (now - unreachableSince > UNREACHABLE_GIVE_UP.toNanos()) {
                    throw cause;
                }
                Thread.sleep(1000);
                continue;
            }
            if (poll instanceof WorkQueue.Gone g) {
                out.println("sluice worker " + name + ": " + g.reason() + "; " + done + " datum(s) processed, exiting");
                return done;
            }
            if (poll instanceof WorkQueue.Assigned a) {
                process(a.task());
                done++;
            }
        }
    }

    private void process(WorkerTask task) throws InterruptedException {
        WorkerResult result;
        try (LogShipper logs = new LogShipper(task)) {
            try {
                result = run(task, logs);
            } catch (IOException | RuntimeException e) {
                result = WorkerResult.failed("worker could not run datum " + task.datumId() + ": " + e.getMessage());
            }
        }
        try {
            daemon.result(task.jobId(), task.taskId(), result);
        } catch (SluiceException e) {
            if (e.kind() != SluiceException.Kind.NOT_FOUND) {
                throw e;
            }
            // the daemon withdrew the task (the job was stopped): nothing waits for this result
            err.println("sluice worker: " + e.getMessage());
        }
    }

    private WorkerResult run(WorkerTask task, LogSink logs) throws IOException, InterruptedException {
        Map<InputFile, String> where = new HashMap<>();
        List<InputFile> files = files(task.files(), where);
        List<InputFile> prev = task.prev() == null ? null : files(task.prev(), where);
        FileSource source = f -> {
            String locator = where.get(f);
            if (locator == null) {
                throw new IOException("the task names no locator for " + f.path());
            }
            return locators.open(locator);
        };
        DatumWork work = new DatumWork(task.jobId(), task.datumId(), null, task.command(),
                task.inputCommits().keySet(), files, prev);
        DatumResult r = executor.run(work, source, OutputSink.upload(store, task.staging()), logs);
        return r.success() ? new WorkerResult(0, null, r.output().paths())
                : new WorkerResult(r.exitCode(), r.error(), List.of(), r.recovered());
    }

    private static List<InputFile> files(List<WorkerTask.WorkerFile> wire, Map<InputFile, String> where) {
        List<InputFile> out = new ArrayList<>(wire.size());
        for (WorkerTask.WorkerFile f : wire) {
            where.put(f.file(), f.locator());
            out.add(f.file());
        }
        return out;
    }

    /** Echoes each line to the pod's output and ships them to the daemon in batches. */
    private final class LogShipper implements LogSink, AutoCloseable {
        private final WorkerTask task;
        private final List<WorkerProtocol.LogLine> buffer = new ArrayList<>();
        private final Thread flusher;
        private volatile boolean closed;

        LogShipper(WorkerTask task) {
            this.task = task;
            // The flusher waits on this object's monitor rather than sleeping: interrupting it to stop
            // could land in the middle of a request and lose that batch.
            this.flusher = new Thread(() -> {
                synchronized (this) {
                    while (!closed) {
                        try {
                            wait(LOG_FLUSH_MS);
                        } catch (InterruptedException e) {
                            return;
                        }
                        flush();
                    }
                }
            }, "worker-logs");
            flusher.setDaemon(true);
            flusher.start();
        }

        @Override
        public void line(String stream, String message) {
            (stream.equals("stderr") ? err : out).println(message);
            boolean full;
            synchronized (buffer) {
                buffer.add(new WorkerProtocol.LogLine(stream, message));
                full = buffer.size() >= LOG_BATCH;
            }
            if (full) {
                flush();
            }
        }

        private synchronized void flush() {
            List<WorkerProtocol.LogLine> batch;
            synchronized (buffer) {
                if (buffer.isEmpty()) {
                    return;
                }
                batch = new ArrayList<>(buffer);
                buffer.clear();
            }
            try {
                daemon.logs(task.jobId(), task.taskId(), batch);
            } catch (SluiceException e) {
                err.println("sluice worker: could not ship " + batch.size() + " log line(s): " + e.getMessage());
            }
        }

        @Override
        public void close() {
            synchronized (this) {
                closed = true;
                notifyAll();
            }
            try {
                flusher.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            flush();
        }
    }
}
