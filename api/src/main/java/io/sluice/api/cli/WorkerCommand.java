package io.sluice.api.cli;

import io.sluice.api.Main;
import io.sluice.api.client.HttpWorkerProtocol;
import io.sluice.api.client.SluiceClient;
import io.sluice.pfs.FileLocator;
import io.sluice.runner.kube.Worker;
import io.sluice.runner.kube.WorkerProtocol;
import io.sluice.storage.ObjectStore;
import io.sluice.storage.ObjectStores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code sluice worker}: the entry point of a Kubernetes worker pod. It only reads its options and runs the
 * runner's {@link Worker} (datums from the daemon over HTTP, files and outputs in the object store); it
 * exits 0 when the daemon says the job is over.
 */
@Command(name = "worker", description = "Process the datums of one job for a daemon (the entry point of worker pods).")
public final class WorkerCommand implements Callable<Integer> {

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
    public Integer call() throws IOException, InterruptedException {
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
            return 0;
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
