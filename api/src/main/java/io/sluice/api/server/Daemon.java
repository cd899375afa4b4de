package io.sluice.api.server;

import io.sluice.SluiceException;
import io.sluice.pfs.PfsService;
import io.sluice.pps.PpsService;
import io.sluice.runner.JobRunner;
import io.sluice.runner.LocalJobRunner;
import io.sluice.storage.ObjectStore;
import io.sluice.storage.ObjectStores;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The services of one running daemon, opened together on one data dir and closed in reverse order. */
public final class Daemon implements Closeable {
    private final DaemonConfig config;
    private final ObjectStore store;
    private final PfsService pfs;
    private final JobRunner runner;
    private final PpsService pps;

    private Daemon(DaemonConfig config, ObjectStore store, PfsService pfs, JobRunner runner, PpsService pps) {
        this.config = config;
        this.store = store;
        this.pfs = pfs;
        this.runner = runner;
        this.pps = pps;
    }

    /** Opens the daemon with the process environment (S3 endpoint and credentials come from AWS_* variables). */
    public static Daemon open(DaemonConfig config) throws IOException {
        return open(config, System.getenv());
    }

    /** Opens (creating if needed) the data dir and the store, and starts the pipeline watcher. */
    public static Daemon open(DaemonConfig config, Map<String, String> env) throws IOException {
        Path dataDir = config.dataDir();
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot create data dir " + dataDir + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(dataDir)) {
            throw SluiceException.unavailable("data dir " + dataDir + " is not writable", null);
        }
        ObjectStore store = ObjectStores.open(config.storeUri(), dataDir, env);
        PfsService pfs = new PfsService(dataDir, store);
        JobRunner runner = new LocalJobRunner(dataDir, config.jobPath());
        PpsService pps = new PpsService(dataDir, pfs, runner);
        pps.start();
        return new Daemon(config, store, pfs, runner, pps);
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

    public JobRunner runner() {
        return runner;
    }

    @Override
    public void close() throws IOException {
        pps.close();
        runner.close();
        pfs.close();
        store.close();
    }
}
