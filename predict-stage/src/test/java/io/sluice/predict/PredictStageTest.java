package io.sluice.predict;

import io.sluice.train.Hyperparameters;
import io.sluice.train.RatingGenerator;
import io.sluice.train.RatingSet;
import io.sluice.train.SgdBiasedMf;
import io.sluice.train.SvdModel;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PredictStageTest {

    @TempDir
    Path tmp;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private SvdModel model;

    @BeforeEach
    void trainModel() {
        RatingSet ratings = new RatingGenerator(new RatingGenerator.Shape(60, 90, 2_000, 3, 0.5, 2L)).generate();
        model = new SgdBiasedMf(new Hyperparameters(6, 10, 0.01, 0.05, 1L)).train(ratings, List.of());
        model.save(tmp.resolve("train"));
    }

    private int predict(Path requests, Path modelDir) {
        log.reset();
        return new PredictStage(new PrintStream(log, true, StandardCharsets.UTF_8)).run(new String[] {
                "--requests", requests.toString(), "--model", modelDir.toString(), "--output",
                tmp.resolve("out").toString()});
    }

    @Test
    void writesOneRatedLinePerRequestInOrderUnderTheSameName() throws IOException {
        Files.createDirectories(tmp.resolve("streaming/sub"));
        Files.writeString(tmp.resolve("streaming/req-1"), "5 7\n\n3\t12\n777 7\n5 888\n");
        Files.writeString(tmp.resolve("streaming/sub/req-2"), "# comment\n1 1\n");

        assertThat(predict(tmp.resolve("streaming"), tmp.resolve("train"))).as(log.toString()).isZero();

        assertThat(Files.readAllLines(tmp.resolve("out/req-1"))).containsExactly(
                "5 7 " + model.predict(5, 7),
                "3 12 " + model.predict(3, 12),
                "777 7 " + model.predict(777, 7),
                "5 888 " + model.predict(5, 888));
        assertThat(Files.readAllLines(tmp.resolve("out/sub/req-2"))).containsExactly("1 1 " + model.predict(1, 1));
        assertThat(model.knowsUser(777)).isFalse();
        assertThat(model.predict(777, 888)).isEqualTo(model.metadata().globalMean());
        assertThat(Files.readAllLines(tmp.resolve("out/req-1")).get(0))
                .matches("5 7 " + Double.toString(model.predict(5, 7)).replace(".", "\\."));
    }

    @Test
    void aMalformedLineFailsNamingFileAndLineAndWritesNothing() throws IOException {
        Files.createDirectories(tmp.resolve("streaming"));
        Files.writeString(tmp.resolve("streaming/a"), "1 2\n");
        Files.writeString(tmp.resolve("streaming/b"), "1 2\n3 four\n");

        assertThat(predict(tmp.resolve("streaming"), tmp.resolve("train"))).isEqualTo(1);
        assertThat(log.toString()).contains("b:2: movie id 'four' is not an integer");
        assertThat(tmp.resolve("out")).doesNotExist();

        Files.writeString(tmp.resolve("streaming/b"), "1 2 3\n");
        assertThat(predict(tmp.resolve("streaming"), tmp.resolve("train"))).isEqualTo(1);
        assertThat(log.toString()).contains("b:1: expected 'user_id movie_id' but found 3 fields");
    }

    @Test
    void aMissingModelIsAClearError() throws IOException {
        Files.createDirectories(tmp.resolve("streaming"));
        Files.writeString(tmp.resolve("streaming/a"), "1 2\n");

        assertThat(predict(tmp.resolve("streaming"), tmp.resolve("no-model"))).isEqualTo(1);
        assertThat(log.toString()).contains("no model in").contains("model.json");
        assertThat(tmp.resolve("out")).doesNotExist();
    }
}
