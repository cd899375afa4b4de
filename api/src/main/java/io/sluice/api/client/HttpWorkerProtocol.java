package io.sluice.api.client;

import io.sluice.SluiceException;
import io.sluice.runner.kube.WorkQueue;
import io.sluice.runner.kube.WorkerProtocol;
import io.sluice.runner.kube.WorkerResult;
import io.sluice.runner.kube.WorkerTask;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A worker pod's side of the {@link WorkerProtocol}: each call an HTTP request to the daemon, each failure
 * a {@link SluiceException} of the kind the daemon answered (UNAVAILABLE when it cannot be reached).
 */
public final class HttpWorkerProtocol implements WorkerProtocol {
    private final SluiceClient client;

    public HttpWorkerProtocol(SluiceClient client) {
        this.client = client;
    }

    @Override
    public CompletableFuture<WorkQueue.Poll> next(String jobId, String worker, Duration wait) {
        try {
            SluiceClient.Streamed poll = client.getStream(WorkerProtocol.path(jobId) + "/next",
                    SluiceClient.query("worker", worker, "wait", wait.toSeconds()));
            try (InputStream body = poll.body()) {
                if (poll.status() == 204) {
                    return CompletableFuture.completedFuture(new WorkQueue.Empty());
                }
                return CompletableFuture.completedFuture(
                        new WorkQueue.Assigned(client.json().readValue(body, WorkerTask.class)));
            }
        } catch (ClientException e) {
            if (e.status() == 410) {
                return CompletableFuture.completedFuture(new WorkQueue.Gone(e.getMessage()));
            }
            throw translate(e);
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot read a task from the daemon: " + e.getMessage(), e);
        }
    }

    @Override
    public void logs(String jobId, String taskId, List<LogLine> lines) {
        try {
            client.post(WorkerProtocol.taskPath(jobId, taskId) + "/logs", null, Map.of("lines", lines));
        } catch (ClientException e) {
            throw translate(e);
        }
    }

    @Override
    public void result(String jobId, String taskId, WorkerResult result) {
        try {
            client.post(WorkerProtocol.taskPath(jobId, taskId) + "/result", null, result);
        } catch (ClientException e) {
            throw translate(e);
        }
    }

    private static SluiceException translate(ClientException e) {
        SluiceException.Kind kind = switch (e.status()) {
            case 400 -> SluiceException.Kind.INVALID;
            case 401, 403 -> SluiceException.Kind.UNAUTHORIZED;
            case 404 -> SluiceException.Kind.NOT_FOUND;
            case 409 -> SluiceException.Kind.CONFLICT;
            default -> SluiceException.Kind.UNAVAILABLE;
        };
        return new SluiceException(kind, e.getMessage(), e);
    }
}
