package io.sluice.train;

import io.sluice.SluiceException;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The train stage program: reads every rating file under its input ({@code /pfs/training}), trains the biased MF
 * model (fully with librec, or incrementally from the previous model at {@code /pfs/prev}) and writes the model and
 * {@code metrics.json} to its output ({@code /pfs/out}); a user mistake exits 1 with one line saying what is wrong.
 *
 * <p>Environment (a spec's {@code transform.env}): SVD_FACTORS, SVD_EPOCHS, SVD_LEARN_RATE, SVD_REG, SVD_SEED (see
 * {@link Hyperparameters}); TRAIN_MODE {@code full} or {@code incremental} (the default, which trains fully when
 * there is no usable previous model); HOLDOUT_FRACTION (default 0.05) of ratings held out for metrics, chosen by a
 * hash of (user, item, seed) so that the same ratings stay held out across runs; REPLAY_RATIO (default 100): at most
 * that many older ratings sharing a user or item with the new ones replayed per new rating, and INCREMENTAL_EPOCHS
 * (default 5), in incremental training (see {@link SgdBiasedMf#update}); RATING_MIN and
 * RATING_MAX (default unbounded) to reject out-of-range ratings; {@code <input name>_COMMIT}, set by the runner, is
 * recorded as the input commit.
 */
public final class TrainStage {

    public static final String METRICS_FILE = "metrics.json";
    /** Default cap of replayed older ratings per new rating (measured: see train-stage/README.md). */
    public static final double DEFAULT_REPLAY_RATIO = 100;
    /** Default epochs of an incremental update (measured: see train-stage/README.md). */
    public static final int DEFAULT_INCREMENTAL_EPOCHS = 5;

    /** The stage's settings, read from the environment. */
    public record Settings(Hyperparameters hyperparameters, String mode, double holdoutFraction, double replayRatio,
                           int incrementalEpochs, double ratingMin, double ratingMax) {

        public Settings {
            if (!mode.equals("full") && !mode.equals("incremental")) {
                throw SluiceException.invalid("TRAIN_MODE must be 'full' or 'incremental', got '" + mode + "'");
            }
            if (!(holdoutFraction >= 0 && holdoutFraction < 1)) {
                throw SluiceException.invalid("HOLDOUT_FRACTION must be in [0, 1), got " + holdoutFraction);
            }
            if (!(replayRatio >= 0)) {
                throw SluiceException.invalid("REPLAY_RATIO must be non-negative, got " + replayRatio);
            }
            if (incrementalEpochs < 1) {
                throw SluiceException.invalid("INCREMENTAL_EPOCHS must be at least 1, got " + incrementalEpochs);
            }
        }

        public static Settings fromEnv(Map<String, String> env) {
            Env e = new Env(env);
            Hyperparameters hp = Hyperparameters.fromEnv(env);
            return new Settings(hp, e.string("TRAIN_MODE", "incremental"), e.number("HOLDOUT_FRACTION", 0.05),
                    e.number("REPLAY_RATIO", DEFAULT_REPLAY_RATIO), e.integer("INCREMENTAL_EPOCHS", DEFAULT_INCREMENTAL_EPOCHS),
                    e.number("RATING_MIN", Double.NEGATIVE_INFINITY), e.number("RATING_MAX", Double.POSITIVE_INFINITY));
        }
    }

    /** What {@code metrics.json} holds. */
    public record Metrics(String mode, String reason, String algorithm, double rmse, double mae, int heldOut,
                          int ratings, int users, int items, int trainedRatings, int newRatings, int replayRatings,
                          int files, Hyperparameters hyperparameters, long seed, double holdoutFraction,
                          double seconds, String inputCommit) {
    }

    private final Map<String, String> env;
    private final PrintStream log;

    public TrainStage(Map<String, String> env, PrintStream log) {
        this.env = env;
        this.log = log;
    }

    public static void main(String[] args) {
        System.exit(new TrainStage(System.getenv(), System.err).run(args));
    }

    /** Runs the stage as its command line would and returns the exit code (0 success, 1 failure, reported). */
    public int run(String[] args) {
        try {
            StageArgs a = new StageArgs(args, Map.of("input", "/pfs/training", "output", "/pfs/out",
                    "previous", "/pfs/prev"));
            Metrics m = train(a.path("input"), a.path("output"), a.path("previous"));
            log.printf("sluice-train: %s model (%s) of %d ratings, %d users, %d items: held-out RMSE %.4f, MAE %.4f"
                            + " in %.2f s%n", m.mode(), m.reason(), m.ratings(), m.users(), m.items(), m.rmse(),
                    m.mae(), m.seconds());
            return 0;
        } catch (SluiceException e) {
            log.println("sluice-train: " + e.getMessage());
            return 1;
        } catch (UncheckedIOException e) {
            log.println("sluice-train: " + e.getMessage() + ": " + e.getCause().getMessage());
            return 1;
        }
    }

    /** Trains from {@code input} into {@code output}, continuing from {@code previous} when allowed and usable. */
    public Metrics train(Path input, Path output, Path previous) {
        long start = System.nanoTime();
        Settings s = Settings.fromEnv(env);
        Hyperparameters hp = s.hyperparameters();
        List<RatingReader.LoadedFile> files = new RatingReader(s.ratingMin(), s.ratingMax()).readAll(input);
        List<TrainedFile> trainedOn = files.stream().map(RatingReader.LoadedFile::file).toList();
        RatingSet all = RatingReader.concat(files);
        Holdout holdout = new Holdout(s.holdoutFraction(), hp.seed());
        RatingSet heldOut = all.filter(j -> holdout.test(all, j));

        SvdModel previousModel = null;
        String reason;
        if (s.mode().equals("full")) {
            reason = "TRAIN_MODE=full";
        } else if (!SvdModel.exists(previous)) {
            reason = "no previous model at " + previous;
        } else {
            previousModel = SvdModel.load(previous);
            reason = unusable(previousModel, hp, trainedOn);
            if (reason != null) {
                previousModel = null;
            }
        }

        SvdModel model;
        String mode;
        int newRatings;
        int replayRatings = 0;
        if (previousModel == null) {
            RatingSet train = all.filter(j -> !holdout.test(all, j));
            if (train.size() == 0) {
                throw SluiceException.invalid("every one of the " + all.size() + " ratings is held out for metrics;"
                        + " add ratings or lower HOLDOUT_FRACTION");
            }
            model = new LibrecBiasedMf(hp).train(train, trainedOn);
            mode = "full";
            newRatings = train.size();
        } else {
            Map<String, String> known = new HashMap<>();
            previousModel.metadata().trainedOn().forEach(f -> known.put(f.path(), f.sha256()));
            List<RatingReader.LoadedFile> fresh = new ArrayList<>();
            List<RatingReader.LoadedFile> old = new ArrayList<>();
            for (RatingReader.LoadedFile f : files) {
                (f.file().sha256().equals(known.get(f.file().path())) ? old : fresh).add(f);
            }
            RatingSet freshAll = RatingReader.concat(fresh);
            RatingSet freshTrain = freshAll.filter(j -> !holdout.test(freshAll, j));
            newRatings = freshTrain.size();
            if (newRatings == 0) {
                model = previousModel;
                mode = "unchanged";
                reason = "no new ratings since the previous model";
            } else {
                RatingSet oldAll = RatingReader.concat(old);
                SgdBiasedMf.Update update = new SgdBiasedMf(hp).update(previousModel, freshTrain,
                        oldAll.filter(j -> !holdout.test(oldAll, j)), s.replayRatio(), s.incrementalEpochs(),
                        previousModel.metadata().trainedRatings() + newRatings, trainedOn);
                model = update.model();
                replayRatings = update.replayed();
                mode = "incremental";
                reason = fresh.size() + " new file(s) on top of the previous model";
            }
        }
        SvdModel.Accuracy acc = model.accuracy(heldOut);
        String inputCommit = env.get(input.getFileName() == null ? "" : input.getFileName() + "_COMMIT");
        Metrics metrics = new Metrics(mode, reason, model.metadata().algorithm(), acc.rmse(), acc.mae(),
                heldOut.size(), all.size(), model.metadata().users(), model.metadata().items(),
                model.metadata().trainedRatings(), newRatings, replayRatings, files.size(), hp, hp.seed(),
                s.holdoutFraction(), (System.nanoTime() - start) / 1e9, inputCommit);
        model.save(output);
        try {
            SvdModel.writeAtomically(output.resolve(METRICS_FILE), SvdModel.Json.MAPPER.writeValueAsBytes(metrics));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + output.resolve(METRICS_FILE), e);
        }
        return metrics;
    }

    /** Why the previous model cannot be continued, or null when it can. */
    private static String unusable(SvdModel previous, Hyperparameters hp, List<TrainedFile> current) {
        if (previous.metadata().factors() != hp.factors()) {
            return "previous model has " + previous.metadata().factors() + " factors, SVD_FACTORS is "
                    + hp.factors();
        }
        Map<String, String> now = new HashMap<>();
        current.forEach(f -> now.put(f.path(), f.sha256()));
        for (TrainedFile f : previous.metadata().trainedOn()) {
            String sha = now.get(f.path());
            if (sha == null) {
                return "file " + f.path() + " the previous model was trained on was removed";
            }
            if (!sha.equals(f.sha256())) {
                return "file " + f.path() + " the previous model was trained on was changed";
            }
        }
        return null;
    }

    /** Chooses held-out ratings by a hash of (user, item, seed), stable across runs and incremental steps. */
    record Holdout(double fraction, long seed) {
        boolean test(RatingSet r, int j) {
            if (fraction == 0) {
                return false;
            }
            long h = mix(mix(r.user(j) ^ seed) + r.item(j));
            return (h >>> 11) * 0x1.0p-53 < fraction;
        }

        private static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
            return z ^ (z >>> 31);
        }
    }
}
