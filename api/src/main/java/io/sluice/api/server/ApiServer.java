package io.sluice.api.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.json.JavalinJackson;
import io.javalin.router.Endpoint;
import io.sluice.runner.kube.WorkerProtocol;
import io.sluice.Json;
import io.sluice.SluiceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The daemon's HTTP face: the recommender's {@code /train}, {@code /predict}, {@code /result} and
 * everything else under {@code /api/v1}. Every failure a client can cause answers 4xx with
 * {@code {"error": "..."}}; only bugs answer 500.
 */
public final class ApiServer {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

    private ApiServer() {
    }

    /** An unstarted app over {@code daemon}'s services; tests start it on port 0. */
    public static Javalin create(Daemon daemon) {
        ObjectMapper json = Json.mapper();
        RequestStats stats = new RequestStats(Clock.systemUTC());
        var pfs = new PfsController(daemon.pfs(), daemon.pps(), json);
        var pps = new PpsController(daemon.pps());
        var commitSets = new CommitSetController(daemon.pps().commitSets());
        var subscriptions = new SubscribeController(daemon.pfs(), json);
        var workers = new WorkerController(new WorkerProtocol.Server(daemon.workQueue()), json);
        var recommender = new RecommenderController(daemon.pfs(), json, Clock.systemUTC());
        var console = new ConsoleController(daemon.pfs(), daemon.pps(), json);
        var projects = new ProjectController(daemon.pfs(), daemon.pps(), json);
        return Javalin.create(config -> {
            config.jsonMapper(new JavalinJackson(json, false));
            config.startup.showJavalinBanner = false;
            config.http.compressionStrategy = CompressionStrategy.NONE;
            config.router.ignoreTrailingSlashes = true;
            JsonErrorHandler jettyErrors = new JsonErrorHandler(json);
            config.jetty.modifyServer(server -> server.setErrorHandler(jettyErrors));
            config.jetty.modifyServletContextHandler(context -> context.setErrorHandler(jettyErrors));
            Routes r = new Routes(config, stats);
            Access access = new Access(daemon.config().authToken(), daemon.config().loopbackOnly());
            config.routes.before(access::check);
            config.routes.before(Requests::checkQueryEncoding);

            r.add(HandlerType.GET, "/", "console", console::index);
            r.add(HandlerType.GET, ConsoleController.ASSETS + "/*", "console.assets", console::asset);
            r.add(HandlerType.GET, "/webjars/*", "console.libraries", console::asset);
            r.add(HandlerType.POST, "/train", "train", recommender::train);
            r.add(HandlerType.POST, "/predict", "predict", recommender::predict);
            r.add(HandlerType.POST, "/result", "result", recommender::result);

            String v1 = "/api/v1";
            r.add(HandlerType.GET, v1 + "/health", "health", ctx -> {
                String starting = daemon.startup().waitingFor();
                if (starting != null) {
                    ctx.status(503).json(Map.of("status", "starting", "error", "starting: " + starting));
                    return;
                }
                ctx.json(health(daemon, Access.granted(ctx)));
            });
            r.add(HandlerType.GET, v1 + "/statistics", "statistics", ctx -> {
                String api = ctx.queryParam("api");
                if (api == null) {
                    ctx.json(stats.summary());
                    return;
                }
                long calls = stats.callsThisMinute(api);
                if (calls < 0) {
                    throw SluiceException.notFound("no endpoint named '" + RecommenderController.printable(api)
                            + "'; names are those listed by GET /api/v1/statistics");
                }
                Map<String, Object> answer = new LinkedHashMap<>();
                answer.put("api", api);
                answer.put("number of calls in current minute", calls);
                ctx.json(answer);
            });

            r.add(HandlerType.GET, v1 + "/dag", "dag", console::dag);
            r.add(HandlerType.GET, v1 + "/commitsets", "commitsets.list", commitSets::list);
            r.add(HandlerType.GET, v1 + "/commitsets/{id}", "commitsets.inspect", commitSets::inspect);
            r.add(HandlerType.GET, v1 + "/commitsets/{id}/jobs", "commitsets.jobs", commitSets::jobs);
            r.add(HandlerType.DELETE, v1 + "/commitsets/{id}", "commitsets.delete", commitSets::delete);
            r.add(HandlerType.POST, v1 + "/commitsets/{id}/squash", "commitsets.squash", commitSets::squash);
            r.add(HandlerType.POST, v1 + "/fsck", "fsck", pfs::fsck);
            r.add(HandlerType.POST, v1 + "/gc", "gc", pfs::gc);
            r.add(HandlerType.GET, v1 + "/secrets", "secrets.list", pps::listSecrets);
            r.add(HandlerType.POST, v1 + "/secrets", "secrets.create", pps::createSecret);
            r.add(HandlerType.DELETE, v1 + "/secrets/{name}", "secrets.delete", pps::deleteSecret);
            r.add(HandlerType.GET, v1 + "/projects", "projects.list", projects::list);
            r.add(HandlerType.POST, v1 + "/projects", "projects.create", projects::create);
            r.add(HandlerType.GET, v1 + "/projects/{project}", "projects.inspect", projects::inspect);
            r.add(HandlerType.DELETE, v1 + "/projects/{project}", "projects.delete", projects::delete);
            // one route table for both: the routes without a project serve the default one
            for (String base : List.of(v1, v1 + "/projects/{project}")) {
                r.add(HandlerType.GET, base + "/repos/{repo}/lineage", "lineage", console::lineage);
                r.add(HandlerType.GET, base + "/pipelines/{name}/versions", "pipelines.versions", console::pipelineVersions);
                r.add(HandlerType.GET, base + "/repos", "repos.list", pfs::listRepos);
                r.add(HandlerType.POST, base + "/repos", "repos.create", pfs::createRepo);
                r.add(HandlerType.GET, base + "/repos/{repo}", "repos.inspect", pfs::inspectRepo);
                r.add(HandlerType.DELETE, base + "/repos/{repo}", "repos.delete", pfs::deleteRepo);
                r.add(HandlerType.GET, base + "/repos/{repo}/commits", "commits.list", pfs::listCommits);
                r.add(HandlerType.GET, base + "/repos/{repo}/commit", "commits.inspect", pfs::inspectCommit);
                r.add(HandlerType.POST, base + "/repos/{repo}/commits/start", "commits.start", pfs::startCommit);
                r.add(HandlerType.POST, base + "/repos/{repo}/commits/finish", "commits.finish", pfs::finishCommit);
                r.add(HandlerType.GET, base + "/repos/{repo}/subscribe", "commits.subscribe", subscriptions::subscribe);
                r.add(HandlerType.GET, base + "/repos/{repo}/branches", "branches.list", pfs::listBranches);
                r.add(HandlerType.POST, base + "/repos/{repo}/branches", "branches.create", pfs::createBranch);
                r.add(HandlerType.DELETE, base + "/repos/{repo}/branches", "branches.delete", pfs::deleteBranch);
                r.add(HandlerType.PUT, base + "/repos/{repo}/files", "files.put", pfs::putFile);
                r.add(HandlerType.GET, base + "/repos/{repo}/files", "files.get", pfs::getFile);
                r.add(HandlerType.DELETE, base + "/repos/{repo}/files", "files.delete", pfs::deleteFile);
                r.add(HandlerType.POST, base + "/repos/{repo}/files/copy", "files.copy", pfs::copyFile);
                r.add(HandlerType.GET, base + "/repos/{repo}/files/inspect", "files.inspect", pfs::inspectFile);
                r.add(HandlerType.GET, base + "/repos/{repo}/files/tar", "files.tar", pfs::getTree);
                r.add(HandlerType.GET, base + "/repos/{repo}/files/list", "files.list", pfs::listFiles);
                r.add(HandlerType.GET, base + "/repos/{repo}/files/glob", "files.glob", pfs::globFiles);
                r.add(HandlerType.GET, base + "/repos/{repo}/diff", "files.diff", pfs::diffFiles);
                r.add(HandlerType.GET, base + "/pipelines", "pipelines.list", pps::listPipelines);
                r.add(HandlerType.POST, base + "/pipelines", "pipelines.create", pps::createPipeline);
                r.add(HandlerType.GET, base + "/pipelines/{name}", "pipelines.inspect", pps::inspectPipeline);
                r.add(HandlerType.PUT, base + "/pipelines/{name}", "pipelines.update", pps::updatePipeline);
                r.add(HandlerType.DELETE, base + "/pipelines/{name}", "pipelines.delete", pps::deletePipeline);
                r.add(HandlerType.POST, base + "/pipelines/{name}/stop", "pipelines.stop", pps::stopPipeline);
                r.add(HandlerType.POST, base + "/pipelines/{name}/start", "pipelines.start", pps::startPipeline);
                r.add(HandlerType.POST, base + "/pipelines/{name}/cron", "pipelines.cron", pps::runCron);
                r.add(HandlerType.GET, base + "/jobs", "jobs.list", pps::listJobs);
                r.add(HandlerType.GET, base + "/jobs/{id}", "jobs.inspect", pps::inspectJob);
                r.add(HandlerType.POST, base + "/jobs/{id}/stop", "jobs.stop", pps::stopJob);
                r.add(HandlerType.GET, base + "/jobs/{id}/datums", "datums.list", pps::listDatums);
                r.add(HandlerType.GET, base + "/logs", "logs", pps::logs);
            }

            String worker = v1 + "/workers/{job}";
            r.add(HandlerType.GET, worker + "/next", "workers.next", workers::next);
            r.add(HandlerType.POST, worker + "/tasks/{task}/logs", "workers.logs", workers::logs);
            r.add(HandlerType.POST, worker + "/tasks/{task}/result", "workers.result", workers::result);

            config.routes.exception(SluiceException.class, (e, ctx) ->
                    ctx.status(e.kind().httpStatus()).json(Map.of("error", e.getMessage())));
            config.routes.exception(HttpResponseException.class, (e, ctx) ->
                    ctx.status(e.getStatus()).json(Map.of("error", e.getMessage())));
            config.routes.exception(Exception.class, (e, ctx) -> {
                LOG.error("unexpected failure serving {} {}", ctx.method(), ctx.path(), e);
                ctx.status(500).json(Map.of("error", "internal error: " + e));
            });
            config.routes.error(404, ctx -> {
                if (ctx.result() == null || ctx.result().isEmpty()) {
                    ctx.json(Map.of("error", "no endpoint " + ctx.method() + " " + ctx.path()));
                }
            });
            config.routes.error(405, ctx -> ctx.json(Map.of("error", "method " + ctx.method() + " not allowed on " + ctx.path())));
        });
    }

    /**
     * Who may call what. With a token (as {@code sluice up} always has), every {@code /api/v1} endpoint but
     * health needs {@code Authorization: Bearer TOKEN}, and so do the recommender's {@code /train},
     * {@code /predict} and {@code /result} unless the daemon listens on loopback only (they write rating and
     * request files into their fixed repos and run no code of the caller's); the web console's static files
     * need none. Health answers everyone, but shows its details only to callers with the token. Tokens are
     * compared in constant time.
     */
    private record Access(String token, boolean loopbackOnly) {
        private static final String GRANTED = "sluice.access.granted";
        private static final Set<String> RECOMMENDER = Set.of("/train", "/predict", "/result");

        void check(Context ctx) {
            boolean granted = token == null || token.isEmpty() || presented(ctx);
            ctx.attribute(GRANTED, granted);
            if (granted) {
                return;
            }
            String path = ctx.path();
            boolean open = path.equals("/api/v1/health")
                    || (loopbackOnly && RECOMMENDER.contains(path))
                    || !(path.startsWith("/api/") || RECOMMENDER.contains(path));
            if (!open) {
                throw new SluiceException(SluiceException.Kind.UNAUTHORIZED, "missing or wrong bearer token: send "
                        + "'Authorization: Bearer TOKEN' with the token in the daemon's token file (auth-token in its "
                        + "data dir, readable by its owner only); the CLI reads it from there, from "
                        + "$SLUICE_AUTH_TOKEN or from --token-file");
            }
        }

        private boolean presented(Context ctx) {
            String header = ctx.header("Authorization");
            byte[] given = (header == null ? "" : header).getBytes(StandardCharsets.UTF_8);
            byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
            return MessageDigest.isEqual(given, expected);
        }

        static boolean granted(Context ctx) {
            return Boolean.TRUE.equals(ctx.attribute(GRANTED));
        }
    }

    /** Where the data and the store are is for the token's holder: others learn only that the daemon is up. */
    private static Map<String, Object> health(Daemon daemon, boolean granted) {
        Map<String, Object> health = new LinkedHashMap<>();
        health.put("message", "Application is up and running");
        if (granted) {
            health.put("store", daemon.store().uri());
            health.put("runner", daemon.runner().describe());
            List<String> damaged = new ArrayList<>(daemon.pfs().damaged());
            damaged.addAll(daemon.pps().damaged());
            health.put("damaged", damaged); // what start-up found broken and left out or rebuilt
        }
        return health;
    }

    /** Registers each route wrapped in its statistics timer, so no endpoint can be left uncounted. */
    private record Routes(JavalinConfig config, RequestStats stats) {
        void add(HandlerType method, String path, String name, Handler handler) {
            config.routes.addEndpoint(new Endpoint(method, path, stats.timed(name, handler)));
        }
    }
}
