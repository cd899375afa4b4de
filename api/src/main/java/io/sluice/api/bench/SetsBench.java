package io.sluice.api.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The measurements behind {@code sluice bench sets}: with many commits across repos and a pipeline that ran for
 * some of them, the latency of inspecting a commit set, listing its jobs and reading {@code repo@<set id>}, and
 * how soon {@code wait commit} answers after the set's last commit finished. With {@code before} (another built
 * checkout) the same daemon calls are timed against that build too, round by round in turn with this one.
 */
public final class SetsBench {
    private static final Set<String> TERMINAL = Set.of("JOB_SUCCESS", "JOB_FAILURE", "JOB_KILLED", "JOB_UNRUNNABLE");

    /** How much data, how many timed rounds (medians are reported), and optionally another build to time too. */
    public record Options(int repos, int commits, int jobs, int rounds, Path before) {
    }

    private final Path home;

    /** Measures the build at {@code home} (the running jar's checkout). */
    public SetsBench(Path home) {
        this.home = home;
    }

    public Map<String, Object> run(Path dir, Options options) throws Exception {
        if (options.repos() < 2 || options.commits() <= options.jobs()) {
            throw new IllegalArgumentException("--repos must be at least 2 and --commits must exceed --jobs");
        }
        Map<String, Build> builds = Build.sideBySide(options.before(), home);
        List<DaemonProcess> daemons = new ArrayList<>();
        try {
            Map<String, Site> sites = new LinkedHashMap<>();
            for (Map.Entry<String, Build> b : builds.entrySet()) {
                DaemonProcess d = b.getValue().start(dir, b.getKey(), List.of("--no-demo"));
                daemons.add(d);
                sites.put(b.getKey(), seed(d, options));
            }
            Map<String, Map<String, List<Double>>> times = new LinkedHashMap<>();
            for (int round = 0; round < options.rounds(); round++) {
                for (Map.Entry<String, Site> s : sites.entrySet()) {
                    Map<String, List<Double>> t = times.computeIfAbsent(s.getKey(), k -> new LinkedHashMap<>());
                    Site site = s.getValue();
                    DaemonProcess d = site.daemon();
                    time(t, "inspect commit <set> (a set with 2 commits and a job): ms",
                            () -> d.ok("GET", "/api/v1/commitsets/" + site.pipedSet(), null));
                    time(t, "inspect commit <set> (an old 1-commit set): ms",
                            () -> d.ok("GET", "/api/v1/commitsets/" + site.oldSet(), null));
                    time(t, "list job <set>: ms", () -> d.ok("GET", "/api/v1/commitsets/" + site.pipedSet() + "/jobs", null));
                    time(t, "inspect commit <output repo>@<set>: ms",
                            () -> d.ok("GET", "/api/v1/repos/sets-copy/commit?ref=" + site.pipedSet(), null));
                    time(t, "list commit (newest 10 sets): ms", () -> d.ok("GET", "/api/v1/commitsets?limit=10", null));
                    t.computeIfAbsent("wait commit <set> answers after its commit finished: ms", k -> new ArrayList<>())
                            .add(waitWake(d, round));
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("benchmark", "sets");
            out.put("repos", options.repos());
            out.put("commits", options.repos() * options.commits());
            out.put("jobs", options.jobs());
            out.put("rounds", options.rounds());
            Map<String, Map<String, Double>> medians = new LinkedHashMap<>();
            times.forEach((build, t) -> {
                Map<String, Double> m = new LinkedHashMap<>();
                t.forEach((what, ms) -> m.put(what, median(ms)));
                medians.put(build, m);
            });
            out.putAll(medians);
            if (medians.containsKey("before")) {
                Map<String, Double> ratios = new LinkedHashMap<>();
                medians.get("after").forEach((what, ms) -> ratios.put(what.replace(": ms", ""),
                        round3(ms / medians.get("before").get(what))));
                out.put("after / before (medians)", ratios);
            }
            return out;
        } finally {
            for (DaemonProcess d : daemons) {
                d.close();
            }
        }
    }

    /** One seeded daemon: a set that reached the pipeline and an old set of a repo no pipeline reads. */
    private record Site(DaemonProcess daemon, String pipedSet, String oldSet) {
    }

    /**
     * {@code repos} repos of {@code commits} commits each; a pipeline on the first repo is created before its last
     * {@code jobs} commits, so each of those is one job (their datums are the same bytes, so the jobs are quick).
     */
    private static Site seed(DaemonProcess d, Options o) throws Exception {
        for (int r = 0; r < o.repos(); r++) {
            d.ok("POST", "/api/v1/repos", "{\"name\": \"sets" + r + "\"}");
        }
        String oldSet = null;
        for (int r = 1; r < o.repos(); r++) {
            for (int i = 0; i < o.commits(); i++) {
                JsonNode c = d.ok("PUT", "/api/v1/repos/sets" + r + "/files?branch=master&path=" + enc("/f" + i), "file " + i);
                if (r == 1 && i == o.commits() / 2) {
                    oldSet = c.get("set").asText();
                }
            }
        }
        for (int i = 0; i < o.commits() - o.jobs(); i++) {
            d.ok("PUT", "/api/v1/repos/sets0/files?branch=master&path=" + enc("/f" + i), "file " + i);
        }
        d.ok("POST", "/api/v1/pipelines", """
                {"pipeline": {"name": "sets-copy"}, "transform": {"cmd": ["true"]},
                 "input": {"pfs": {"repo": "sets0", "glob": "/"}}}""");
        String piped = null;
        for (int i = o.commits() - o.jobs(); i < o.commits(); i++) {
            piped = d.ok("PUT", "/api/v1/repos/sets0/files?branch=master&path=" + enc("/f0"), "file 0").get("set").asText();
        }
        long deadline = System.nanoTime() + 600_000_000_000L;
        while (!d.ok("GET", "/api/v1/commitsets/" + piped, null).get("complete").asBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the pipeline did not catch up within 10 minutes at " + d.address());
            }
            Thread.sleep(200);
        }
        JsonNode jobs = d.ok("GET", "/api/v1/jobs?pipeline=sets-copy", null);
        for (JsonNode j : jobs) {
            if (!TERMINAL.contains(j.get("state").asText())) {
                throw new IOException("job " + j.get("id").asText() + " is still " + j.get("state").asText());
            }
        }
        return new Site(d, piped, oldSet);
    }

    /**
     * Opens a commit in a repo no pipeline reads, waits on its set from another connection, finishes the commit,
     * and answers the milliseconds from the finish's answer to the wait's.
     */
    private static double waitWake(DaemonProcess d, int round) throws Exception {
        String repo = "sets1";
        String set = d.ok("POST", "/api/v1/repos/" + repo + "/commits/start", "{\"branch\": \"wake\"}").get("set").asText();
        CompletableFuture<Long> answered = CompletableFuture.supplyAsync(() -> {
            try {
                JsonNode s = d.ok("GET", "/api/v1/commitsets/" + set + "?wait=60", null);
                if (!s.get("complete").asBoolean()) {
                    throw new IllegalStateException("wait commit " + set + " answered an incomplete set");
                }
                return System.nanoTime();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(300); // the wait is registered by then, so the finish is what wakes it
        d.ok("PUT", "/api/v1/repos/" + repo + "/files?branch=wake&path=" + enc("/round" + round), "x");
        d.ok("POST", "/api/v1/repos/" + repo + "/commits/finish", "{\"branch\": \"wake\"}");
        long finished = System.nanoTime();
        return round1((answered.get() - finished) / 1e6);
    }

    @FunctionalInterface
    private interface Call {
        Object call() throws Exception;
    }

    private static void time(Map<String, List<Double>> t, String what, Call call) throws Exception {
        long t0 = System.nanoTime();
        call.call();
        t.computeIfAbsent(what, k -> new ArrayList<>()).add(round1((System.nanoTime() - t0) / 1e6));
    }

    private static double median(List<Double> ms) {
        List<Double> sorted = ms.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
