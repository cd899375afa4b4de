package io.sluice.runner.kube;

import io.sluice.SluiceException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import io.sluice.runner.exec.DatumCommand;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkQueueTest {
    private final WorkQueue queue = new WorkQueue();

    private static WorkerTask task(String job, String id) {
        return new WorkerTask(job, id, id, 1, new DatumCommand(List.of("true"), List.of(), Map.of()), Map.of(), List.of(), null,
                "staging/" + job + "/" + id + "/");
    }

    @Test
    void aWaitingPollGetsTheNextTaskAndATimedOutOneDoesNot() throws Exception {
        queue.open("j");
        CompletableFuture<WorkQueue.Poll> timedOut = queue.next("j", "w0", Duration.ofMillis(1));
        assertThat(timedOut.get(5, TimeUnit.SECONDS)).isInstanceOf(WorkQueue.Empty.class);
        CompletableFuture<WorkQueue.Poll> waiting = queue.next("j", "w1", Duration.ofSeconds(30));
        assertThat(waiting).isNotDone();

        WorkQueue.Pending p = queue.submit(task("j", "t1"), (s, m) -> { });
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo(new WorkQueue.Assigned(task("j", "t1")));
        assertThat(queue.holds("j", "w1")).isTrue();
        queue.complete("j", "t1", new WorkerResult(0, null, List.of("/x")));
        assertThat(p.result().get()).isEqualTo(new WorkerResult(0, null, List.of("/x")));
        // a second report of the same task is refused: nobody holds it any more
        assertThatThrownBy(() -> queue.complete("j", "t1", new WorkerResult(0, null, List.of())))
                .isInstanceOf(SluiceException.class).hasMessageContaining("no worker holds task t1");
    }

    @Test
    void closingAJobEndsItsPollsAndFailsItsTasks() throws Exception {
        assertThat(queue.next("unknown", "w", Duration.ofSeconds(1)).get()).isInstanceOf(WorkQueue.Gone.class);
        queue.open("j");
        WorkQueue.Pending queued = queue.submit(task("j", "t1"), (s, m) -> { });
        WorkQueue.Pending held = queue.submit(task("j", "t2"), (s, m) -> { });
        assertThat(((WorkQueue.Assigned) queue.next("j", "w", Duration.ofSeconds(1)).get()).task().taskId()).isEqualTo("t1");
        CompletableFuture<WorkQueue.Poll> waiting = queue.next("j", "w2", Duration.ofSeconds(30));
        assertThat(((WorkQueue.Assigned) waiting.get()).task().taskId()).isEqualTo("t2");
        CompletableFuture<WorkQueue.Poll> idle = queue.next("j", "w3", Duration.ofSeconds(30));

        queue.workerLost("j", "w", "pod w failed");
        assertThat(queued.result().get().error()).isEqualTo("pod w failed");
        queue.close("j");
        assertThat(idle.get(5, TimeUnit.SECONDS)).isInstanceOf(WorkQueue.Gone.class);
        assertThat(held.result().get().error()).contains("ended before this datum was done");
    }
}
