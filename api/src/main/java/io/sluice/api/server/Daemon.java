package io.sluice.api.server;

import io.sluice.SluiceException;
import io.sluice.pfs.PfsService;
import io.sluice.pps.PpsService;
import io.sluice.runner.JobRunner;
import io.sluice.pfs.FileLocator;
import io.sluice.runner.local.LocalJobRunner;
import io.sluice.runner.kube.KubernetesJobRunner;
import io.sluice.runner.kube.WorkQueue;
import io.sluice.storage.DataDirLock;
import io.sluice.storage.ObjectStore;
import io.sluice.storage.ObjectStores;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The services of one running daemon, opened together on one data dir and closed in reverse order. */
public final class Daemon implements Closeable {
    private final DataDirLock lock;
    private final DaemonConfig config;
    private final ObjectStore store;
    private final PfsService pfs;
    private final WorkQueue workQueue;
    private final JobRunner runner;
    private final PpsService pps;
    private final Startup startup = new Startup();

    /** What worker pods need to find the same store. */
    private static final List<String> STORE_ENV = List.of("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_REGION");
    /** Secrets worker pods need; taken from the worker Secret instead when there is one. */
    private static final List<String> SECRET_ENV = List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN");

    private Daemon(DataDirLock lock, DaemonConfig config, ObjectStore store, PfsService pfs, WorkQueue workQueue,
                   JobRunner runner, PpsService pps) {
        this.lock = lock;
        this.config = config;
        this.store = store;
        this.pfs = pfs;
        this.workQueue = workQueue;
        this.runner = runner;
        this.pps = pps;
    }

    /** Opens the daemon with the process environment (S3 endpoint and credentials come from AWS_* variables). */
    public static Daemon open(DaemonConfig config) throws IOException {
        return open(config, System.getenv());
    }

    /**
     * Opens (creating if needed) the data dir and the store, and starts the pipeline watcher; refuses (CONFLICT)
     * a data dir another daemon holds.
     */
    public static Daemon open(DaemonConfig config, Map<String, String> env) throws IOException {
        return open(lock(config.dataDir()), config, env);
    }

    /**
     * Creates {@code dataDir} if needed and takes its exclusive lock, or fails (CONFLICT) naming the holder: the
     * first thing a daemon does there, before it touches any file in it (its token file included).
     */
    public static DataDirLock lock(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot create data dir " + dataDir + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(dataDir)) {
            throw SluiceException.unavailable("data dir " + dataDir + " is not writable", null);
        }
        // opening the repos removes Git lock files, which are only stale if no one else runs here
        return DataDirLock.acquire(dataDir);
    }

    /**
     * Opens the daemon on a data dir whose lock {@code lock} (from {@link #lock}) is held; the daemon owns the
     * lock from then on and releases it at close, or at once if opening fails.
     */
    public static Daemon open(DataDirLock lock, DaemonConfig config, Map<String, String> env) throws IOException {
        try {
            return openLocked(lock, config, env);
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static Daemon openLocked(DataDirLock lock, DaemonConfig config, Map<String, String> env) throws IOException {
        Path dataDir = config.dataDir();
        ObjectStore store = ObjectStores.open(config.storeUri(), dataDir, env);
        PfsService pfs = new PfsService(dataDir, store);
        WorkQueue workQueue = new WorkQueue();
        JobRunner runner;
        try {
            // a chunk store outside the data dir holds every repo's bytes: datums must not read it either
            List<Path> storeDir = store.uri().startsWith("file:") ? List.of(Path.of(store.uri().substring("file:".length())))
                    : List.of();
            runner = config.kubernetes() == null ? new LocalJobRunner(dataDir, config.jobPath(), null, storeDir)
                    : kubernetesRunner(config, env, store, pfs, workQueue);
        } catch (RuntimeException e) {
            pfs.close();
            store.close();
            throw e;
        }
        PpsService pps = new PpsService(dataDir, pfs, runner);
        pps.start();
        return new Daemon(lock, config, store, pfs, workQueue, runner, pps);
    }

    /**
     * Worker pods get the store's URI and endpoint from the daemon; its credentials and token from the
     * worker Secret when there is one, else from the daemon's own values.
     */
    private static JobRunner kubernetesRunner(DaemonConfig config, Map<String, String> env, ObjectStore store,
                                              PfsService pfs, WorkQueue workQueue) {
        DaemonConfig.Kubernetes k = config.kubernetes();
        Map<String, String> workerEnv = new TreeMap<>();
        workerEnv.put("SLUICE_STORE", store.uri());
        List<String> passed = new ArrayList<>(STORE_ENV);
        if (k.workerSecret() == null) {
            passed.addAll(SECRET_ENV);
            if (config.authToken() != null && !config.authToken().isEmpty()) {
                workerEnv.put("SLUICE_AUTH_TOKEN", config.authToken());
            }
        }
        for (String name : passed) {
            if (env.get(name) != null) {
                workerEnv.put(name, env.get(name));
            }
        }
        JobRunner runner = KubernetesJobRunner.connect(env, new KubernetesJobRunner.Options(k.namespace(),
                k.workerAddress(), workerEnv, k.workerSecret(), k.ttlSecondsAfterFinished(),
                KubernetesJobRunner.Owner.fromEnv(env)), workQueue, store, (repo, commit, path) -> FileLocator.of(pfs.chunks(repo, commit, path)));
        if (!store.uri().startsWith("s3://")) {
            // workers upload their outputs to the store: a directory on this machine is out of their reach
            runner.close();
            throw SluiceException.invalid("--runner kubernetes needs a store the pods reach, such as --store "
                    + "s3://BUCKET[/PREFIX], not " + store.uri());
        }
        return runner;
    }

    /** What {@code sluice up} still sets up before health answers 200. */
    public Startup startup() {
        return startup;
    }

    public DaemonConfig config() {
        return config;
    }

    public ObjectStore store() {
        return store;
    }

    public PfsService pfs() {
        return pfs;
    }

    public PpsService pps() {
        return pps;
    }

    /** The datums waiting for remote workers (only the Kubernetes runner fills it). */
    public WorkQueue workQueue() {
        return workQueue;
    }

    public JobRunner runner() {
        return runner;
    }

    @Override
    public void close() throws IOException {
        try {
            pps.close();
            runner.close();
            pfs.close();
            store.close();
        } finally {
            lock.close(); // last: only now may another daemon take the data dir
        }
    }
}
