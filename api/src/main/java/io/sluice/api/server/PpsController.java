package io.sluice.api.server;

import io.javalin.http.Context;
import io.sluice.SluiceException;
import io.sluice.pfs.Projects;
import io.sluice.pps.PipelineInfo;
import io.sluice.pps.PpsService;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** REST access to pipelines, jobs, datums and logs under {@code /api/v1}; only translation, no logic. */
public final class PpsController {
    private static final int MAX_SPEC = 1 << 20;
    private final PpsService pps;

    public PpsController(PpsService pps) {
        this.pps = pps;
    }

    /**
     * POST /pipelines[?update=true][&reprocess=true]: the body holds one spec or several (JSON objects, a
     * JSON array, YAML documents); answers the pipeline, or an array of them when the body held several.
     */
    public void createPipeline(Context ctx) {
        String text = spec(ctx);
        boolean update = Requests.flag(ctx, "update");
        List<PipelineInfo> made = pps.createPipelines(text, Requests.project(ctx), update, Requests.flag(ctx, "reprocess"));
        ctx.status(update ? 200 : 201);
        if (made.size() == 1) {
            ctx.json(made.get(0));
        } else {
            ctx.json(made);
        }
    }

    public void updatePipeline(Context ctx) {
        ctx.json(pps.updatePipeline(Requests.pipeline(ctx), spec(ctx), Requests.flag(ctx, "reprocess")));
    }

    /** POST /pipelines/{name}/cron: one tick now on each of the pipeline's cron inputs. */
    public void runCron(Context ctx) {
        ctx.json(pps.runCron(Requests.pipeline(ctx)));
    }

    public void listSecrets(Context ctx) {
        ctx.json(pps.secrets().list().stream().map(n -> Map.of("name", n)).toList());
    }

    /** POST /secrets: the body is a Kubernetes Secret manifest (JSON or YAML). */
    public void createSecret(Context ctx) {
        ctx.status(201).json(Map.of("name", pps.secrets().create(spec(ctx))));
    }

    public void deleteSecret(Context ctx) {
        pps.secrets().delete(ctx.pathParam("name"));
        ctx.json(Map.of("deleted", ctx.pathParam("name")));
    }

    public void listPipelines(Context ctx) {
        ctx.json(pps.listPipeline(Requests.project(ctx)));
    }

    public void inspectPipeline(Context ctx) {
        ctx.json(pps.inspectPipeline(Requests.pipeline(ctx)));
    }

    public void deletePipeline(Context ctx) {
        pps.deletePipeline(Requests.pipeline(ctx));
        ctx.json(Map.of("deleted", ctx.pathParam("name")));
    }

    public void stopPipeline(Context ctx) {
        ctx.json(pps.stopPipeline(Requests.pipeline(ctx)));
    }

    public void startPipeline(Context ctx) {
        ctx.json(pps.startPipeline(Requests.pipeline(ctx)));
    }

    public void listJobs(Context ctx) {
        String pipeline = ctx.queryParam("pipeline");
        if (pipeline == null) {
            ctx.json(Requests.page(ctx, n -> pps.listProjectJobs(Requests.project(ctx))));
        } else {
            ctx.json(Requests.page(ctx, n -> pps.listJob(Requests.pipeline(ctx, pipeline))));
        }
    }

    /** GET /jobs/{id}[?wait=SECONDS]: inspect, or wait until the job has ended. */
    public void inspectJob(Context ctx) {
        String id = job(ctx);
        Requests.inspectOrAwait(ctx, () -> pps.inspectJob(id), wait -> pps.awaitJob(id, wait));
    }

    public void stopJob(Context ctx) {
        ctx.json(pps.stopJob(job(ctx)));
    }

    public void listDatums(Context ctx) {
        ctx.json(pps.listDatum(job(ctx)));
    }

    /** The path's job id; on a project's routes NOT_FOUND for a job of another project's pipeline, as for a pipeline. */
    private String job(Context ctx) {
        return job(ctx, ctx.pathParam("id"));
    }

    /** A job id given on a project's route (null passes): NOT_FOUND if the job belongs to another project. */
    private String job(Context ctx, String id) {
        if (id != null && ctx.pathParamMap().containsKey("project")
                && !Projects.of(pps.inspectJob(id).pipeline()).equals(Requests.project(ctx))) {
            throw SluiceException.notFound("no job '" + id + "' in project '" + Requests.project(ctx) + "'");
        }
        return id;
    }

    public void logs(Context ctx) {
        String pipeline = ctx.queryParam("pipeline");
        ctx.json(pps.logs(pipeline == null ? null : Requests.pipeline(ctx, pipeline), job(ctx, ctx.queryParam("job")),
                ctx.queryParam("datum")));
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
