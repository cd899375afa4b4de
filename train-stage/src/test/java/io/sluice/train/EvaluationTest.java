package io.sluice.train;

import io.sluice.SluiceException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EvaluationTest {

    @TempDir
    Path tmp;

    @Test
    void everyAlgorithmRunsOnTheSameFoldsAndTheModelsRankAsExpected() {
        RatingSet data = new RatingGenerator(new RatingGenerator.Shape(150, 200, 6_000, 4, 0.5, 5L)).generate();
        RatingGenerator.write(data, tmp.resolve("r.data"));

        List<EvaluationResult> results = new Evaluation(Hyperparameters.DEFAULTS)
                .crossValidate(tmp.resolve("r.data"), 3, Evaluation.ALGORITHMS, 1L);

        assertThat(results).extracting(EvaluationResult::algorithm).containsExactlyElementsOf(Evaluation.ALGORITHMS);
        Map<String, Double> rmse = results.stream()
                .collect(Collectors.toMap(EvaluationResult::algorithm, EvaluationResult::rmse));
        results.forEach(r -> {
            assertThat(r.rmse()).as(r.algorithm()).isBetween(0.3, 2.5);
            assertThat(r.mae()).as(r.algorithm()).isBetween(0.2, r.rmse());
            assertThat(r.seconds()).as(r.algorithm()).isPositive();
        });
        assertThat(rmse.get("svd")).isLessThan(rmse.get("baseline"));
        assertThat(rmse.get("baseline")).isLessThan(rmse.get("globalaverage") - 0.05);
        assertThat(rmse.get("globalaverage")).isLessThan(rmse.get("random"));
    }

    @Test
    void foldsPartitionTheRatings() {
        RatingSet data = new RatingGenerator(new RatingGenerator.Shape(50, 60, 1_000, 2, 0.5, 5L)).generate();
        List<Evaluation.Split> folds = Evaluation.folds(data, 5, 9L);
        assertThat(folds).hasSize(5).allSatisfy(f -> {
            assertThat(f.test().size()).isEqualTo(200);
            assertThat(f.train().size()).isEqualTo(800);
        });
        assertThat(Evaluation.folds(data, 5, 9L).get(2).test().user(7)).isEqualTo(folds.get(2).test().user(7));
    }

    @Test
    void rejectsUnknownAlgorithmsAndBadFoldCounts() {
        RatingSet data = new RatingGenerator(new RatingGenerator.Shape(50, 60, 1_000, 2, 0.5, 5L)).generate();
        assertThatThrownBy(() -> new Evaluation(Hyperparameters.DEFAULTS)
                .evaluate(Evaluation.folds(data, 2, 1L), List.of("svd", "deepnet"), 1L))
                .isInstanceOf(SluiceException.class).hasMessageContaining("unknown algorithm 'deepnet'");
        assertThatThrownBy(() -> Evaluation.folds(data, 1, 1L)).hasMessageContaining("folds must be at least 2");
    }
}
