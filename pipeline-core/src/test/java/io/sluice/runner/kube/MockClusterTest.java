package io.sluice.runner.kube;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mock API server stays responsive, and closes in time, when a watch is closed just after an event for it
 * was sent, as the Kubernetes runner's watches are when it stops a job.
 */
class MockClusterTest {
    @RegisterExtension
    final MockCluster cluster = new MockCluster();

    @Test
    void aWatchClosedAsItsJobIsDeletedDoesNotStallTheServer() {
        var jobs = cluster.client().batch().v1().jobs().inNamespace("ns");
        for (int i = 0; i < 20; i++) {
            Job job = jobs.resource(new JobBuilder().withNewMetadata().withName("j" + i).endMetadata().withNewSpec()
                    .withNewTemplate().withNewSpec().addNewContainer().withName("c").withImage("img").endContainer()
                    .endSpec().endTemplate().endSpec().build()).create();
            Watch watch = jobs.withName(job.getMetadata().getName()).watch(new Watcher<Job>() {
                @Override
                public void eventReceived(Action action, Job changed) {
                }

                @Override
                public void onClose(WatcherException cause) {
                }
            });
            // what the runner does when it stops a job: delete its Job, then close its watches
            long t0 = System.nanoTime();
            jobs.withName(job.getMetadata().getName()).delete();
            watch.close();
            // a request the mock drops (an event for a watch whose sender has shut down) holds the delete for the
            // client's 10 s request timeout; otherwise it is answered in milliseconds
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("delete and close of watch %d", i)
                    .isLessThan(Duration.ofSeconds(8));
        }
        // and the server then closes within its fixed 10 s (else the extension fails the test)
    }
}
