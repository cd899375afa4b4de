package io.sluice.api.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.sluice.SluiceException;
import io.sluice.runner.kube.WorkQueue;
import io.sluice.runner.kube.WorkerProtocol;
import io.sluice.runner.kube.WorkerResult;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@link WorkerProtocol} over HTTP under {@code /api/v1/workers/{job}}: {@code GET next} is a long poll
 * answering a task (200), nothing yet (204) or "this job is over, exit" (410); {@code POST tasks/{task}/logs}
 * and {@code POST tasks/{task}/result} carry a task's lines and its end. Only translation: the protocol's
 * server side holds the logic.
 */
public final class WorkerController {
    private static final int MAX_BODY = 8 << 20;
    private final WorkerProtocol protocol;
    private final ObjectMapper json;

    public WorkerController(WorkerProtocol protocol, ObjectMapper json) {
        this.protocol = protocol;
        this.json = json;
    }

    /** GET .../next?worker=NAME[&wait=SECONDS]. */
    public void next(Context ctx) {
        String worker = Requests.required(ctx, "worker");
        Duration wait = Duration.ofSeconds(Math.max(0, Math.min(WorkerProtocol.MAX_WAIT.toSeconds(),
                Requests.number(ctx, "wait", 20))));
        ctx.future(() -> protocol.next(ctx.pathParam("job"), worker, wait).thenAccept(poll -> {
            if (poll instanceof WorkQueue.Assigned a) {
                ctx.json(a.task());
            } else if (poll instanceof WorkQueue.Gone g) {
                ctx.status(410).json(Map.of("error", g.reason()));
            } else {
                ctx.status(204);
            }
        }));
    }

    /** POST .../tasks/{task}/logs with {"lines": [{"stream": "stdout", "message": "..."}, ...]}. */
    public void logs(Context ctx) {
        JsonNode lines = Requests.jsonObject(ctx, json, MAX_BODY, "lines").path("lines");
        if (!lines.isArray()) {
            throw SluiceException.invalid("body must be {\"lines\": [{\"stream\": ..., \"message\": ...}, ...]}");
        }
        List<WorkerProtocol.LogLine> batch = new ArrayList<>();
        for (JsonNode line : lines) {
            batch.add(new WorkerProtocol.LogLine(line.path("stream").asText("stdout"), line.path("message").asText("")));
        }
        protocol.logs(ctx.pathParam("job"), ctx.pathParam("task"), batch);
        ctx.json(Map.of("lines", batch.size()));
    }

    /** POST .../tasks/{task}/result with {"exitCode": 0, "error": null, "outputs": ["/a", ...], "recovered": false}. */
    public void result(Context ctx) {
        JsonNode body = Requests.jsonObject(ctx, json, MAX_BODY, "exitCode", "error", "outputs", "recovered");
        if (!body.path("exitCode").isInt() || !(body.path("outputs").isArray() || body.path("outputs").isMissingNode())) {
            throw SluiceException.invalid("body must be {\"exitCode\": N, \"error\": TEXT or null, \"outputs\": [PATH, ...]}");
        }
        List<String> outputs = new ArrayList<>();
        body.path("outputs").forEach(p -> outputs.add(p.asText()));
        String error = body.path("error").isTextual() ? body.path("error").asText() : null;
        protocol.result(ctx.pathParam("job"), ctx.pathParam("task"),
                new WorkerResult(body.path("exitCode").asInt(), error, outputs, body.path("recovered").asBoolean(false)));
        ctx.json(Map.of("reported", ctx.pathParam("task")));
    }
}
