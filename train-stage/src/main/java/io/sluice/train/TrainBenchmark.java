package io.sluice.train;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * The {@code sluice bench train} measurement: on MovieLens 100K (or generated data of its shape when absent), 10% of
 * the ratings are held out, the newest 1% of the rest are "new"; a model trained on the older 99% is then updated
 * incrementally with the new ratings and compared, in seconds and held-out RMSE, with a full librec retrain and with
 * a full retrain by the hand-written SGD loop (the speed reference), all in one run.
 */
public final class TrainBenchmark {

    /** One training measured: what trained, how long it took, how well it predicts the held-out ratings. */
    public record Run(String algorithm, double seconds, double rmse, double mae, int trainedRatings) {
    }

    /** The benchmark's JSON result. */
    public record Report(String data, int ratings, int testRatings, int newRatings, int replayRatings,
                         Hyperparameters hyperparameters, int incrementalEpochs, Run previousModel, Run fullRetrain,
                         Run incremental, Run sgdReference, double incrementalRmseMinusFull,
                         double incrementalSecondsOverFull) {
    }

    private final Hyperparameters hp;
    private final double replayRatio;
    private final int incrementalEpochs;

    /** Measures with the stage's hyperparameters and incremental settings. */
    public TrainBenchmark(Hyperparameters hp, double replayRatio, int incrementalEpochs) {
        this.hp = hp;
        this.replayRatio = replayRatio;
        this.incrementalEpochs = incrementalEpochs;
    }

    /** The stage's defaults (see {@link TrainStage.Settings}). */
    public static TrainBenchmark withDefaults() {
        return new TrainBenchmark(Hyperparameters.DEFAULTS, TrainStage.DEFAULT_REPLAY_RATIO,
                TrainStage.DEFAULT_INCREMENTAL_EPOCHS);
    }

    /**
     * The MovieLens 100K directory ({@code shared/data/ml-100k}, the layout this project is developed in) found in
     * {@code start} or its nearest ancestor, if any: the data set may not be redistributed, so it is never bundled.
     */
    public static Optional<Path> findMovieLens(Path start) {
        for (Path p = start.toAbsolutePath().normalize(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared/data/ml-100k");
            if (Files.isRegularFile(candidate.resolve("u.data"))) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Runs on {@code movielensDir}/u.data when that file exists, otherwise on generated data. */
    public Report run(Path movielensDir) {
        Path udata = movielensDir == null ? null : movielensDir.resolve("u.data");
        if (udata != null && Files.isRegularFile(udata)) {
            return run(udata.toString(), RatingReader.unbounded().readRatings(udata));
        }
        return run("generated (MovieLens 100K shape, seed " + RatingGenerator.Shape.MOVIELENS_100K.seed() + ")",
                new RatingGenerator(RatingGenerator.Shape.MOVIELENS_100K).generate());
    }

    /** Runs on the given ratings. */
    public Report run(String name, RatingSet all) {
        int[] perm = RatingSet.permutation(all.size(), hp.seed());
        int testSize = all.size() / 10;
        RatingSet test = all.select(java.util.Arrays.copyOf(perm, testSize));
        int[] rest = java.util.Arrays.copyOfRange(perm, testSize, perm.length);
        RatingSet base = all.select(rest);
        int[] byTime = IntStream.range(0, base.size()).boxed()
                .sorted(Comparator.comparingLong(base::timestamp).thenComparingInt(j -> j))
                .mapToInt(j -> j).toArray();
        int newCount = Math.max(1, base.size() / 100);
        RatingSet old = base.select(java.util.Arrays.copyOf(byTime, byTime.length - newCount));
        RatingSet fresh = base.select(java.util.Arrays.copyOfRange(byTime, byTime.length - newCount, byTime.length));

        long t0 = System.nanoTime();
        SvdModel previous = new LibrecBiasedMf(hp).train(old, List.of());
        Run previousRun = run(previous, t0, test, old.size());

        t0 = System.nanoTime();
        SvdModel full = new LibrecBiasedMf(hp).train(base, List.of());
        Run fullRun = run(full, t0, test, base.size());

        t0 = System.nanoTime();
        SgdBiasedMf.Update update = new SgdBiasedMf(hp).update(previous, fresh, old, replayRatio, incrementalEpochs,
                base.size(), List.of());
        Run incrementalRun = run(update.model(), t0, test, base.size());

        t0 = System.nanoTime();
        SvdModel sgd = new SgdBiasedMf(hp).train(base, List.of());
        Run sgdRun = run(sgd, t0, test, base.size());

        return new Report(name, all.size(), test.size(), fresh.size(), update.replayed(), hp, incrementalEpochs,
                previousRun, fullRun, incrementalRun, sgdRun, incrementalRun.rmse() - fullRun.rmse(),
                incrementalRun.seconds() / fullRun.seconds());
    }

    private static Run run(SvdModel model, long startNanos, RatingSet test, int trained) {
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        SvdModel.Accuracy a = model.accuracy(test);
        return new Run(model.metadata().algorithm(), seconds, a.rmse(), a.mae(), trained);
    }
}
