package io.sluice.api.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.sluice.SluiceException;
import io.sluice.pfs.BranchFeed;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.PfsService;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Semaphore;

/**
 * GET /api/v1/repos/{repo}/subscribe?branch=B[&from=ID][&new=true][&count=N]: the branch's commits as they finish (at most N), one
 * JSON object per line (newline-delimited JSON), the connection kept open; an empty line every
 * {@code HEARTBEAT} tells a client the stream is alive and the daemon when the client has gone.
 */
public final class SubscribeController {
    private static final Duration HEARTBEAT = Duration.ofSeconds(10);
    /** Each subscriber holds one server thread while it listens, so there are at most this many. */
    private static final int MAX_SUBSCRIBERS = 64;

    private final PfsService pfs;
    private final ObjectMapper json;
    private final Semaphore slots = new Semaphore(MAX_SUBSCRIBERS);

    public SubscribeController(PfsService pfs, ObjectMapper json) {
        this.pfs = pfs;
        this.json = json;
    }

    public void subscribe(Context ctx) throws IOException {
        String branch = ctx.queryParam("branch") == null ? "master" : ctx.queryParam("branch");
        long limit = Requests.number(ctx, "count", 0);
        if (!slots.tryAcquire()) {
            throw SluiceException.unavailable(MAX_SUBSCRIBERS + " subscribers are listening already; try again later", null);
        }
        try (BranchFeed feed = new BranchFeed(pfs, Requests.repo(ctx), branch, ctx.queryParam("from"),
                Requests.flag(ctx, "new"))) {
            ctx.contentType("application/x-ndjson");
            // the servlet's own stream: Javalin's would hold small writes back while it decides on compression
            OutputStream out = ctx.res().getOutputStream();
            out.flush(); // the headers now: a subscriber learns at once that it is listening
            for (long sent = 0; limit <= 0 || sent < limit; ) {
                CommitInfo c = feed.next(HEARTBEAT);
                if (c != null) {
                    out.write(json.writeValueAsBytes(c));
                    sent++;
                }
                out.write('\n');
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the server is stopping
        } catch (IOException gone) {
            // the subscriber hung up: nothing left to tell it
        } finally {
            slots.release();
        }
    }
}
