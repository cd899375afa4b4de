package io.sluice.train;

import io.sluice.SluiceException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SvdModelTest {

    @TempDir
    Path tmp;

    private final RatingSet ratings = new RatingGenerator(new RatingGenerator.Shape(80, 120, 3_000, 3, 0.5, 11L))
            .generate();

    private SvdModel trained() {
        return new LibrecBiasedMf(new Hyperparameters(8, 15, 0.01, 0.05, 3L)).train(ratings,
                List.of(new TrainedFile("a.data", "ab12", ratings.size())));
    }

    @Test
    void roundTripsThroughItsFilesWithIdenticalPredictions() {
        SvdModel model = trained();
        model.save(tmp.resolve("m"));
        SvdModel loaded = SvdModel.load(tmp.resolve("m"));

        assertThat(loaded.metadata()).usingRecursiveComparison().ignoringFields("binarySha256")
                .isEqualTo(model.metadata());
        assertThat(loaded.metadata().binarySha256()).hasSize(64);
        for (long u = 0; u <= 82; u++) {
            for (long i = 0; i <= 122; i++) {
                assertThat(loaded.predict(u, i)).isEqualTo(model.predict(u, i));
            }
        }
        assertThat(tmp.resolve("m")).isDirectoryContaining("glob:**/model.json")
                .isDirectoryContaining("glob:**/model.bin");
        assertThat(tmp.resolve("m").toFile().list()).containsExactlyInAnyOrder("model.json", "model.bin");
    }

    @Test
    void unknownUsersAndItemsGetTheBaselineAndPredictionsStayInTheRatingRange() {
        SvdModel model = trained();
        double mu = model.metadata().globalMean();
        long user = ratings.user(0);
        long item = ratings.item(0);
        int u = model.userIndexOf(user);
        int i = model.itemIndexOf(item);

        assertThat(model.predict(-5, -6)).isEqualTo(mu);
        assertThat(model.predict(user, -6)).isEqualTo(model.clamp(mu + model.userBias[u]));
        assertThat(model.predict(-5, item)).isEqualTo(model.clamp(mu + model.itemBias[i]));
        for (int j = 0; j < ratings.size(); j++) {
            assertThat(model.predict(ratings.user(j), ratings.item(j))).isBetween(1.0, 5.0);
        }
    }

    @Test
    void aCorruptOrMissingModelIsAClearError() throws IOException {
        assertThatThrownBy(() -> SvdModel.load(tmp.resolve("nothing")))
                .isInstanceOf(SluiceException.class).hasMessageContaining("no model in");
        trained().save(tmp.resolve("m"));
        byte[] bin = Files.readAllBytes(tmp.resolve("m/model.bin"));
        bin[100] ^= 1;
        Files.write(tmp.resolve("m/model.bin"), bin);
        assertThatThrownBy(() -> SvdModel.load(tmp.resolve("m")))
                .isInstanceOf(SluiceException.class).hasMessageContaining("is corrupt");
    }
}
