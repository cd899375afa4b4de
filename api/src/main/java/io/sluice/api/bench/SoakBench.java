package io.sluice.api.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code sluice bench soak}: SIGKILLs a real daemon process again and again while clients put files, append
 * to shared files, make multi-file commits and create, update and delete pipelines, and a copy pipeline runs
 * a job for every input commit; after every restart it checks that no acknowledged write is lost or changed,
 * that fsck is clean and that no input commit got a second job, and at the end that every one got exactly one.
 * Every problem is listed; the figures are counts, so runs compare.
 */
public final class SoakBench {
    private static final String COPY = """
            {"pipeline": {"name": "copy"},
             "transform": {"cmd": ["sh", "-c", "cp -r /pfs/events/. /pfs/out/"]},
             "input": {"pfs": {"repo": "events", "glob": "/*"}}}""";
    private static final int APPEND_FILES = 3;

    /**
     * How many kill cycles, how long the load runs in each before the kill, how many putters, and the pause
     * each client makes between its requests (so the copy pipeline's jobs keep up).
     */
    public record Options(int cycles, double seconds, int putters, int paceMillis) {
    }

    private final List<String> problems = new CopyOnWriteArrayList<>();
    /** path in events -> expected file hash. */
    private final Map<String, String> puts = new ConcurrentHashMap<>();
    /** acknowledged appended lines, per log file. */
    private final Map<String, Set<String>> appends = new ConcurrentHashMap<>();
    /** path in multi -> expected file hash, for files of acknowledged multi-file commits. */
    private final Map<String, String> multi = new ConcurrentHashMap<>();
    /** pipeline -> true (exists) / false (deleted) after its last acknowledged operation; absent: unknown. */
    private final Map<String, Boolean> pipelines = new ConcurrentHashMap<>();
    private final AtomicInteger counter = new AtomicInteger();
    private final AtomicInteger pipelineOps = new AtomicInteger();
    private final AtomicInteger multiCommits = new AtomicInteger();
    private long pace;

    /** Runs the soak on a fresh data dir under {@code dir}; returns its figures and every problem seen. */
    public Map<String, Object> run(Path dir, Options options) throws Exception {
        Path data = dir.resolve("data");
        Path log = dir.resolve("daemon.log");
        pace = options.paceMillis();
        Random random = new Random(20261201);
        List<Long> restartMillis = new ArrayList<>();
        try (DaemonProcess d = startDaemon(data, log)) {
            d.ok("POST", "/api/v1/repos", "{\"name\": \"events\"}");
            d.ok("POST", "/api/v1/repos", "{\"name\": \"logs\"}");
            d.ok("POST", "/api/v1/repos", "{\"name\": \"multi\"}");
            d.ok("POST", "/api/v1/repos", "{\"name\": \"tmp_in\"}");
            d.ok("PUT", "/api/v1/repos/tmp_in/files?branch=master&path=/x", "x");
            d.ok("POST", "/api/v1/pipelines", COPY);
            d.ok("PUT", "/api/v1/repos/events/files?branch=master&path=/e0", "event 0\n");
            puts.put("/e0", fileHash("event 0\n"));
        }
        long started = System.nanoTime();
        for (int cycle = 0; cycle < options.cycles(); cycle++) {
            long t0 = System.nanoTime();
            try (DaemonProcess d = startDaemon(data, log)) {
                restartMillis.add((System.nanoTime() - t0) / 1_000_000);
                verify(d, "after kill " + cycle);
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> load = load(d, options, stop);
                Thread.sleep((long) (options.seconds() * 1000 * (0.5 + random.nextDouble())));
                d.kill();
                stop.set(true);
                for (Thread t : load) {
                    t.join(30_000);
                }
            }
        }
        double loadSeconds = (System.nanoTime() - started) / 1e9;
        Map<String, Object> jobs;
        try (DaemonProcess d = startDaemon(data, log)) {
            verify(d, "at the end");
            jobs = verifyJobs(d, true);
        }
        Collections.sort(restartMillis);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kills", options.cycles());
        out.put("seconds", Math.round(loadSeconds));
        out.put("ackedPuts", puts.size());
        out.put("ackedAppends", appends.values().stream().mapToInt(Set::size).sum());
        out.put("ackedMultiFileCommits", multiCommits.get());
        out.put("ackedPipelineOps", pipelineOps.get());
        out.putAll(jobs);
        out.put("restartMillisMedian", restartMillis.isEmpty() ? 0 : restartMillis.get(restartMillis.size() / 2));
        out.put("problems", problems.size());
        out.put("problemList", problems.subList(0, Math.min(50, problems.size())));
        return out;
    }

    private List<Thread> load(DaemonProcess d, Options options, AtomicBoolean stop) {
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < options.putters(); w++) {
            threads.add(loop(stop, () -> {
                int n = counter.incrementAndGet();
                String path = "/e" + n;
                String content = "event " + n + "\n";
                if (d.send("PUT", "/api/v1/repos/events/files?branch=master&path=" + path, content).ok()) {
                    puts.put(path, fileHash(content));
                }
            }));
        }
        for (int w = 0; w < 2; w++) {
            int writer = w;
            threads.add(loop(stop, () -> {
                int n = counter.incrementAndGet();
                String file = "/log" + n % APPEND_FILES;
                String line = "a" + writer + "-" + n + "\n";
                if (d.send("PUT", "/api/v1/repos/logs/files?branch=master&append=true&path=" + file, line).ok()) {
                    appends.computeIfAbsent(file, f -> ConcurrentHashMap.newKeySet()).add(line);
                }
            }));
        }
        threads.add(loop(stop, () -> {
            if (d.send("POST", "/api/v1/repos/multi/commits/start", "{\"branch\": \"master\"}").status() == 409) {
                d.send("POST", "/api/v1/repos/multi/commits/finish", "{\"branch\": \"master\"}"); // a killed one's
                return;
            }
            int n = counter.incrementAndGet();
            Map<String, String> files = new HashMap<>();
            for (String part : List.of("a", "b", "c")) {
                String path = "/m" + n + "/" + part;
                String content = "multi " + n + " " + part + "\n";
                if (!d.send("PUT", "/api/v1/repos/multi/files?branch=master&path=" + path, content).ok()) {
                    return;
                }
                files.put(path, fileHash(content));
            }
            if (d.send("POST", "/api/v1/repos/multi/commits/finish", "{\"branch\": \"master\"}").ok()) {
                multi.putAll(files);
                multiCommits.incrementAndGet();
            }
        }));
        threads.add(loop(stop, () -> {
            String name = "tmp-" + counter.incrementAndGet();
            String spec = "{\"pipeline\": {\"name\": \"" + name + "\"}, \"transform\": {\"cmd\": [\"sh\", \"-c\","
                    + " \"cp -r /pfs/tmp_in/. /pfs/out/\"]}, \"input\": {\"pfs\": {\"repo\": \"tmp_in\", \"glob\": \"/\"}}}";
            pipelines.remove(name);
            if (!d.send("POST", "/api/v1/pipelines", spec).ok()) {
                return;
            }
            pipelines.put(name, true);
            pipelineOps.incrementAndGet();
            if (d.send("PUT", "/api/v1/pipelines/" + name, spec.replace("cp -r", "cp -rf")).ok()) {
                pipelineOps.incrementAndGet();
            }
            pipelines.remove(name);
            if (d.send("DELETE", "/api/v1/pipelines/" + name, null).ok()) {
                pipelines.put(name, false);
                pipelineOps.incrementAndGet();
            }
        }));
        threads.forEach(Thread::start);
        return threads;
    }

    /** Starts {@code sluice up --no-demo} on {@code data} in a JVM of its own and waits until it answers. */
    private static DaemonProcess startDaemon(Path data, Path log) throws IOException, InterruptedException {
        return DaemonProcess.start(System.getProperty("java.class.path"), Map.of(), data, log, List.of("--no-demo"));
    }

    private interface Step {
        void run() throws Exception;
    }

    private Thread loop(AtomicBoolean stop, Step step) {
        Thread t = new Thread(() -> {
            while (!stop.get()) {
                try {
                    step.run();
                    Thread.sleep(pace);
                } catch (Exception killed) {
                    return; // the daemon died mid-request: nothing in flight was acknowledged
                }
            }
        }, "soak-client");
        t.setDaemon(true);
        return t;
    }

    private void verify(DaemonProcess d, String when) throws Exception {
        checkFiles(d, "events", puts, when);
        checkFiles(d, "multi", multi, when);
        for (Map.Entry<String, Set<String>> e : appends.entrySet()) {
            DaemonProcess.Reply r = d.send("GET", "/api/v1/repos/logs/files?ref=master&path=" + e.getKey(), null);
            if (!r.ok()) {
                problems.add(when + ": logs:" + e.getKey() + " unreadable: " + r.body());
                continue;
            }
            Map<String, Integer> seen = new HashMap<>();
            for (String line : r.body().split("\n", -1)) {
                if (!line.isEmpty()) {
                    seen.merge(line + "\n", 1, Integer::sum);
                }
            }
            for (String line : e.getValue()) {
                int k = seen.getOrDefault(line, 0);
                if (k != 1) {
                    problems.add(when + ": acknowledged append " + line.strip() + " is in logs:" + e.getKey() + " " + k
                            + " times");
                }
            }
        }
        JsonNode fsck = d.ok("POST", "/api/v1/fsck", "{}");
        if (!fsck.path("ok").asBoolean()) {
            problems.add(when + ": fsck: " + fsck.path("problems"));
        }
        Set<String> existing = ConcurrentHashMap.newKeySet();
        for (JsonNode p : d.ok("GET", "/api/v1/pipelines", null)) {
            existing.add(p.path("name").asText());
        }
        for (Map.Entry<String, Boolean> e : pipelines.entrySet()) {
            if (e.getValue() != existing.contains(e.getKey())) {
                problems.add(when + ": pipeline " + e.getKey() + (e.getValue() ? " was created but is gone"
                        : " was deleted but is back"));
            }
        }
        for (JsonNode repo : d.ok("GET", "/api/v1/repos", null)) {
            String name = repo.path("name").asText();
            if (name.startsWith("tmp-") && !existing.contains(name)) {
                problems.add(when + ": output repo " + name + " has no pipeline");
            }
        }
        verifyJobs(d, false);
    }

    private void checkFiles(DaemonProcess d, String repo, Map<String, String> expected, String when) throws Exception {
        if (expected.isEmpty()) {
            return;
        }
        Map<String, String> found = new HashMap<>();
        for (JsonNode f : d.ok("GET", "/api/v1/repos/" + repo + "/files/glob?ref=master&pattern=" + enc("/**"), null)) {
            if (f.path("type").asText().equals("FILE")) {
                found.put(f.path("path").asText(), f.path("hash").asText());
            }
        }
        for (Map.Entry<String, String> e : Map.copyOf(expected).entrySet()) {
            String got = found.get(e.getKey());
            if (got == null) {
                problems.add(when + ": acknowledged " + repo + ":" + e.getKey() + " is lost");
            } else if (!got.equals(e.getValue())) {
                problems.add(when + ": acknowledged " + repo + ":" + e.getKey() + " changed");
            }
        }
    }

    /** Jobs of the copy pipeline per input commit: none may have two; with {@code settle}, all must have one. */
    private Map<String, Object> verifyJobs(DaemonProcess d, boolean settle) throws Exception {
        long deadline = System.nanoTime() + (settle ? 600_000_000_000L : 0);
        Map<String, Integer> perCommit;
        List<String> commits;
        while (true) {
            commits = new ArrayList<>();
            for (JsonNode c : d.ok("GET", "/api/v1/repos/events/commits?branch=master", null)) {
                if (c.path("finished").isTextual()) {
                    commits.add(c.path("id").asText());
                }
            }
            perCommit = new HashMap<>();
            int unfinished = 0;
            for (JsonNode job : d.ok("GET", "/api/v1/jobs?pipeline=copy", null)) {
                for (JsonNode in : job.path("inputs")) {
                    if (in.path("repo").asText().equals("events")) {
                        perCommit.merge(in.path("id").asText(), 1, Integer::sum);
                    }
                }
                unfinished += job.path("finished").isTextual() ? 0 : 1;
            }
            boolean all = unfinished == 0 && commits.stream().allMatch(perCommit::containsKey);
            if (!settle || all || System.nanoTime() > deadline) {
                break;
            }
            Thread.sleep(1000);
        }
        int twice = 0;
        for (Map.Entry<String, Integer> e : perCommit.entrySet()) {
            if (e.getValue() > 1) {
                twice++;
                problems.add("input commit events@" + e.getKey() + " got " + e.getValue() + " jobs");
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Integer> jobs = perCommit;
        if (settle) {
            List<String> none = commits.stream().filter(c -> !jobs.containsKey(c)).toList();
            for (String c : none) {
                problems.add("input commit events@" + c + " got no job");
            }
            out.put("inputCommits", commits.size());
            out.put("inputCommitsWithExactlyOneJob", commits.stream().filter(c -> jobs.getOrDefault(c, 0) == 1).count());
            out.put("inputCommitsWithNoJob", none.size());
            out.put("inputCommitsWithMoreJobs", twice);
        }
        return out;
    }

    /** The content hash Sluice gives a file of one chunk (any file under the minimum chunk size). */
    private static String fileHash(String content) {
        try {
            MessageDigest chunk = MessageDigest.getInstance("SHA-256");
            byte[] id = chunk.digest(content.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(id));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
