package io.sluice.api.bench;

import io.sluice.api.server.Daemon;
import io.sluice.api.server.DaemonConfig;
import io.sluice.pfs.FileBatch;
import io.sluice.pfs.PfsService;
import io.sluice.pps.JobInfo;
import io.sluice.pps.JobState;
import io.sluice.pps.PpsService;
import io.sluice.train.RatingGenerator;
import io.sluice.train.TrainStage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code sluice bench predict-start}: how long one predict datum takes (one request file against a demo-sized
 * model, run as the demo's predict pipeline runs: its slot, user code as nobody, JVM start, model load, commit)
 * with the launcher's class-data archive and with it off ({@code SLUICE_CDS=0}, what every datum got while only
 * a datum could write the archive), in alternating jobs of one daemon.
 */
public final class PredictStartBench {
    private static final String ARCHIVE = "predict-stage.jsa";

    private PredictStartBench() {
    }

    public static Map<String, Object> run(Path scratch, List<Path> jobPath, int requests, int rounds) throws Exception {
        Path archive = jobPath.stream().map(bin -> bin.resolveSibling("target").resolve(ARCHIVE)).filter(Files::isRegularFile)
                .findFirst().orElseThrow(() -> new IllegalStateException("no predict-stage/target/" + ARCHIVE
                        + ": build with mvn -o -q -pl predict-stage -am package -DskipTests"));
        Path model = scratch.resolve("model");
        RatingGenerator.write(new RatingGenerator(new RatingGenerator.Shape(300, 400, 20_000, 5, 0.6, 42L)).generate(),
                scratch.resolve("ratings/ratings.data"));
        new TrainStage(Map.of("SVD_EPOCHS", "10"), new PrintStream(OutputStream.nullOutputStream()))
                .train(scratch.resolve("ratings"), model, scratch.resolve("no-previous"));
        DaemonConfig config = new DaemonConfig(scratch.resolve("data"), null, "127.0.0.1", 0, jobPath);
        try (Daemon daemon = Daemon.open(config)) {
            load(daemon.pfs(), model, requests);
            Map<String, List<Double>> perDatum = new LinkedHashMap<>();
            perDatum.put("archiveOff", new ArrayList<>());
            perDatum.put("archiveOn", new ArrayList<>());
            for (int r = 1; r <= rounds; r++) {
                for (String variant : perDatum.keySet()) {
                    JobInfo job = runOnce(daemon.pps(), variant + "_" + r, variant.equals("archiveOn"));
                    perDatum.get(variant).add(round(Duration.between(job.started(), job.finished()).toNanos() / 1e6 / requests));
                }
            }
            double off = median(perDatum.get("archiveOff"));
            double on = median(perDatum.get("archiveOn"));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("benchmark", "predict-start");
            out.put("archive", archive.toString());
            out.put("datumsPerJob", requests);
            out.put("perDatumMillisByRound", perDatum);
            Map<String, Double> median = new LinkedHashMap<>();
            median.put("archiveOff", off);
            median.put("archiveOn", on);
            out.put("medianPerDatumMillis", median);
            out.put("onOverOff", round(on / off));
            return out;
        }
    }

    /** The model in repo train and {@code requests} one-line request files in repo streaming, as the demo has them. */
    private static void load(PfsService pfs, Path model, int requests) throws IOException {
        pfs.createRepo("train", "");
        pfs.createRepo("streaming", "");
        try (FileBatch b = pfs.openBatch("train", "master"); Stream<Path> files = Files.list(model)) {
            for (Path f : files.toList()) {
                try (InputStream in = Files.newInputStream(f)) {
                    b.put("/" + f.getFileName(), in, false);
                }
            }
            b.commit();
        }
        try (FileBatch b = pfs.openBatch("streaming", "master")) {
            for (int i = 1; i <= requests; i++) {
                b.put("/request-" + i, new ByteArrayInputStream((i + " " + (7 * i) + "\n").getBytes(StandardCharsets.UTF_8)), false);
            }
            b.commit();
        }
    }

    /**
     * One job of a fresh predict pipeline over every request, one datum at a time; with the archive, -Xshare:on makes
     * a datum whose JVM cannot map it fail, so the figure cannot silently be a cold start.
     */
    private static JobInfo runOnce(PpsService pps, String name, boolean archive) throws InterruptedException {
        String env = archive ? "{\"SLUICE_JAVA_OPTS\": \"-Xshare:on\"}" : "{\"SLUICE_CDS\": \"0\"}";
        pps.createPipeline("{\"pipeline\": {\"name\": \"" + name + "\"}, \"transform\": {\"cmd\": [\"sluice-predict\"], \"env\": "
                + env + "}, \"parallelism_spec\": {\"constant\": 1}, \"input\": {\"cross\": [{\"pfs\": {\"repo\": \"streaming\","
                + " \"glob\": \"/*\"}}, {\"pfs\": {\"repo\": \"train\", \"glob\": \"/\"}}]}}");
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (pps.listJob(name).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no job of " + name + " in 10 minutes");
            }
            Thread.sleep(20);
        }
        JobInfo job = pps.waitJob(pps.listJob(name).get(0).id(), Duration.ofMinutes(10));
        if (job.state() != JobState.JOB_SUCCESS) {
            throw new IllegalStateException(name + " ended " + job.state() + ": " + job.reason());
        }
        pps.deletePipeline(name);
        return job;
    }

    private static double median(List<Double> xs) {
        List<Double> sorted = xs.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : round((sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2);
    }

    private static double round(double x) {
        return Math.round(x * 100) / 100.0;
    }
}
