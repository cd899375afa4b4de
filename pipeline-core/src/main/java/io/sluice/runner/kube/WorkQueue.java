package io.sluice.runner.kube;

import io.sluice.SluiceException;
import io.sluice.runner.JobRunner.LogSink;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The datums of running jobs waiting for remote workers: the Kubernetes runner {@link #submit submits} a
 * task and waits on its result; the daemon serves {@link #next} to workers as a long poll and passes their
 * {@link #log log lines} and {@link #complete results} back. A task is held by the worker that took it
 * until it reports; when that worker is {@link #workerLost lost} or the job {@link #fail fails}, the task
 * fails with the reason. Thread-safe; polls never hold a thread while they wait.
 */
public final class WorkQueue {

    /** The answer to a worker's poll. */
    public sealed interface Poll {
    }

    /** A task for the worker, which now holds it. */
    public record Assigned(WorkerTask task) implements Poll {
    }

    /** Nothing to do yet: poll again. */
    public record Empty() implements Poll {
    }

    /** The job is not (or no longer) running here: the worker should exit. */
    public record Gone(String reason) implements Poll {
    }

    /** A submitted task; {@link #result} completes when a worker reports it or it fails without one. */
    public static final class Pending {
        private final WorkerTask task;
        private final LogSink logs;
        private final CompletableFuture<WorkerResult> result = new CompletableFuture<>();
        private String worker;

        private Pending(WorkerTask task, LogSink logs) {
            this.task = task;
            this.logs = logs;
        }

        public WorkerTask task() {
            return task;
        }

        public CompletableFuture<WorkerResult> result() {
            return result;
        }
    }

    private record Waiter(String worker, CompletableFuture<Poll> poll) {
    }

    private static final class JobQueue {
        final Deque<Pending> queued = new ArrayDeque<>();
        final Deque<Waiter> waiting = new ArrayDeque<>();
        final Map<String, Pending> held = new LinkedHashMap<>();
        String failure;
    }

    private final Map<String, JobQueue> jobs = new ConcurrentHashMap<>();

    /** Lets workers of {@code jobId} poll; idempotent. */
    public void open(String jobId) {
        jobs.computeIfAbsent(jobId, j -> new JobQueue());
    }

    /** Whether {@code jobId} is open. */
    public boolean isOpen(String jobId) {
        return jobs.containsKey(jobId);
    }

    /** Queues {@code task} (its job must be open) or hands it straight to a waiting worker. */
    public Pending submit(WorkerTask task, LogSink logs) {
        JobQueue q = queue(task.jobId());
        Pending p = new Pending(task, logs);
        Waiter chosen = null;
        synchronized (q) {
            if (q.failure != null) {
                p.result.complete(WorkerResult.failed(q.failure));
                return p;
            }
            for (Waiter w = q.waiting.poll(); w != null; w = q.waiting.poll()) {
                if (!w.poll.isDone()) {
                    chosen = w;
                    p.worker = w.worker;
                    q.held.put(task.taskId(), p);
                    break;
                }
            }
            if (chosen == null) {
                q.queued.addLast(p);
            }
        }
        if (chosen != null && !chosen.poll.complete(new Assigned(task))) {
            // the poll timed out between the check and now: the task waits for the next poll instead
            synchronized (q) {
                q.held.remove(task.taskId());
                p.worker = null;
                q.queued.addFirst(p);
            }
        }
        return p;
    }

    /**
     * A worker's poll: completes with a task at once or as soon as one is submitted, with {@link Empty}
     * after {@code wait}, or with {@link Gone} when the job is not open here.
     */
    public CompletableFuture<Poll> next(String jobId, String worker, Duration wait) {
        JobQueue q = jobs.get(jobId);
        if (q == null) {
            return CompletableFuture.completedFuture(new Gone("job " + jobId + " is not running on this daemon"));
        }
        Waiter w;
        synchronized (q) {
            Pending p = q.queued.poll();
            if (p != null) {
                p.worker = worker;
                q.held.put(p.task.taskId(), p);
                return CompletableFuture.completedFuture(new Assigned(p.task));
            }
            w = new Waiter(worker, new CompletableFuture<>());
            q.waiting.addLast(w);
        }
        w.poll.completeOnTimeout(new Empty(), wait.toMillis(), TimeUnit.MILLISECONDS);
        w.poll.whenComplete((r, e) -> {
            synchronized (q) {
                q.waiting.remove(w);
            }
        });
        return w.poll;
    }

    /** Passes one line a worker's task printed to the job's log; NOT_FOUND when no worker holds that task. */
    public void log(String jobId, String taskId, String stream, String message) {
        held(jobId, taskId, false).logs.line(stream, message);
    }

    /** Ends a held task with the worker's report; NOT_FOUND when no worker holds it (it was cancelled). */
    public void complete(String jobId, String taskId, WorkerResult result) {
        held(jobId, taskId, true).result.complete(result);
    }

    /** Fails every task {@code worker} holds with {@code reason} (its pod failed or vanished). */
    public void workerLost(String jobId, String worker, String reason) {
        JobQueue q = jobs.get(jobId);
        if (q == null) {
            return;
        }
        List<Pending> lost = new ArrayList<>();
        synchronized (q) {
            q.held.values().removeIf(p -> {
                if (worker.equals(p.worker)) {
                    lost.add(p);
                    return true;
                }
                return false;
            });
        }
        lost.forEach(p -> p.result.complete(WorkerResult.failed(reason)));
    }

    /** Whether {@code worker} holds a task of {@code jobId}. */
    public boolean holds(String jobId, String worker) {
        JobQueue q = jobs.get(jobId);
        if (q == null) {
            return false;
        }
        synchronized (q) {
            return q.held.values().stream().anyMatch(p -> worker.equals(p.worker));
        }
    }

    /** Fails every task of the job, and every task submitted to it from now on, with {@code reason}. */
    public void fail(String jobId, String reason) {
        JobQueue q = jobs.get(jobId);
        if (q == null) {
            return;
        }
        synchronized (q) {
            if (q.failure == null) {
                q.failure = reason;
            }
        }
        fail(q, reason);
    }

    /** Withdraws a task nobody needs any more (its job was stopped); a late report for it is refused. */
    public void cancel(Pending p) {
        JobQueue q = jobs.get(p.task.jobId());
        if (q != null) {
            synchronized (q) {
                q.queued.remove(p);
                q.held.remove(p.task.taskId(), p);
            }
        }
        p.result.cancel(false);
    }

    /** Closes the job: polls answer {@link Gone}, and tasks still queued or held fail. */
    public void close(String jobId) {
        JobQueue q = jobs.remove(jobId);
        if (q == null) {
            return;
        }
        List<Waiter> waiters;
        synchronized (q) {
            waiters = new ArrayList<>(q.waiting);
            q.waiting.clear();
        }
        waiters.forEach(w -> w.poll.complete(new Gone("job " + jobId + " has ended")));
        fail(q, "job " + jobId + " ended before this datum was done");
    }

    private void fail(JobQueue q, String reason) {
        List<Pending> failed;
        synchronized (q) {
            failed = new ArrayList<>(q.queued);
            failed.addAll(q.held.values());
            q.queued.clear();
            q.held.clear();
        }
        failed.forEach(p -> p.result.complete(WorkerResult.failed(reason)));
    }

    private JobQueue queue(String jobId) {
        JobQueue q = jobs.get(jobId);
        if (q == null) {
            throw new IllegalStateException("job " + jobId + " is not open in the work queue");
        }
        return q;
    }

    private Pending held(String jobId, String taskId, boolean remove) {
        JobQueue q = jobs.get(jobId);
        Pending p = null;
        if (q != null) {
            synchronized (q) {
                p = remove ? q.held.remove(taskId) : q.held.get(taskId);
            }
        }
        if (p == null) {
            throw SluiceException.notFound("no worker holds task " + taskId + " of job " + jobId
                    + " (the job ended or the task was withdrawn)");
        }
        return p;
    }
}
