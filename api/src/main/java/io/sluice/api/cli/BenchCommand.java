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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

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
@Command(name = "bench", description = "Run a benchmark and print its figures as JSON.")
public final class BenchCommand {
    @ParentCommand
    Main main;

    @Option(names = "--scratch", paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT, description = "Where to keep the benchmark's data (default: a temp dir, deleted after).")
    Path scratch;

    @Command(name = "api", description = "POST /predict to a ready /result (latency and where it goes), the same right after a POST /train, and /result throughput.")
    void api(@Option(names = "--requests", defaultValue = "50", description = "POST /predict requests timed, and train-then-predict rounds (default 50 each).") int requests,
             @Option(names = "--load-seconds", defaultValue = "10", description = "Seconds of /result load (default 10).") double loadSeconds,
             @Option(names = "--connections", defaultValue = "8", description = "Concurrent connections of the load (default 8).") int connections,
             @Option(names = "--soak-seconds", defaultValue = "0", description = "Then mixed /result + /predict load for this long, sampling heap.") double soakSeconds) throws Exception {
        inScratch(dir -> new ApiBench().run(dir, stagePath(), new ApiBench.Options(requests, loadSeconds, connections, soakSeconds)));
    }

    @Command(name = "ingest", description = "put/get throughput against sha256sum and cp, dedup and append storage, list latency.")
    void ingest(@Option(names = "--store", paramLabel = "URI", description = "Also measure this store (e.g. s3://bucket/prefix) next to the local one.") String store,
                @Option(names = "--file-mib", defaultValue = "1024", description = "Size of the put/get file in MiB (default 1024).") long fileMib,
                @Option(names = "--commits", defaultValue = "10000", description = "Commits for the list commit figure (default 10000).") int commits,
                @Option(names = "--files", defaultValue = "100000", description = "Files for the list file figure (default 100000).") int files) throws Exception {
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
                try (ObjectStore remote = ObjectStores.open(store, dir.resolve("remote"), main.env())) {
                    figures.put("store", remoteBench.run(dir.resolve("remote"), remote));
                }
            }
            return figures;
        });
    }

    @Command(name = "cli", description = "Start-up of client commands (./sluice processes) against a daemon, next to a bare JVM and curl.")
    void cli(@Option(names = "--runs", defaultValue = "20", description = "Timed runs of each command (default 20).") int runs,
             @Option(names = "--before", paramLabel = "DIR", description = "Also time the launcher of this other built checkout (an older build), run for run in turn with this one.") Path before)
            throws Exception {
        inScratch(dir -> new CliBench(UpCommand.home(main)).startup(dir, runs, before));
    }

    @Command(name = "transfer", description = "put file and get file of new random bytes through the CLI, next to curl on the same endpoint.")
    void transfer(@Option(names = "--file-mib", defaultValue = "1024", description = "File size in MiB (default 1024).") long fileMib)
            throws Exception {
        inScratch(dir -> new CliBench(UpCommand.home(main)).transfer(dir, fileMib));
    }

    @Command(name = "files", description = "put file -r of many 1-10 KiB files through the CLI into a daemon process, next to restic backup and git add + commit of the same tree.")
    void files(@Option(names = "--files", defaultValue = "100000", description = "Files in the big tree (default 100000).") int files,
               @Option(names = "--daemon-heap", defaultValue = "256m", description = "The daemon's -Xmx (default 256m).") String heap,
               @Option(names = "--before", paramLabel = "HOME", description = "Also measure the build in this project checkout (its launcher and jars), first.") Path before,
               @Option(names = "--no-others", description = "Skip restic and git.") boolean noOthers) throws Exception {
        List<Path> homes = new java.util.ArrayList<>();
        if (before != null) {
            homes.add(before.toAbsolutePath().normalize());
        }
        homes.add(UpCommand.home(main));
        inScratch(dir -> new FilesBench(new FilesBench.Options(files, heap, homes, !noOthers)).run(dir));
    }

    @Command(name = "predict-start", description = "One predict datum (slot, JVM start, model load) with the predict launcher's class-data archive and with it off, in alternating jobs.")
    void predictStart(@Option(names = "--requests", defaultValue = "20", description = "Datums (one-line request files) per job (default 20).") int requests,
                      @Option(names = "--rounds", defaultValue = "5", description = "Jobs of each kind, alternating; the median counts (default 5).") int rounds) throws Exception {
        inScratch(dir -> PredictStartBench.run(dir, stagePath(), requests, rounds));
    }

    @Command(name = "trigger", description = "finish commit -> job RUNNING -> output commit latency, and per-datum overhead.")
    void trigger(@Option(names = "--commits", defaultValue = "30", description = "Commits timed (default 30).") int commits,
                 @Option(names = "--files", defaultValue = "1000", description = "Small files for the per-datum figure (default 1000).") int files,
                 @Option(names = "--before", paramLabel = "HOME", description = "Also run the build in this project checkout (its jars); both builds then run in JVMs of their own, in turn.") Path before,
                 @Option(names = "--rounds", defaultValue = "1", description = "With --before: rounds of both builds, the order swapped each round (default 1).") int rounds) throws Exception {
        if (before != null) {
            inScratch(dir -> TriggerBench.beside(dir, before, UpCommand.home(main), commits, files, rounds));
            return;
        }
        inScratch(dir -> TriggerBench.run(dir.resolve("data"), commits, files));
    }

    @Command(name = "train", description = "Full vs incremental training (ML-100K if ../shared/data has it, else generated), with a hand-written SGD reference.")
    void train(@Option(names = "--data", paramLabel = "DIR", description = "MovieLens 100K directory (default: ../shared/data/ml-100k if present).") Path data) throws Exception {
        Path dir = data != null ? data : TrainBenchmark.findMovieLens(UpCommand.home(main)).orElse(null);
        inScratch(scratchDir -> TrainBenchmark.withDefaults().run(dir));
    }

    @Command(name = "soak", description = "SIGKILL a real daemon again and again under concurrent writes, pipeline changes and jobs; check every acknowledged write, fsck and one job per input commit after each restart.")
    void soak(@Option(names = "--kills", defaultValue = "100", description = "How many kill -9 cycles to run.") int kills,
              @Option(names = "--seconds", defaultValue = "3", description = "Mean seconds of load before each kill.") double seconds,
              @Option(names = "--putters", defaultValue = "2", description = "Concurrent clients putting and appending files.") int putters,
              @Option(names = "--pace-ms", defaultValue = "250", description = "Pause of each client between requests.") int paceMs) throws Exception {
        inScratch(dir -> new SoakBench().run(dir, new SoakBench.Options(kills, seconds, putters, paceMs)));
    }

    @Command(name = "console", description = "First render of every web console page in headless Chromium, with a repo of 1,000 commits and 200 jobs, on a first and a repeat visit.")
    void console(@Option(names = "--commits", defaultValue = "1000", description = "Commits in the bench repo (default 1000).") int commits,
                 @Option(names = "--jobs", defaultValue = "200", description = "How many of them come after its pipeline, one job each (default 200).") int jobs,
                 @Option(names = "--rounds", defaultValue = "3", description = "Loads of each page, each way; the median counts (default 3).") int rounds,
                 @Option(names = "--before", paramLabel = "HOME", description = "Also measure the build in this project checkout (its jars), in turns with this one.") Path before) throws Exception {
        inScratch(dir -> new ConsoleBench(UpCommand.home(main)).run(dir, new ConsoleBench.Options(commits, jobs, rounds, before)));
    }

    @Command(name = "sets", description = "Inspect commit set, list job <set>, repo@<set> and list commit latency over many commits across repos, and how soon wait commit answers.")
    void sets(@Option(names = "--repos", defaultValue = "4", description = "Repos (default 4).") int repos,
              @Option(names = "--commits", defaultValue = "300", description = "Commits in each repo (default 300).") int commits,
              @Option(names = "--jobs", defaultValue = "20", description = "How many of the first repo's commits come after its pipeline, one job each (default 20).") int jobs,
              @Option(names = "--rounds", defaultValue = "20", description = "Timed rounds; the median counts (default 20).") int rounds,
              @Option(names = "--before", paramLabel = "HOME", description = "Also time the build in this project checkout (its jars), in turns with this one.") Path before) throws Exception {
        inScratch(dir -> new SetsBench(UpCommand.home(main)).run(dir, new SetsBench.Options(repos, commits, jobs, rounds, before)));
    }

    /** A benchmark body that gets a scratch dir and returns its figures. */
    @FunctionalInterface
    interface Body {
        Object run(Path dir) throws Exception;
    }

    void inScratch(Body body) throws Exception {
        Path dir = scratch != null ? Files.createDirectories(scratch) : Files.createTempDirectory("sluice-bench-");
        try {
            Object figures = body.run(dir);
            Output.printJson(main.out(), Json.mapper().valueToTree(figures));
        } finally {
            if (scratch == null) {
                deleteQuietly(dir);
            }
        }
    }

    List<Path> stagePath() {
        Path home = UpCommand.home(main);
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
