package io.sluice.api.cli;

import io.sluice.api.Main;
import io.sluice.api.client.HttpWorkerProtocol;
import io.sluice.api.client.SluiceClient;
import io.sluice.pfs.FileLocator;
import io.sluice.runner.kube.Worker;
import io.sluice.runner.kube.WorkerProtocol;
import io.sluice.storage.ObjectStore;
import io.sluice.storage.ObjectStores;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * {@code sluice worker}: the entry point of a Kubernetes worker pod. It only reads its options and runs the
 * runner's {@link Worker} (datums from the daemon over HTTP, files and outputs in the object store); it
 * exits 0 when the daemon says the job is over.
 */
public final class WorkerCommand extends Cmd {
    private Path pfs;

    private String address;

    private String job;

    private String name;

    private String store;

    private int waitSeconds;

    public WorkerCommand() {
        super("worker", "Process the datums of one job for a daemon (the entry point of worker pods).");
        option("--pfs", "DIR", Path.class, "/pfs", "Where datums are shown to user code (default /pfs).");
        option("--address", "URL", "Daemon address (default: $SLUICE_ADDRESS).");
        option("--job", "ID", "The job to work for (default: $SLUICE_JOB_ID).");
        option("--name", "NAME", "This worker's name, its pod's (default: $SLUICE_WORKER_NAME, else $HOSTNAME).");
        option("--store", "URI", "Object store for outputs (default: $SLUICE_STORE).");
        option("--wait", "SECONDS", int.class, "20", "Long-poll time (default 20).");
    }

    @Override
    protected void run() throws IOException, InterruptedException {
        pfs = value("--pfs");
        address = value("--address");
        job = value("--job");
        name = value("--name");
        store = value("--store");
        waitSeconds = value("--wait");
        Main main = main();
        Map<String, String> env = main.env();
        String addr = required(address, env.get("SLUICE_ADDRESS"), "--address or SLUICE_ADDRESS");
        String jobId = required(job, env.get("SLUICE_JOB_ID"), "--job or SLUICE_JOB_ID");
        String storeUri = required(store, env.get("SLUICE_STORE"), "--store or SLUICE_STORE");
        String worker = name != null ? name : env.getOrDefault("SLUICE_WORKER_NAME",
                env.getOrDefault("HOSTNAME", "worker-" + ProcessHandle.current().pid()));
        Path root = pfs.toAbsolutePath().normalize();
        Files.createDirectories(root);
        WorkerProtocol daemon = new HttpWorkerProtocol(new SluiceClient(addr, env.get("SLUICE_AUTH_TOKEN")));
        try (ObjectStore objects = ObjectStores.open(storeUri, Path.of("").toAbsolutePath(), env)) {
            main.out().println("sluice worker " + worker + ": job " + jobId + " from " + addr + ", /pfs at " + root
                    + ", outputs to " + objects.uri());
            new Worker(daemon, objects, locator -> FileLocator.open(objects, locator), root, jobId, worker,
                    Duration.ofSeconds(waitSeconds), main.out(), main.err()).run();
        }
    }

    private static String required(String option, String fromEnv, String what) {
        String value = option != null ? option : fromEnv;
        if (value == null || value.isBlank()) {
            throw new Main.UsageError("sluice worker needs " + what);
        }
        return value;
    }
}
