package io.sluice.api.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.sluice.pfs.PfsService;
import io.sluice.pps.PpsService;

import java.util.Map;

/** {@code /api/v1/projects}: create, list, inspect and delete projects, which hold repos and pipelines. */
final class ProjectController {
    private static final int MAX_JSON = 64 * 1024;

    private final PfsService pfs;
    private final PpsService pps;
    private final ObjectMapper json;

    ProjectController(PfsService pfs, PpsService pps, ObjectMapper json) {
        this.pfs = pfs;
        this.pps = pps;
        this.json = json;
    }

    public void create(Context ctx) {
        JsonNode body = Requests.jsonObject(ctx, json, MAX_JSON, "name", "description");
        ctx.status(201).json(pfs.createProject(PfsController.text(body, "name", null),
                PfsController.text(body, "description", "")));
    }

    public void list(Context ctx) {
        ctx.json(pfs.listProjects());
    }

    public void inspect(Context ctx) {
        ctx.json(pfs.inspectProject(Requests.project(ctx)));
    }

    /** DELETE /projects/{project}[?force=true]: an empty project, or with force everything in it. */
    public void delete(Context ctx) {
        pps.deleteProject(Requests.project(ctx), Requests.flag(ctx, "force"));
        ctx.json(Map.of("deleted", Requests.project(ctx)));
    }
}
