package io.sluice.runner.kube;

import io.sluice.runner.JobRunner;
import io.sluice.runner.JobRunnerContract;
import io.sluice.runner.exec.FileSource;
import io.sluice.runner.exec.InputFile;
import io.sluice.storage.MemObjectStore;

import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kubernetes runner against fabric8's mock API server, with its pods' work done by in-process
 * {@link Worker}s (each on a /pfs directory of its own, so /pfs is rewritten) talking to the protocol's
 * server side directly; files travel as locators, outputs through an in-memory object store.
 */
class KubernetesRunnerContractTest extends JobRunnerContract {
    @RegisterExtension
    final MockCluster cluster = new MockCluster();

    private final List<Thread> workers = new ArrayList<>();
    private final WorkQueue queue = new WorkQueue();

    @Override
    protected JobRunner create(Path dataDir, FileSource source) throws Exception {
        MemObjectStore store = new MemObjectStore();
        KubernetesJobRunner runner = new KubernetesJobRunner(cluster.client(), new KubernetesJobRunner.Options("pipelines",
                "http://sluice:5000", Map.of(), null, 600, null), queue, store,
                (repo, commit, path) -> String.join("\n", repo, commit, path));
        WorkerProtocol server = new WorkerProtocol.Server(queue);
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        for (int i = 0; i < 4; i++) {
            Path pfs = Files.createDirectories(dataDir.resolve("worker-" + i).resolve("pfs"));
            Worker w = new Worker(server, store, locator -> {
                String[] parts = locator.split("\n");
                return source.open(new InputFile("", parts[0], parts[1], parts[2], 0));
            }, pfs, "job1", "pod-" + i, Duration.ofMillis(200), quiet, quiet);
            Thread t = new Thread(() -> {
                try {
                    w.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "worker-" + i);
            t.setDaemon(true);
            workers.add(t);
        }
        queue.open("job1");
        workers.forEach(Thread::start);
        return runner;
    }

    @Override
    protected void closed() throws InterruptedException {
        queue.close("job1");
        for (Thread t : workers) {
            t.join(10_000);
            assertThat(t.isAlive()).as(t.getName() + " exited").isFalse();
        }
    }

    @Override
    protected boolean readOnlyPrev() {
        return false;
    }

    @Override
    protected boolean killsOnInterrupt() {
        // the daemon deletes the Kubernetes Job, whose pods then go; an in-process worker has no pod
        return false;
    }

    @Override
    protected boolean keepsInputLinks() {
        // the worker stages every output as bytes in the object store
        return false;
    }

    @Override
    protected boolean privatePfs() {
        return false;
    }
}
