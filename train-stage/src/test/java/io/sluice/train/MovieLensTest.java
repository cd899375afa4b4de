package io.sluice.train;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The issue's accuracy figures on MovieLens 100K; skipped when the data set is not on this machine. */
class MovieLensTest {

    private Path ml;

    @BeforeEach
    void requireData() {
        ml = TrainBenchmark.findMovieLens(Path.of("")).orElse(null);
        assumeTrue(ml != null, "MovieLens 100K (shared/data/ml-100k) not found above " + Path.of("").toAbsolutePath());
    }

    @Test
    void svdReachesTheIssuesRmseOnU1AndOnFiveFolds() {
        Evaluation evaluation = new Evaluation(Hyperparameters.DEFAULTS);
        EvaluationResult u1 = evaluation.trainTest(ml.resolve("u1.base"), ml.resolve("u1.test"), List.of("svd"), 1L)
                .get(0);
        assertThat(u1.rmse()).isLessThanOrEqualTo(0.955);

        EvaluationResult cv = evaluation.crossValidate(ml.resolve("u.data"), 5, List.of("svd"), 1L).get(0);
        assertThat(cv.rmse()).isLessThanOrEqualTo(0.935);
    }

    @Test
    void incrementalUpdateWithOnePercentNewRatingsIsWithinHalfAHundredthOfAFullRetrain() {
        TrainBenchmark.Report report = TrainBenchmark.withDefaults().run(ml);
        assertThat(report.data()).endsWith("u.data");
        assertThat(report.newRatings()).isEqualTo(900);
        assertThat(report.incrementalRmseMinusFull()).isLessThanOrEqualTo(0.005);
    }
}
