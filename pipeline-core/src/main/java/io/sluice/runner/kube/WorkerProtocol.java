package io.sluice.runner.kube;

import io.sluice.SluiceException;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What a worker and the daemon say to each other, the same on both sides: a worker {@link #next polls} for
 * a task of its job, ships the task's {@link #logs output lines}, and reports its {@link #result}. The
 * daemon's side is {@link Server} over the {@link WorkQueue}; a pod reaches it over HTTP at the
 * {@link #path paths} below (the api module translates), an in-process worker directly.
 */
public interface WorkerProtocol {

    /** The REST root of job {@code jobId}'s workers. */
    static String path(String jobId) {
        return "/api/v1/workers/" + URLEncoder.encode(jobId, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The REST path of one task of a job. */
    static String taskPath(String jobId, String taskId) {
        return path(jobId) + "/tasks/" + URLEncoder.encode(taskId, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The longest a poll may wait, well under the idle timeouts of proxies in between. */
    Duration MAX_WAIT = Duration.ofSeconds(25);

    /**
     * A poll of {@code worker} for a task of {@code jobId}: completes with a task, with nothing after
     * {@code wait}, or with {@link WorkQueue.Gone} when the job is over and the worker should exit.
     */
    CompletableFuture<WorkQueue.Poll> next(String jobId, String worker, Duration wait);

    /** Lines a task printed; NOT_FOUND when the task was withdrawn (its job ended or was stopped). */
    void logs(String jobId, String taskId, List<LogLine> lines);

    /** How a task ended; NOT_FOUND when the task was withdrawn. */
    void result(String jobId, String taskId, WorkerResult result);

    /** One line of user code's output; {@code stream} is "stdout" or "stderr". */
    record LogLine(String stream, String message) {
    }

    /** The daemon's side: answers from the work queue. */
    final class Server implements WorkerProtocol {
        private final WorkQueue queue;

        public Server(WorkQueue queue) {
            this.queue = queue;
        }

        @Override
        public CompletableFuture<WorkQueue.Poll> next(String jobId, String worker, Duration wait) {
            if (worker == null || worker.isBlank()) {
                throw SluiceException.invalid("a poll must name its worker");
            }
            Duration bounded = wait.isNegative() ? Duration.ZERO : wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
            return queue.next(jobId, worker, bounded);
        }

        @Override
        public void logs(String jobId, String taskId, List<LogLine> lines) {
            for (LogLine line : lines) {
                queue.log(jobId, taskId, line.stream() == null ? "stdout" : line.stream(),
                        line.message() == null ? "" : line.message());
            }
        }

        @Override
        public void result(String jobId, String taskId, WorkerResult result) {
            queue.complete(jobId, taskId, new WorkerResult(result.exitCode(), result.error(),
                    result.outputs() == null ? List.of() : result.outputs(), result.recovered()));
        }
    }
}
