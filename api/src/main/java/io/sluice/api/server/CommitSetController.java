package io.sluice.api.server;

import io.javalin.http.Context;
import io.sluice.pfs.CommitRemoval;
import io.sluice.pps.CommitSets;

/** REST access to commit sets (Pachyderm's global ids) under {@code /api/v1/commitsets}; only translation. */
public final class CommitSetController {
    private final CommitSets sets;

    public CommitSetController(CommitSets sets) {
        this.sets = sets;
    }

    /** GET /commitsets[?limit=&offset=]: sets newest first, each with its commits. */
    public void list(Context ctx) {
        ctx.json(Requests.page(ctx, sets::list));
    }

    /** GET /commitsets/{id}[?wait=SECONDS]: inspect, or wait until every pipeline downstream has run for it. */
    public void inspect(Context ctx) {
        String id = ctx.pathParam("id");
        Requests.inspectOrAwait(ctx, () -> sets.inspect(id), wait -> sets.await(id, wait));
    }

    /** GET /commitsets/{id}/jobs: the jobs the set's commits caused, newest first. */
    public void jobs(Context ctx) {
        ctx.json(sets.jobs(ctx.pathParam("id")));
    }

    /** DELETE /commitsets/{id}: Pachyderm's drop of the whole set; 409 naming the rule it would break. */
    public void delete(Context ctx) {
        ctx.json(sets.remove(ctx.pathParam("id"), CommitRemoval.Mode.DROP));
    }

    /** POST /commitsets/{id}/squash: Pachyderm's squash of the whole set into its children; 409 likewise. */
    public void squash(Context ctx) {
        ctx.json(sets.remove(ctx.pathParam("id"), CommitRemoval.Mode.SQUASH));
    }
}
