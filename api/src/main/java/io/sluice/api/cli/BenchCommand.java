package io.sluice.api.cli;

import io.sluice.Json;
import io.sluice.api.Main;
import io.sluice.api.bench.ApiBench;
import io.sluice.api.bench.CliBench;
import io.sluice.api.bench.ConsoleBench;
import io.sluice.api.bench.FilesBench;
import io.sluice.api.bench.PfsBench;
import io.sluice.api.bench.PredictStartBench;
import io.sluice.api.bench.SetsBench;
import io.sluice.api.bench.SoakBench;
import io.sluice.api.bench.TriggerBench;
import io.sluice.train.TrainBenchmark;
import io.sluice.storage.ObjectStore;
import io.sluice.storage.ObjectStores;
import org.apache.commons.io.file.PathUtils;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code sluice bench ...}: each capability's benchmark, run on a scratch data dir (no daemon needed) and
 * printed as one JSON document, so figures can be compared between runs and machines.
 */
public final class BenchCommand extends Group {
    public BenchCommand() {
        super("bench", "Run a benchmark and print its figures as JSON.", "api", "ingest", "cli", "transfer", "files",
                "predict-start", "trigger", "train", "soak", "console", "sets");
        spec().addOption(builder("--scratch", "Where to keep the benchmark's data (default: a temp dir, deleted after).")
                .paramLabel("DIR").type(Path.class).scopeType(CommandLine.ScopeType.INHERIT).build());
    }

    @Override
    protected Cmd subcommand(String name) {
        switch (name) {
            case "api": return new Cmd("api", "POST /predict to a ready /result (latency and where it goes), the same right after a POST /train, and /result throughput.") {
                {
                    option("--requests", "N", int.class, "50", "POST /predict requests timed, and train-then-predict rounds (default 50 each).");
                    option("--load-seconds", "SECONDS", double.class, "10", "Seconds of /result load (default 10).");
                    option("--connections", "N", int.class, "8", "Concurrent connections of the load (default 8).");
                    option("--soak-seconds", "SECONDS", double.class, "0", "Then mixed /result + /predict load for this long, sampling heap.");
                }

                @Override
                protected void run() throws Exception {
                    int requests = value("--requests");
                    double loadSeconds = value("--load-seconds");
                    int connections = value("--connections");
                    double soakSeconds = value("--soak-seconds");
                    inScratch(dir -> new ApiBench().run(dir, stagePath(), new ApiBench.Options(requests, loadSeconds, connections, soakSeconds)));
                }
            };
            case "ingest": return new Cmd("ingest", "put/get throughput against sha256sum and cp, dedup and append storage, list latency.") {
                {
                    option("--store", "URI", "Also measure this store (e.g. s3://bucket/prefix) next to the local one.");
                    option("--file-mib", "N", long.class, "1024", "Size of the put/get file in MiB (default 1024).");
                    option("--commits", "N", int.class, "10000", "Commits for the list commit figure (default 10000).");
                    option("--files", "N", int.class, "100000", "Files for the list file figure (default 100000).");
                }

                @Override
                protected void run() throws Exception {
                    String store = value("--store");
                    long fileMib = value("--file-mib");
                    int commits = value("--commits");
                    int files = value("--files");
                    PfsBench bench = new PfsBench(new PfsBench.Sizes(fileMib << 20, 1L << 20, commits, files));
                    inScratch(dir -> {
                        Map<String, Object> figures = new LinkedHashMap<>();
                        try (ObjectStore local = ObjectStores.open(null, dir.resolve("local"))) {
                            figures.put("local", bench.run(dir.resolve("local"), local));
                        }
                        if (store != null) {
                            // The listing figures do not depend on where chunks live; keep that part small remotely.
                            PfsBench remoteBench = new PfsBench(new PfsBench.Sizes(fileMib << 20, 1L << 20, Math.min(commits, 100),
                                    Math.min(files, 1000)));
                            try (ObjectStore remote = ObjectStores.open(store, dir.resolve("remote"), main().env())) {
                                figures.put("store", remoteBench.run(dir.resolve("remote"), remote));
                            }
                        }
                        return figures;
                    });
                }
            };
            case "cli": return new Cmd("cli", "Start-up of client commands (./sluice processes) against a daemon, next to a bare JVM and curl.") {
                {
                    option("--runs", "N", int.class, "20", "Timed runs of each command (default 20).");
                    option("--before", "DIR", Path.class, null, "Also time the launcher of this other built checkout (an older build), run for run in turn with this one.");
                }

                @Override
                protected void run() throws Exception {
                    int runs = value("--runs");
                    Path before = value("--before");
                    inScratch(dir -> new CliBench(UpCommand.home(main())).startup(dir, runs, before));
                }
            };
            case "transfer": return new Cmd("transfer", "put file and get file of new random bytes through the CLI, next to curl on the same endpoint.") {
                {
                    option("--file-mib", "N", long.class, "1024", "File size in MiB (default 1024).");
                }

                @Override
                protected void run() throws Exception {
                    long fileMib = value("--file-mib");
                    inScratch(dir -> new CliBench(UpCommand.home(main())).transfer(dir, fileMib));
                }
            };
            case "files": return new Cmd("files", "put file -r of many 1-10 KiB files through the CLI into a daemon process, next to restic backup and git add + commit of the same tree.") {
                {
                    option("--files", "N", int.class, "100000", "Files in the big tree (default 100000).");
                    option("--max-bytes", "N", int.class, "0", "Files of 1 to N bytes (at most 10240) instead of 1-10 KiB.");
                    option("--per-dir", "N", int.class, "1000", "Files per directory (default 1000); the listing figure lists the first directory.");
                    option("--daemon-heap", "HEAP", String.class, "256m", "The daemon's -Xmx (default 256m).");
                    option("--before", "HOME", Path.class, null, "Also measure the build in this project checkout (its launcher and jars), first.");
                    flag("--no-others", "Skip restic and git.");
                    flag("--no-again", "Skip putting the N files a second time.");
                }

                @Override
                protected void run() throws Exception {
                    int files = value("--files");
                    String heap = value("--daemon-heap");
                    Path before = value("--before");
                    boolean noOthers = isSet("--no-others");
                    int maxBytes = value("--max-bytes");
                    int perDir = value("--per-dir");
                    if (maxBytes < 0 || perDir < 1 || files < 1) {
                        throw new Main.UsageError("--files and --per-dir must be at least 1, --max-bytes at least 0");
                    }
                    List<Path> homes = new java.util.ArrayList<>();
                    if (before != null) {
                        homes.add(before.toAbsolutePath().normalize());
                    }
                    homes.add(UpCommand.home(main()));
                    inScratch(dir -> new FilesBench(new FilesBench.Options(files, maxBytes, perDir, heap, homes, !noOthers,
                            !isSet("--no-again"))).run(dir));
                }
            };
            case "predict-start": return new Cmd("predict-start", "One predict datum (slot, JVM start, model load) with the predict launcher's class-data archive and with it off, in alternating jobs.") {
                {
                    option("--requests", "N", int.class, "20", "Datums (one-line request files) per job (default 20).");
                    option("--rounds", "N", int.class, "5", "Jobs of each kind, alternating; the median counts (default 5).");
                }

                @Override
                protected void run() throws Exception {
                    int requests = value("--requests");
                    int rounds = value("--rounds");
                    inScratch(dir -> PredictStartBench.run(dir, stagePath(), requests, rounds));
                }
            };
            case "trigger": return new Cmd("trigger", "finish commit -> job RUNNING -> output commit latency, and per-datum overhead.") {
                {
                    option("--commits", "N", int.class, "30", "Commits timed (default 30).");
                    option("--files", "N", int.class, "1000", "Small files for the per-datum figure (default 1000).");
                    option("--before", "HOME", Path.class, null, "Also run the build in this project checkout (its jars); both builds then run in JVMs of their own, in turn.");
                    option("--rounds", "N", int.class, "1", "With --before: rounds of both builds, the order swapped each round (default 1).");
                }

                @Override
                protected void run() throws Exception {
                    int commits = value("--commits");
                    int files = value("--files");
                    Path before = value("--before");
                    int rounds = value("--rounds");
                    if (before != null) {
                        inScratch(dir -> TriggerBench.beside(dir, before, UpCommand.home(main()), commits, files, rounds));
                        return;
                    }
                    inScratch(dir -> TriggerBench.run(dir.resolve("data"), commits, files));
                }
            };
            case "train": return new Cmd("train", "Full vs incremental training (ML-100K if ../shared/data has it, else generated), with a hand-written SGD reference.") {
                {
                    option("--data", "DIR", Path.class, null, "MovieLens 100K directory (default: ../shared/data/ml-100k if present).");
                }

                @Override
                protected void run() throws Exception {
                    Path data = value("--data");
                    Path dir = data != null ? data : TrainBenchmark.findMovieLens(UpCommand.home(main())).orElse(null);
                    inScratch(scratchDir -> TrainBenchmark.withDefaults().run(dir));
                }
            };
            case "soak": return new Cmd("soak", "SIGKILL a real daemon again and again under concurrent writes, pipeline changes and jobs; check every acknowledged write, fsck and one job per input commit after each restart.") {
                {
                    option("--kills", "N", int.class, "100", "How many kill -9 cycles to run.");
                    option("--seconds", "SECONDS", double.class, "3", "Mean seconds of load before each kill.");
                    option("--putters", "N", int.class, "2", "Concurrent clients putting and appending files.");
                    option("--pace-ms", "N", int.class, "250", "Pause of each client between requests.");
                }

                @Override
                protected void run() throws Exception {
                    int kills = value("--kills");
                    double seconds = value("--seconds");
                    int putters = value("--putters");
                    int paceMs = value("--pace-ms");
                    inScratch(dir -> new SoakBench().run(dir, new SoakBench.Options(kills, seconds, putters, paceMs)));
                }
            };
            case "console": return new Cmd("console", "First render of every web console page in headless Chromium, with a repo of 1,000 commits and 200 jobs, on a first and a repeat visit.") {
                {
                    option("--commits", "N", int.class, "1000", "Commits in the bench repo (default 1000).");
                    option("--jobs", "N", int.class, "200", "How many of them come after its pipeline, one job each (default 200).");
                    option("--rounds", "N", int.class, "3", "Loads of each page, each way; the median counts (default 3).");
                    option("--before", "HOME", Path.class, null, "Also measure the build in this project checkout (its jars), in turns with this one.");
                }

                @Override
                protected void run() throws Exception {
                    int commits = value("--commits");
                    int jobs = value("--jobs");
                    int rounds = value("--rounds");
                    Path before = value("--before");
                    inScratch(dir -> new ConsoleBench(UpCommand.home(main())).run(dir, new ConsoleBench.Options(commits, jobs, rounds, before)));
                }
            };
            case "sets": return new Cmd("sets", "Inspect commit set, list job <set>, repo@<set> and list commit latency over many commits across repos, and how soon wait commit answers.") {
                {
                    option("--repos", "N", int.class, "4", "Repos (default 4).");
                    option("--commits", "N", int.class, "300", "Commits in each repo (default 300).");
                    option("--jobs", "N", int.class, "20", "How many of the first repo's commits come after its pipeline, one job each (default 20).");
                    option("--rounds", "N", int.class, "20", "Timed rounds; the median counts (default 20).");
                    option("--before", "HOME", Path.class, null, "Also time the build in this project checkout (its jars), in turns with this one.");
                }

                @Override
                protected void run() throws Exception {
                    int repos = value("--repos");
                    int commits = value("--commits");
                    int jobs = value("--jobs");
                    int rounds = value("--rounds");
                    Path before = value("--before");
                    inScratch(dir -> new SetsBench(UpCommand.home(main())).run(dir, new SetsBench.Options(repos, commits, jobs, rounds, before)));
                }
            };
            default: throw new IllegalArgumentException(name);
        }
    }

    /** A benchmark body that gets a scratch dir and returns its figures. */
    @FunctionalInterface
    interface Body {
        Object run(Path dir) throws Exception;
    }

    void inScratch(Body body) throws Exception {
        Path scratch = value("--scratch");
        Path dir = scratch != null ? Files.createDirectories(scratch) : Files.createTempDirectory("sluice-bench-");
        try {
            Object figures = body.run(dir);
            Output.printJson(main().out(), Json.mapper().valueToTree(figures));
        } finally {
            if (scratch == null) {
                deleteQuietly(dir);
            }
        }
    }

    List<Path> stagePath() {
        Path home = UpCommand.home(main());
        return List.of(home.resolve("train-stage/bin"), home.resolve("predict-stage/bin"));
    }

    private static void deleteQuietly(Path dir) {
        try {
            PathUtils.deleteDirectory(dir);
        } catch (IOException ignored) {
            // a temp dir the OS cleans up anyway
        }
    }
}
