package io.sluice.train;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class TrainBenchmarkTest {

    @Test
    void fallsBackToGeneratedDataAndMeasuresEveryTraining() {
        TrainBenchmark.Report r = TrainBenchmark.withDefaults().run(Path.of("does-not-exist"));

        assertThat(r.data()).startsWith("generated");
        assertThat(r.ratings()).isEqualTo(100_000);
        assertThat(r.testRatings()).isEqualTo(10_000);
        assertThat(r.newRatings()).isEqualTo(900);
        assertThat(r.fullRetrain().algorithm()).isEqualTo(LibrecBiasedMf.ALGORITHM);
        assertThat(r.incremental().algorithm()).isEqualTo(SgdBiasedMf.INCREMENTAL_ALGORITHM);
        assertThat(r.sgdReference().algorithm()).isEqualTo(SgdBiasedMf.ALGORITHM);
        for (TrainBenchmark.Run run : new TrainBenchmark.Run[] {r.previousModel(), r.fullRetrain(), r.incremental(),
                r.sgdReference()}) {
            assertThat(run.seconds()).isPositive();
            assertThat(run.rmse()).isBetween(0.5, 1.0);
        }
        assertThat(r.incrementalRmseMinusFull()).isLessThanOrEqualTo(0.005);
    }
}
