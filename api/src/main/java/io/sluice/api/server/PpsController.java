package io.sluice.api.server;

import io.javalin.http.Context;
import io.sluice.SluiceException;
import io.sluice.pps.PpsService;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** REST access to pipelines, jobs, datums and logs under {@code /api/v1}; only translation, no logic. */
public final class PpsController {
    private static final int MAX_SPEC = 1 << 20;
    private final PpsService pps;

    public PpsController(PpsService pps) {
        this.pps = pps;
    }

    public void createPipeline(Context ctx) {
        ctx.status(201).json(pps.createPipeline(spec(ctx)));
    }

    public void updatePipeline(Context ctx) {
        ctx.json(pps.updatePipeline(ctx.pathParam("name"), spec(ctx), Requests.flag(ctx, "reprocess")));
    }

    public void listPipelines(Context ctx) {
        ctx.json(pps.listPipeline());
    }

    public void inspectPipeline(Context ctx) {
        ctx.json(pps.inspectPipeline(ctx.pathParam("name")));
    }

    public void deletePipeline(Context ctx) {
        pps.deletePipeline(ctx.pathParam("name"));
        ctx.json(Map.of("deleted", ctx.pathParam("name")));
    }

    public void stopPipeline(Context ctx) {
        ctx.json(pps.stopPipeline(ctx.pathParam("name")));
    }

    public void startPipeline(Context ctx) {
        ctx.json(pps.startPipeline(ctx.pathParam("name")));
    }

    public void listJobs(Context ctx) {
        ctx.json(pps.listJob(ctx.queryParam("pipeline")));
    }

    /** GET /jobs/{id}[?wait=SECONDS]: inspect, or wait until the job has ended. */
    public void inspectJob(Context ctx) {
        Duration wait = Requests.waitParam(ctx);
        String id = ctx.pathParam("id");
        if (wait == null) {
            ctx.json(pps.inspectJob(id));
        } else {
            Requests.longPoll(ctx, pps.awaitJob(id, wait));
        }
    }

    public void stopJob(Context ctx) {
        ctx.json(pps.stopJob(ctx.pathParam("id")));
    }

    public void listDatums(Context ctx) {
        ctx.json(pps.listDatum(ctx.pathParam("id")));
    }

    public void logs(Context ctx) {
        ctx.json(pps.logs(ctx.queryParam("pipeline"), ctx.queryParam("job"), ctx.queryParam("datum")));
    }

    /** The spec's text; bytes that are not UTF-8 are refused rather than replaced, so what runs is what was sent. */
    private static String spec(Context ctx) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Requests.body(ctx, MAX_SPEC))).toString();
        } catch (CharacterCodingException e) {
            throw SluiceException.invalid("pipeline spec is not valid UTF-8");
        }
    }
}
