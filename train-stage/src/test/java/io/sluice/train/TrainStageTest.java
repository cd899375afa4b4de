package io.sluice.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TrainStageTest {

    static final RatingGenerator.Shape SMALL = new RatingGenerator.Shape(400, 600, 30_000, 5, 0.6, 7L);

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();

    private int train(Map<String, String> env, Path input, Path output, Path previous) {
        log.reset();
        return new TrainStage(env, new PrintStream(log, true, StandardCharsets.UTF_8)).run(new String[] {
                "--input", input.toString(), "--output", output.toString(), "--previous", previous.toString()});
    }

    private String log() {
        return log.toString(StandardCharsets.UTF_8);
    }

    /** Splits generated ratings 90/10 into a training directory and a test set. */
    private RatingSet[] split(RatingSet all, long seed) {
        int[] perm = RatingSet.permutation(all.size(), seed);
        int cut = all.size() / 10;
        return new RatingSet[] {all.select(java.util.Arrays.copyOfRange(perm, cut, perm.length)),
                all.select(java.util.Arrays.copyOf(perm, cut))};
    }

    @Test
    void trainedModelBeatsTheGlobalMeanClearlyOnHeldOutRatings() throws IOException {
        RatingSet[] parts = split(new RatingGenerator(SMALL).generate(), 3);
        RatingGenerator.write(parts[0], tmp.resolve("training/ratings.data"));

        int code = train(Map.of("training_COMMIT", "c0ffee"), tmp.resolve("training"), tmp.resolve("out"),
                tmp.resolve("prev"));

        assertThat(code).as(log()).isZero();
        SvdModel model = SvdModel.load(tmp.resolve("out"));
        double modelRmse = model.accuracy(parts[1]).rmse();
        double mean = parts[0].meanRating();
        double meanSe = 0;
        for (int j = 0; j < parts[1].size(); j++) {
            meanSe += Math.pow(parts[1].rating(j) - mean, 2);
        }
        double meanRmse = Math.sqrt(meanSe / parts[1].size());
        assertThat(modelRmse).isLessThan(meanRmse - 0.15);

        JsonNode metrics = new ObjectMapper().readTree(tmp.resolve("out/metrics.json").toFile());
        assertThat(metrics.get("mode").asText()).isEqualTo("full");
        assertThat(metrics.get("algorithm").asText()).isEqualTo(LibrecBiasedMf.ALGORITHM);
        assertThat(metrics.get("inputCommit").asText()).isEqualTo("c0ffee");
        assertThat(metrics.get("ratings").asInt()).isEqualTo(parts[0].size());
        assertThat(metrics.get("heldOut").asInt()).isBetween(parts[0].size() / 40, parts[0].size() / 10);
        assertThat(metrics.get("rmse").asDouble()).isBetween(0.3, meanRmse - 0.1);
        assertThat(metrics.get("hyperparameters").get("factors").asInt())
                .isEqualTo(Hyperparameters.DEFAULTS.factors());
        assertThat(model.metadata().trainedOn()).singleElement()
                .satisfies(f -> assertThat(f.path()).isEqualTo("ratings.data"));
    }

    @Test
    void sameDataAndSeedGiveTheSameModelAndAnotherSeedDoesNot() throws IOException {
        RatingGenerator.write(new RatingGenerator(SMALL.withRatings(5_000)).generate(), tmp.resolve("in/r.data"));
        Map<String, String> env = Map.of("SVD_EPOCHS", "10", "SVD_SEED", "5");
        assertThat(train(env, tmp.resolve("in"), tmp.resolve("a"), tmp.resolve("none"))).as(log()).isZero();
        assertThat(train(env, tmp.resolve("in"), tmp.resolve("b"), tmp.resolve("none"))).as(log()).isZero();
        assertThat(train(Map.of("SVD_EPOCHS", "10", "SVD_SEED", "6"), tmp.resolve("in"), tmp.resolve("c"),
                tmp.resolve("none"))).as(log()).isZero();

        assertThat(Files.readAllBytes(tmp.resolve("b/model.bin"))).isEqualTo(Files.readAllBytes(tmp.resolve("a/model.bin")));
        assertThat(Files.readAllBytes(tmp.resolve("c/model.bin"))).isNotEqualTo(Files.readAllBytes(tmp.resolve("a/model.bin")));
        assertThat(SvdModel.load(tmp.resolve("a")).metadata().hyperparameters().epochs()).isEqualTo(10);
    }

    @Test
    void incrementalTrainingOnNewFilesStaysCloseToAFullRetrain() throws IOException {
        RatingSet[] parts = split(new RatingGenerator(SMALL).generate(), 4);
        RatingSet train = parts[0];
        int cut = train.size() - train.size() / 100;
        RatingGenerator.write(train.select(java.util.stream.IntStream.range(0, cut).toArray()),
                tmp.resolve("training/old.data"));
        assertThat(train(Map.of(), tmp.resolve("training"), tmp.resolve("v1"), tmp.resolve("none")))
                .as(log()).isZero();
        RatingSet fresh = train.select(java.util.stream.IntStream.range(cut, train.size()).toArray());
        RatingGenerator.write(fresh, tmp.resolve("training/new.data"));

        assertThat(train(Map.of(), tmp.resolve("training"), tmp.resolve("v2"), tmp.resolve("v1"))).as(log()).isZero();
        assertThat(train(Map.of("TRAIN_MODE", "full"), tmp.resolve("training"), tmp.resolve("full"),
                tmp.resolve("v1"))).as(log()).isZero();

        JsonNode metrics = new ObjectMapper().readTree(tmp.resolve("v2/metrics.json").toFile());
        assertThat(metrics.get("mode").asText()).isEqualTo("incremental");
        assertThat(metrics.get("newRatings").asInt()).isBetween(fresh.size() * 8 / 10, fresh.size());
        assertThat(metrics.get("replayRatings").asInt()).isPositive();
        assertThat(new ObjectMapper().readTree(tmp.resolve("full/metrics.json").toFile()).get("mode").asText())
                .isEqualTo("full");
        SvdModel incremental = SvdModel.load(tmp.resolve("v2"));
        SvdModel full = SvdModel.load(tmp.resolve("full"));
        assertThat(incremental.metadata().algorithm()).isEqualTo(SgdBiasedMf.INCREMENTAL_ALGORITHM);
        assertThat(incremental.metadata().trainedOn()).extracting(TrainedFile::path)
                .containsExactly("new.data", "old.data");
        assertThat(incremental.accuracy(parts[1]).rmse()).isLessThan(full.accuracy(parts[1]).rmse() + 0.005);
        for (int j = 0; j < fresh.size(); j++) {
            assertThat(incremental.knowsUser(fresh.user(j))).isTrue();
        }

        // nothing new: the previous model is kept as it is
        assertThat(train(Map.of(), tmp.resolve("training"), tmp.resolve("v3"), tmp.resolve("v2"))).as(log()).isZero();
        assertThat(new ObjectMapper().readTree(tmp.resolve("v3/metrics.json").toFile()).get("mode").asText())
                .isEqualTo("unchanged");
        assertThat(Files.readAllBytes(tmp.resolve("v3/model.bin"))).isEqualTo(Files.readAllBytes(tmp.resolve("v2/model.bin")));

        // a file the model was trained on changed: it cannot be unlearnt, so training starts over
        Files.writeString(tmp.resolve("training/new.data"), "1 1 5 0\n");
        assertThat(train(Map.of(), tmp.resolve("training"), tmp.resolve("v4"), tmp.resolve("v3"))).as(log()).isZero();
        JsonNode v4 = new ObjectMapper().readTree(tmp.resolve("v4/metrics.json").toFile());
        assertThat(v4.get("mode").asText()).isEqualTo("full");
        assertThat(v4.get("reason").asText()).contains("new.data").contains("changed");
    }

    @Test
    void badInputExitsOneWithAMessageSayingWhatIsWrong() throws IOException {
        Files.createDirectories(tmp.resolve("empty"));
        assertThat(train(Map.of(), tmp.resolve("empty"), tmp.resolve("o1"), tmp.resolve("p"))).isEqualTo(1);
        assertThat(log()).contains("is empty: no rating file");

        assertThat(train(Map.of(), tmp.resolve("missing"), tmp.resolve("o1"), tmp.resolve("p"))).isEqualTo(1);
        assertThat(log()).contains("does not exist");

        Files.createDirectories(tmp.resolve("blank"));
        Files.writeString(tmp.resolve("blank/r.data"), "\n  \n# nothing\n");
        assertThat(train(Map.of(), tmp.resolve("blank"), tmp.resolve("o1"), tmp.resolve("p"))).isEqualTo(1);
        assertThat(log()).contains("rating file r.data has no rating line");

        assertThat(trainOn("1\t2\t3\t4\n5\t6\tNaN\t7\n", Map.of())).contains("r.data:2: rating 'NaN' is not a finite number");
        assertThat(trainOn("1 2 3 4\n1 x 3 4\n", Map.of())).contains("r.data:2: item id 'x' is not an integer");
        assertThat(trainOn("1 2 3 4 5\n", Map.of())).contains("r.data:1: expected 'user_id item_id rating [timestamp]' but found 5 fields");
        assertThat(trainOn("1 2 3 4\n1 3 7 4\n", Map.of("RATING_MIN", "1", "RATING_MAX", "5")))
                .contains("r.data:2: rating 7 is outside the allowed range [1.0, 5.0]");
        assertThat(trainOn("1 2 3 4\n", Map.of("SVD_FACTORS", "many"))).contains("SVD_FACTORS='many' is not an integer");
        assertThat(trainOn("1 2 3 4\n", Map.of("TRAIN_MODE", "sometimes"))).contains("TRAIN_MODE must be 'full' or 'incremental'");
        assertThat(Files.exists(tmp.resolve("o1"))).as("no output after a failure").isFalse();
    }

    private String trainOn(String content, Map<String, String> env) throws IOException {
        Path dir = Files.createTempDirectory(tmp, "in");
        Files.writeString(dir.resolve("r.data"), content);
        assertThat(train(new HashMap<>(env), dir, tmp.resolve("o1"), tmp.resolve("p"))).isEqualTo(1);
        return log();
    }
}
