package io.sluice.predict;

import io.sluice.train.RatingGenerator;
import io.sluice.train.SvdModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

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
}
