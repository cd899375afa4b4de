package io.sluice.api.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.train.RatingGenerator;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code sluice bench console}: the web console's first render of every page in the system's headless Chromium,
 * over a real daemon running the demo plus a repo of {@code commits} commits and a pipeline with {@code jobs}
 * jobs. Each page is loaded with an empty browser cache (a first visit) and again with a warm one; a render
 * counts from navigation start to the view drawn with its data (the DAG and lineage pages: with their graph on
 * the screen). Where the time goes comes from the Performance API: bytes and requests, the slowest API call, long
 * tasks, when the view had its data (and the graph library, on the pages with a graph), when the graph library
 * had arrived and when the graph was drawn. With {@code before} (another built checkout), its
 * daemon gets the same data and both are measured in turns, in one run.
 */
public final class ConsoleBench {
    private static final Set<String> TERMINAL = Set.of("JOB_SUCCESS", "JOB_FAILURE", "JOB_KILLED", "JOB_UNRUNNABLE");
    private static final String COPY = """
            {"pipeline": {"name": "bench-copy"}, "transform": {"cmd": ["true"]},
             "input": {"pfs": {"repo": "bench", "glob": "/"}}}""";
    /** Collects one page's figures once the console marks it rendered (the marker's path is the argument). */
    private static final String COLLECT = """
            const want = arguments[0];
            return new Promise(resolve => {
              const check = () => {
                const r = window.sluiceRendered;
                if (!r || document.body.dataset.rendered !== want) { setTimeout(check, 10); return; }
                const before = performance.getEntriesByType('resource').filter(e => e.startTime <= r.sinceNavigation);
                const api = before.filter(e => new URL(e.name).pathname.startsWith('/api/'));
                const slowest = api.reduce((a, e) => !a || e.duration > a.duration ? e : a, null);
                const nav = performance.getEntriesByType('navigation')[0];
                const mark = name => performance.getEntriesByName(name, 'mark').map(m => m.startTime)[0] ?? null;
                const library = before.find(e => /cytoscape|echarts/.test(e.name));
                resolve({
                  ms: r.sinceNavigation,
                  requests: before.length + 1,
                  transferBytes: before.reduce((s, e) => s + e.transferSize, nav.transferSize),
                  bodyBytes: before.reduce((s, e) => s + e.decodedBodySize, nav.decodedBodySize),
                  apiCalls: api.length,
                  slowestApi: slowest ? new URL(slowest.name).pathname : null,
                  slowestApiMs: slowest ? slowest.duration : 0,
                  domContentLoadedMs: nav.domContentLoadedEventEnd,
                  dataMs: mark('sluice:data'),
                  graphLibraryFetchedMs: library ? library.responseEnd : null,
                  graphDrawnMs: mark('sluice:graph-drawn'),
                  longTaskMs: (window.sluiceLongTasks || []).filter(t => t.startTime <= r.sinceNavigation)
                    .reduce((s, t) => s + t.duration, 0),
                });
              };
              check();
            });""";
    /** Installed before a page's scripts run (through the navigation's document), so it sees every long task. */
    private static final String WATCH_LONG_TASKS = """
            window.sluiceLongTasks = [];
            new PerformanceObserver(l => window.sluiceLongTasks.push(...l.getEntries()))
              .observe({ type: 'longtask', buffered: true });""";

    /** How much data, how many measuring rounds (the median is reported), and optionally another built checkout to measure first ("before"; this build is "after"). */
    public record Options(int commits, int jobs, int rounds, Path before) {
    }

    private final Path home;

    /** Measures the console of the build at {@code home} (the running jar's checkout). */
    public ConsoleBench(Path home) {
        this.home = home;
    }

    public Map<String, Object> run(Path dir, Options options) throws Exception {
        if (options.commits() < options.jobs() + 1) {
            throw new IllegalArgumentException("--commits must exceed --jobs: each job is one commit of the repo");
        }
        Path ratings = dir.resolve("ratings.txt");
        // a small base set keeps the demo's first train job to seconds; the code path is the demo's own
        RatingGenerator.write(new RatingGenerator(new RatingGenerator.Shape(300, 400, 20_000, 5, 0.6, 42L)).generate(), ratings);
        Map<String, Build> builds = Build.sideBySide(options.before(), home);
        List<DaemonProcess> daemons = new ArrayList<>();
        try {
            Map<String, Site> sites = new LinkedHashMap<>();
            for (Map.Entry<String, Build> b : builds.entrySet()) {
                DaemonProcess d = b.getValue().start(dir, b.getKey(), List.of("--dataset", ratings.toString()));
                daemons.add(d);
                sites.put(b.getKey(), seed(d, options));
            }
            try (Chromium browser = Chromium.start(dir.resolve("chromium-profile"), 1280, 800)) {
                Map<String, Map<String, List<JsonNode>>> cold = new LinkedHashMap<>();
                Map<String, Map<String, List<JsonNode>>> warm = new LinkedHashMap<>();
                for (int round = 0; round < options.rounds(); round++) {
                    for (Map.Entry<String, Site> s : sites.entrySet()) {
                        Site site = s.getValue();
                        browser.navigate(site.daemon().address() + "/api/v1/health");
                        browser.script("localStorage.setItem('sluice.token', arguments[0])", site.daemon().token());
                        for (String route : site.routes()) {
                            String label = site.label(route);
                            browser.clearCache();
                            cold.computeIfAbsent(s.getKey(), k -> new LinkedHashMap<>()).computeIfAbsent(label, k -> new ArrayList<>())
                                    .add(load(browser, site, route));
                            warm.computeIfAbsent(s.getKey(), k -> new LinkedHashMap<>()).computeIfAbsent(label, k -> new ArrayList<>())
                                    .add(load(browser, site, route));
                        }
                    }
                }
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("benchmark", "console");
                out.put("commits", options.commits());
                out.put("jobs", sites.get("after").jobs());
                out.put("window", "1280x800");
                out.put("rounds", options.rounds());
                Map<String, Object> lineage = new LinkedHashMap<>();
                sites.forEach((build, site) -> lineage.put(build, site.lineageMs()));
                out.put("lineageOfHeadApiMs", lineage);
                for (String build : sites.keySet()) {
                    Map<String, Object> figures = new LinkedHashMap<>();
                    figures.put("firstVisit", medians(cold.get(build)));
                    figures.put("repeatVisit", medians(warm.get(build)));
                    figures.put("worstFirstVisitMs", worst(cold.get(build)));
                    figures.put("worstRepeatVisitMs", worst(warm.get(build)));
                    out.put(build, figures);
                }
                if (sites.containsKey("before")) {
                    out.put("worstFirstVisitRatio", ratio(worst(cold.get("after")), worst(cold.get("before"))));
                    out.put("worstRepeatVisitRatio", ratio(worst(warm.get("after")), worst(warm.get("before"))));
                }
                return out;
            }
        } finally {
            for (DaemonProcess d : daemons) {
                d.close();
            }
        }
    }

    /** One seeded daemon: the ids its routes name, and the median time of the head's lineage answer. */
    private record Site(DaemonProcess daemon, String head, String job, int jobs, double lineageMs) {
        List<String> routes() {
            return List.of("/", "/repos", "/repos/bench", "/repos/bench/commit/" + head, "/lineage/bench/" + head,
                    "/jobs", "/jobs?pipeline=bench-copy", "/jobs/" + job, "/pipelines", "/pipelines/bench-copy",
                    "/models", "/health");
        }

        String label(String route) {
            return route.replace(head, "<head>").replace(job, "<job>");
        }
    }

    /** Once the demo's first model is in: {@code commits} commits in repo bench, {@code jobs} of them after its pipeline. */
    private static Site seed(DaemonProcess d, Options options) throws Exception {
        long deadline = System.nanoTime() + 600_000_000_000L;
        while (!d.send("GET", "/api/v1/repos/train/commit?ref=master", null).ok()) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the demo's first model did not appear within 10 minutes at " + d.address());
            }
            Thread.sleep(200);
        }
        d.ok("POST", "/api/v1/repos", "{\"name\": \"bench\", \"description\": \"" + options.commits() + " commits\"}");
        int before = options.commits() - options.jobs();
        for (int i = 0; i < before; i++) {
            d.ok("PUT", "/api/v1/repos/bench/files?branch=master&path=" + enc("/f" + i + ".txt"), "file " + i);
        }
        d.ok("POST", "/api/v1/pipelines", COPY);
        // the same bytes again: each commit is a job whose one datum is skipped, so the jobs take seconds
        for (int i = before; i < options.commits(); i++) {
            d.ok("PUT", "/api/v1/repos/bench/files?branch=master&path=" + enc("/f0.txt"), "file 0");
        }
        JsonNode jobs;
        do {
            if (System.nanoTime() > deadline) {
                throw new IOException("the bench-copy jobs did not finish within 10 minutes at " + d.address());
            }
            Thread.sleep(200);
            jobs = d.ok("GET", "/api/v1/jobs?pipeline=bench-copy", null);
        } while (jobs.size() < options.jobs() || !allTerminal(jobs));
        String head = d.ok("GET", "/api/v1/repos/bench/commit?ref=master", null).get("id").asText();
        // the head's lineage: the one derived commit among the 200 job outputs (a scan reads them all); median of 21
        List<Double> lineageMs = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            long t0 = System.nanoTime();
            d.ok("GET", "/api/v1/repos/bench/lineage?ref=" + head, null);
            lineageMs.add((System.nanoTime() - t0) / 1e6);
        }
        lineageMs.sort(null);
        return new Site(d, head, jobs.get(0).get("id").asText(), jobs.size(), round(lineageMs.get(lineageMs.size() / 2)));
    }

    private static boolean allTerminal(JsonNode jobs) {
        for (JsonNode j : jobs) {
            if (!TERMINAL.contains(j.get("state").asText())) {
                return false;
            }
        }
        return true;
    }

    /** A full page load of {@code route} from a blank page; answers the page's figures. */
    private static JsonNode load(Chromium browser, Site site, String route) throws IOException, InterruptedException {
        browser.navigate("about:blank");
        browser.navigate(site.daemon().address() + "/#" + route);
        String path = route.contains("?") ? route.substring(0, route.indexOf('?')) : route;
        browser.script(WATCH_LONG_TASKS);
        return browser.script(COLLECT, path);
    }

    private static Map<String, Object> medians(Map<String, List<JsonNode>> byRoute) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<JsonNode>> e : byRoute.entrySet()) {
            List<JsonNode> runs = new ArrayList<>(e.getValue());
            runs.sort(Comparator.comparingDouble(n -> n.get("ms").asDouble()));
            JsonNode median = runs.get(runs.size() / 2);
            Map<String, Object> figures = new LinkedHashMap<>();
            median.fields().forEachRemaining(f -> figures.put(f.getKey(), f.getValue().isNumber() ? round(f.getValue().asDouble())
                    : f.getValue().isNull() ? null : f.getValue().asText()));
            out.put(e.getKey(), figures);
        }
        return out;
    }

    /** The slowest page's median render time. */
    private static double worst(Map<String, List<JsonNode>> byRoute) {
        double worst = 0;
        for (List<JsonNode> runs : byRoute.values()) {
            List<Double> ms = runs.stream().map(n -> n.get("ms").asDouble()).sorted().toList();
            worst = Math.max(worst, ms.get(ms.size() / 2));
        }
        return round(worst);
    }

    private static double ratio(double a, double b) {
        return b == 0 ? 0 : Math.round(a / b * 1000) / 1000.0;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
