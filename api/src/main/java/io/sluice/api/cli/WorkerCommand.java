package io.sluice.api.cli;

import io.sluice.api.Main;
import io.sluice.api.client.ClientException;
import io.sluice.api.client.SluiceClient;
import io.sluice.pfs.ChunkStream;
import io.sluice.runner.DatumProcess;
import io.sluice.runner.DatumResult;
import io.sluice.runner.JobRunner.LogSink;
import io.sluice.runner.kube.WorkerResult;
import io.sluice.runner.kube.WorkerTask;
import io.sluice.storage.ObjectStore;
import io.sluice.storage.ObjectStores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code sluice worker}: the entry point of a Kubernetes worker pod. It polls the daemon for the datums of
 * one job, downloads each datum's files into {@code <pfs>/<input>}, runs the transform with {@code /pfs}
 * really there (or, when {@code --pfs} is another directory, with {@code /pfs} in cmd and stdin rewritten to
 * it), streams its output lines back, stages {@code <pfs>/out} in the object store and reports the result;
 * it exits 0 when the daemon says the job is over.
 */
@Command(name = "worker", description = "Process the datums of one job for a daemon (the entry point of worker pods).")
public final class WorkerCommand implements Callable<Integer> {
    private static final Path PFS = Path.of("/pfs");
    private static final long LOG_FLUSH_MS = 200;
    private static final int LOG_BATCH = 500;
    private static final long UNREACHABLE_GIVE_UP_MS = 120_000;

    @ParentCommand
    Main main;

    @Option(names = "--pfs", paramLabel = "DIR", defaultValue = "/pfs",
            description = "Where datums are shown to user code (default /pfs).")
    Path pfs;

    @Option(names = "--address", paramLabel = "URL", description = "Daemon address (default: $SLUICE_ADDRESS).")
    String address;

    @Option(names = "--job", paramLabel = "ID", description = "The job to work for (default: $SLUICE_JOB_ID).")
    String job;

    @Option(names = "--name", paramLabel = "NAME",
            description = "This worker's name, its pod's (default: $SLUICE_WORKER_NAME, else $HOSTNAME).")
    String name;

    @Option(names = "--store", paramLabel = "URI", description = "Object store for outputs (default: $SLUICE_STORE).")
    String store;

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "20", description = "Long-poll time (default 20).")
    int waitSeconds;

    @Override
    public Integer call() throws IOException {
        Map<String, String> env = main.env();
        String addr = required(address, env.get("SLUICE_ADDRESS"), "--address or SLUICE_ADDRESS");
        String jobId = required(job, env.get("SLUICE_JOB_ID"), "--job or SLUICE_JOB_ID");
        String storeUri = required(store, env.get("SLUICE_STORE"), "--store or SLUICE_STORE");
        String worker = name != null ? name : env.getOrDefault("SLUICE_WORKER_NAME",
                env.getOrDefault("HOSTNAME", "worker-" + ProcessHandle.current().pid()));
        Path root = pfs.toAbsolutePath().normalize();
        Files.createDirectories(root);
        SluiceClient client = new SluiceClient(addr, env.get("SLUICE_AUTH_TOKEN"));
        String base = "/api/v1/workers/" + enc(jobId);
        try (ObjectStore objects = ObjectStores.open(storeUri, Path.of("").toAbsolutePath(), env)) {
            main.out().println("sluice worker " + worker + ": job " + jobId + " from " + addr + ", /pfs at " + root
                    + ", outputs to " + objects.uri());
            long unreachableSince = 0;
            int done = 0;
            while (true) {
                SluiceClient.Streamed poll;
                try {
                    poll = client.getStream(base + "/next", SluiceClient.query("worker", worker, "wait", waitSeconds));
                    unreachableSince = 0;
                } catch (ClientException e) {
                    if (e.status() == 410) {
                        main.out().println("sluice worker " + worker + ": " + e.getMessage() + "; " + done
                                + " datum(s) processed, exiting");
                        return 0;
                    }
                    if (e.status() != 0) {
                        throw e;
                    }
                    // the daemon is restarting or briefly unreachable: keep trying for a while
                    long now = System.currentTimeMillis();
                    unreachableSince = unreachableSince == 0 ? now : unreachableSince;
                    if (now - unreachableSince > UNREACHABLE_GIVE_UP_MS) {
                        throw e;
                    }
                    sleep(1000);
                    continue;
                }
                try (InputStream body = poll.body()) {
                    if (poll.status() == 204) {
                        continue;
                    }
                    WorkerTask task = client.json().readValue(body, WorkerTask.class);
                    process(client, base, objects, root, task);
                    done++;
                }
            }
        }
    }

    private void process(SluiceClient client, String base, ObjectStore objects, Path root, WorkerTask task) {
        String taskPath = base + "/tasks/" + enc(task.taskId());
        WorkerResult result;
        try (LogShipper logs = new LogShipper(client, taskPath + "/logs")) {
            try {
                result = run(objects, root, task, logs);
            } catch (IOException | UncheckedIOException | ClientException e) {
                result = WorkerResult.failed("worker could not run datum " + task.datumId() + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClientException("interrupted");
            }
        }
        try {
            client.post(taskPath + "/result", null, result);
        } catch (ClientException e) {
            if (e.status() != 404) {
                throw e;
            }
            // the daemon withdrew the task (the job was stopped): nothing waits for this result
            main.err().println("sluice worker: " + e.getMessage());
        }
    }

    private WorkerResult run(ObjectStore objects, Path root, WorkerTask task, LogSink logs)
            throws IOException, InterruptedException {
        try (Stream<Path> old = Files.list(root)) {
            for (Path p : (Iterable<Path>) old::iterator) {
                DatumProcess.deleteTree(p);
            }
        }
        Path out = Files.createDirectories(root.resolve("out"));
        for (String input : task.inputCommits().keySet()) {
            Files.createDirectories(root.resolve(input));
        }
        // straight from the object store, as Pachyderm's workers read: the daemon only names the chunks
        for (WorkerTask.WorkerFile f : task.files()) {
            fetch(objects, f, root.resolve(f.file().input()));
        }
        if (task.prev() != null) {
            Path prev = Files.createDirectories(root.resolve("prev"));
            for (WorkerTask.WorkerFile f : task.prev()) {
                fetch(objects, f, prev);
            }
            DatumProcess.makeReadOnly(prev);
        }
        boolean rewrite = !root.equals(PFS);
        List<String> cmd = rewrite ? task.cmd().stream().map(a -> DatumProcess.rewritePfs(a, root)).toList() : task.cmd();
        List<String> stdin = rewrite ? task.stdin().stream().map(l -> DatumProcess.rewritePfs(l, root)).toList() : task.stdin();
        // the worker's own token is for talking to the daemon, never for user code
        ProcessBuilder pb = DatumProcess.withoutDaemonSecrets(new ProcessBuilder(DatumProcess.throughShell(cmd)));
        pb.environment().putAll(DatumProcess.jobEnv(task.jobId(), task.datumId(), task.env(), task.inputCommits()));
        DatumResult ran = DatumProcess.run(pb, task.cmd(), stdin, logs);
        if (ran.success()) {
            ran = DatumProcess.outputs(out);
        }
        if (!ran.success()) {
            return new WorkerResult(ran.exitCode() == 0 ? -1 : ran.exitCode(), ran.error(), List.of());
        }
        List<String> paths = ran.output().paths();
        for (int i = 0; i < paths.size(); i++) {
            Path file = out.resolve(paths.get(i).substring(1));
            try (InputStream in = ran.output().open(paths.get(i))) {
                objects.put(task.staging() + i, in, Files.size(file));
            }
        }
        return new WorkerResult(0, null, paths);
    }

    private static void fetch(ObjectStore objects, WorkerTask.WorkerFile f, Path root) throws IOException {
        DatumProcess.fetch((repo, commit, path) -> new ChunkStream(objects, f.chunks(), 0, -1), f.file(), root);
    }

    /** Echoes each line to this process's output (kubectl logs) and ships them to the daemon in batches. */
    private final class LogShipper implements LogSink, AutoCloseable {
        private final SluiceClient client;
        private final String path;
        private final List<Map<String, String>> buffer = new ArrayList<>();
        private final Thread flusher;
        private volatile boolean closed;

        LogShipper(SluiceClient client, String path) {
            this.client = client;
            this.path = path;
            // The flusher waits on this object's monitor rather than sleeping: interrupting it to stop
            // could land in the middle of a POST and lose that batch.
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
            (stream.equals("stderr") ? main.err() : main.out()).println(message);
            boolean full;
            synchronized (buffer) {
                Map<String, String> line = new LinkedHashMap<>();
                line.put("stream", stream);
                line.put("message", message);
                buffer.add(line);
                full = buffer.size() >= LOG_BATCH;
            }
            if (full) {
                flush();
            }
        }

        private synchronized void flush() {
            List<Map<String, String>> batch;
            synchronized (buffer) {
                if (buffer.isEmpty()) {
                    return;
                }
                batch = new ArrayList<>(buffer);
                buffer.clear();
            }
            try {
                client.post(path, null, Map.of("lines", batch));
            } catch (ClientException e) {
                main.err().println("sluice worker: could not ship " + batch.size() + " log line(s): " + e.getMessage());
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

    private static String required(String option, String fromEnv, String what) {
        String value = option != null ? option : fromEnv;
        if (value == null || value.isBlank()) {
            throw new Main.UsageError("sluice worker needs " + what);
        }
        return value;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
