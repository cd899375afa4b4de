package io.sluice.api.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.sluice.SluiceException;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.CommitRef;
import io.sluice.pfs.PfsService;
import io.sluice.pfs.RepoInfo;
import io.sluice.pps.PipelineInfo;
import io.sluice.pps.PipelineSpec;
import io.sluice.pps.PpsService;
import org.webjars.WebJarVersionLocator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The web console: its page at {@code /} (static modules under {@code /console}, libraries as WebJars) and
 * the read-only views it needs beyond the CLI's endpoints (the DAG, every spec version, a commit's lineage),
 * each composed from existing service calls.
 */
public final class ConsoleController {
    /** Where the console's own files live on the classpath and under which URL path they are served. */
    public static final String ASSETS = "/console";
    /**
     * The WebJar files the page uses (Cytoscape.js for the graphs, uPlot's module and its style sheet for the
     * charts), by WebJar name and file.
     */
    private static final String[][] LIBRARIES = {
        {"cytoscape", "dist/cytoscape.esm.min.mjs"}, {"uplot", "dist/uPlot.esm.js"}, {"uplot", "dist/uPlot.min.css"}};
    /** The most derived commits one lineage answer lists, newest first, so that the page stays one page. */
    private static final int MAX_DOWNSTREAM = 100;

    private final PfsService pfs;
    private final PpsService pps;
    private final ConsoleAssets assets;
    private final String page;

    public ConsoleController(PfsService pfs, PpsService pps, ObjectMapper json) {
        this.pfs = pfs;
        this.pps = pps;
        WebJarVersionLocator webjars = new WebJarVersionLocator();
        Map<String, String> libraries = new LinkedHashMap<>();
        for (String[] file : LIBRARIES) {
            String path = webjars.path(file[0], file[1]);
            if (path == null) {
                throw new IllegalStateException("WebJar " + file[0] + " (" + file[1] + ") is missing from the classpath");
            }
            libraries.put("/webjars/" + path, "/META-INF/resources/webjars/" + path);
        }
        this.assets = new ConsoleAssets(ASSETS, libraries);
        this.page = page(json, libraries.keySet().toArray(String[]::new));
    }

    /** GET /console/* and /webjars/*: the page's files, immutable at URLs naming their content. */
    public void asset(Context ctx) {
        assets.serve(ctx);
    }

    /** GET /: the console's single page. */
    public void index(Context ctx) {
        ctx.header("Cache-Control", "no-cache");
        ctx.contentType("text/html; charset=utf-8").result(page);
    }

    /** GET /api/v1/dag: every repo, and every pipeline with the repos it reads, its state and its last job's. */
    public void dag(Context ctx) {
        List<Map<String, Object>> pipelines = new ArrayList<>();
        for (PipelineInfo p : pps.listPipeline()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", p.qualified());
            row.put("project", p.project());
            row.put("version", p.version());
            row.put("state", p.state());
            row.put("lastJobState", p.lastJobState());
            row.put("inputs", inputRepos(pps.inspectPipelineVersion(p.qualified(), p.version())));
            row.put("output", p.qualified());
            pipelines.add(row);
        }
        List<Map<String, Object>> repos = new ArrayList<>();
        for (RepoInfo r : pfs.listRepos()) {
            // every project in one graph, so nodes go by qualified name ("project/name" outside default)
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", r.qualified());
            row.put("project", r.project());
            row.put("description", r.description());
            row.put("created", r.created());
            row.put("sizeBytes", r.sizeBytes());
            row.put("branches", r.branches());
            repos.add(row);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("repos", repos);
        answer.put("pipelines", pipelines);
        ctx.json(answer);
    }

    /** GET /api/v1/pipelines/{name}/versions: every stored spec version, newest first. */
    public void pipelineVersions(Context ctx) {
        String name = Requests.pipeline(ctx);
        int current = pps.inspectPipeline(name).version();
        List<Map<String, Object>> out = new ArrayList<>();
        for (int v = current; v >= 1; v--) {
            PipelineSpec spec = pps.inspectPipelineVersion(name, v);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("version", v);
            row.put("inputs", inputRepos(spec));
            row.put("spec", spec.raw());
            out.add(row);
        }
        ctx.json(out);
    }

    /**
     * GET /api/v1/repos/{repo}/lineage?ref=R: the commit, every commit it was computed from (its provenance),
     * the newest {@value #MAX_DOWNSTREAM} commits computed from it downstream, and the edges between them (each output commit to
     * the commits of the repos its pipeline reads directly).
     */
    public void lineage(Context ctx) {
        String repo = Requests.repo(ctx);
        CommitInfo commit = pfs.inspectCommit(repo, Requests.required(ctx, "ref"));
        Map<String, Set<String>> inputs = new LinkedHashMap<>();
        for (PipelineInfo p : pps.listPipeline()) {
            inputs.put(p.qualified(), new LinkedHashSet<>(inputRepos(pps.inspectPipelineVersion(p.qualified(), p.version()))));
        }
        List<CommitInfo> upstream = new ArrayList<>();
        for (CommitRef ref : commit.provenance()) {
            try {
                upstream.add(pfs.inspectCommit(ref.repo(), ref.id()));
            } catch (SluiceException e) {
                if (e.kind() != SluiceException.Kind.NOT_FOUND) {
                    throw e;
                }
                // its repo was deleted once no pipeline read it (an update moved to another input): gone, not an error
            }
        }
        // the index of what was derived from each commit answers without a scan; newest first, one page
        List<CommitInfo> derived = pfs.derivedFrom(commit.repo(), commit.id());
        List<CommitInfo> downstream = derived.subList(0, Math.min(derived.size(), MAX_DOWNSTREAM));
        boolean truncated = derived.size() > MAX_DOWNSTREAM;
        List<CommitInfo> all = new ArrayList<>(upstream);
        all.add(commit);
        all.addAll(downstream);
        Set<String> present = new HashSet<>();
        all.forEach(c -> present.add(key(c.repo(), c.id())));
        List<Edge> edges = new ArrayList<>();
        for (CommitInfo c : all) {
            Set<String> direct = inputs.getOrDefault(c.repo(), Set.of());
            for (CommitRef x : c.provenance()) {
                if (direct.contains(x.repo()) && present.contains(key(x.repo(), x.id()))) {
                    edges.add(new Edge(key(x.repo(), x.id()), key(c.repo(), c.id())));
                }
            }
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("commit", commit);
        answer.put("upstream", upstream);
        answer.put("downstream", downstream);
        answer.put("truncated", truncated);
        answer.put("edges", edges);
        ctx.json(answer);
    }

    /** One step of lineage: the commit {@code to} was computed from the commit {@code from} (both "repo@id"). */
    public record Edge(String from, String to) {
    }

    private static String key(String repo, String id) {
        return repo + "@" + id;
    }

    private static List<String> inputRepos(PipelineSpec spec) {
        return spec.inputBranches().stream().map(PipelineSpec.RepoBranch::repo).distinct().toList();
    }

    /**
     * The page with its import map naming the WebJars' versions (so that upgrading one is a POM change only),
     * its own files at their content-named URLs, and every module of its own preloaded at once.
     */
    private String page(ObjectMapper json, String[] libraries) {
        String html = new String(ConsoleAssets.read(ASSETS + "/index.html"), StandardCharsets.UTF_8);
        Map<String, String> imports = new LinkedHashMap<>();
        imports.put("cytoscape", libraries[0]);
        imports.put("uplot", libraries[1]);
        StringBuilder preload = new StringBuilder();
        for (String module : assets.modules()) {
            preload.append("<link rel=\"modulepreload\" href=\"").append(module).append("\">\n");
        }
        try {
            return html.replace("{{uplotCss}}", libraries[2])
                    .replace("{{styleCss}}", assets.url("style.css"))
                    .replace("{{appJs}}", assets.url("app.js"))
                    .replace("{{graphs}}", libraries[0])
                    .replace("{{modulepreload}}", preload.toString().strip())
                    .replace("{{importmap}}", json.writeValueAsString(Map.of("imports", imports)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
