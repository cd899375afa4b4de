package io.sluice.predict;

import io.sluice.train.RatingGenerator;
import io.sluice.train.SvdModel;
import io.sluice.train.TrainStage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Runs both launcher scripts as real processes, the way the local runner does, on generated data. */
class PredictStageIT {

    @TempDir
    Path tmp;

    record Result(int code, String stderr) {
    }

    private static Result run(Path cwd, List<String> command, String... env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.PIPE);
        for (int i = 0; i < env.length; i += 2) {
            pb.environment().put(env[i], env[i + 1]);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    @Test
    void trainThenPredictThroughTheLauncherScripts() throws Exception {
        Path predictBin = Path.of("bin/sluice-predict").toAbsolutePath();
        Path trainBin = Path.of("../train-stage/bin/sluice-train").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(Path.of("../train-stage/target/train-stage.jar")),
                "train-stage is not packaged (build with -am)");
        RatingGenerator.write(new RatingGenerator(new RatingGenerator.Shape(200, 300, 10_000, 4, 0.5, 9L))
                .generate(), tmp.resolve("pfs/training/ratings.data"));

        Result train = run(tmp, List.of(trainBin.toString(), "--input", "pfs/training", "--output", "pfs/train",
                "--previous", "pfs/prev"), "SVD_EPOCHS", "10", "RATING_MIN", "1", "RATING_MAX", "5",
                "training_COMMIT", "1234abcd");
        assertThat(train.code()).as(train.stderr()).isZero();
        assertThat(train.stderr()).contains("sluice-train: full model").doesNotContain("INFO");
        assertThat(Files.readString(tmp.resolve("pfs/train/metrics.json"))).contains("\"inputCommit\" : \"1234abcd\"");

        Files.createDirectories(tmp.resolve("pfs/streaming"));
        Files.writeString(tmp.resolve("pfs/streaming/request-1"), "17 42\n999999 3\n");
        Result predict = run(tmp, List.of(predictBin.toString(), "--requests", "pfs/streaming", "--model",
                "pfs/train", "--output", "pfs/out"));
        assertThat(predict.code()).as(predict.stderr()).isZero();
        SvdModel model = SvdModel.load(tmp.resolve("pfs/train"));
        assertThat(Files.readAllLines(tmp.resolve("pfs/out/request-1")))
                .containsExactly("17 42 " + model.predict(17, 42), "999999 3 " + model.predict(999999, 3));

        Files.writeString(tmp.resolve("pfs/training/bad.data"), "1 2 NaN 3\n");
        Result bad = run(tmp, List.of(trainBin.toString(), "--input", "pfs/training", "--output", "pfs/out2"));
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.stderr().strip()).isEqualTo("sluice-train: bad.data:1: rating 'NaN' is not a finite number");

        List<String> noModel = new ArrayList<>(List.of(predictBin.toString(), "--requests", "pfs/streaming",
                "--model", "pfs/nothing", "--output", "pfs/out3"));
        Result missing = run(tmp, noModel);
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.stderr()).startsWith("sluice-predict: no model in pfs/nothing");
    }

    @Test
    void thePackagedArchiveServesTheLauncherWhereverItsDirectoryIsSeen() throws Exception {
        Path target = Path.of("target").toAbsolutePath();
        assertThat(target.resolve("predict-stage.jsa")).as("mvn package records the archive").isRegularFile();
        // the same build under another path, as a datum's slot shows it (in the datum's own /tmp): a copy that keeps
        // the sizes and times the JVM checks the jars by
        Path seen = tmp.resolve("elsewhere/predict-stage");
        Files.createDirectories(seen.resolve("bin"));
        Files.createDirectories(seen.resolve("target/lib"));
        Files.copy(Path.of("bin/sluice-predict"), seen.resolve("bin/sluice-predict"), StandardCopyOption.COPY_ATTRIBUTES);
        for (String f : List.of("predict-stage.jar", "predict-stage.jsa")) {
            Files.copy(target.resolve(f), seen.resolve("target").resolve(f), StandardCopyOption.COPY_ATTRIBUTES);
        }
        try (Stream<Path> jars = Files.list(target.resolve("lib"))) {
            for (Path jar : jars.toList()) {
                Files.copy(jar, seen.resolve("target/lib").resolve(jar.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        RatingGenerator.write(new RatingGenerator(new RatingGenerator.Shape(50, 60, 2_000, 3, 0.5, 3L)).generate(),
                tmp.resolve("ratings/r.data"));
        new TrainStage(Map.of("SVD_EPOCHS", "2"), new PrintStream(OutputStream.nullOutputStream()))
                .train(tmp.resolve("ratings"), tmp.resolve("model"), tmp.resolve("none"));
        Files.createDirectories(tmp.resolve("requests"));
        Files.writeString(tmp.resolve("requests/r"), "1 2\n");

        // -Xshare:on: a JVM that cannot map the archive exits instead of starting cold
        Path classes = tmp.resolve("classes.log");
        Result run = run(tmp, List.of(seen.resolve("bin/sluice-predict").toString(), "--requests", "requests",
                "--model", "model", "--output", "out"), "SLUICE_JAVA_OPTS", "-Xshare:on -Xlog:class+load=info:file=" + classes);
        assertThat(run.code()).as(run.stderr()).isZero();
        assertThat(Files.readString(tmp.resolve("out/r"))).startsWith("1 2 ");
        assertThat(Files.readAllLines(classes)).anyMatch(l -> l.endsWith("io.sluice.predict.PredictStage source: shared objects file (top)"));
    }
}
