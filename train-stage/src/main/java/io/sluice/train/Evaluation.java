package io.sluice.train;

import io.sluice.SluiceException;
import net.librec.common.LibrecException;
import net.librec.conf.Configuration;
import net.librec.eval.rating.MAEEvaluator;
import net.librec.eval.rating.RMSEEvaluator;
import net.librec.math.algorithm.Randoms;
import net.librec.recommender.AbstractRecommender;
import net.librec.recommender.RecommenderContext;
import net.librec.recommender.baseline.GlobalAverageRecommender;
import net.librec.recommender.baseline.RandomGuessRecommender;
import net.librec.recommender.cf.ItemKNNRecommender;
import net.librec.recommender.cf.UserKNNRecommender;
import net.librec.recommender.cf.rating.NMFRecommender;
import net.librec.recommender.cf.rating.SVDPlusPlusRecommender;
import net.librec.recommender.ext.SlopeOneRecommender;
import net.librec.similarity.PCCSimilarity;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Model selection: compares rating-prediction algorithms on the same k folds (or one given train/test pair) of a
 * rating file, reporting mean RMSE and MAE per algorithm; {@code svd} is exactly the train stage's model.
 */
public final class Evaluation {

    /** Every algorithm this class can evaluate, in the order the original project compared them. */
    public static final List<String> ALGORITHMS = List.of("svd", "svdpp", "nmf", "slopeone", "itemknn", "userknn",
            "baseline", "globalaverage", "random");

    /** One train/test pair. */
    public record Split(RatingSet train, RatingSet test) {
    }

    private final Hyperparameters svd;
    /** Held so that the level set in the constructor is not lost when the logger is garbage-collected. */
    private final java.util.logging.Logger librecLog = java.util.logging.Logger.getLogger("net.librec");

    /** Evaluates {@code svd} with these hyperparameters (usually {@link Hyperparameters#DEFAULTS}). */
    public Evaluation(Hyperparameters svd) {
        this.svd = svd;
        librecLog.setLevel(java.util.logging.Level.WARNING);
    }

    /** K-fold cross-validation on one rating file (or directory of rating files), folds drawn with the seed. */
    public List<EvaluationResult> crossValidate(Path data, int folds, List<String> algorithms, long seed) {
        return evaluate(folds(RatingReader.unbounded().readRatings(data), folds, seed), algorithms, seed);
    }

    /** One evaluation on a given train file and test file. */
    public List<EvaluationResult> trainTest(Path train, Path test, List<String> algorithms, long seed) {
        RatingReader reader = RatingReader.unbounded();
        return evaluate(List.of(new Split(reader.readRatings(train), reader.readRatings(test))), algorithms, seed);
    }

    /** The k folds of the ratings: fold f tests the ratings at positions p with perm(p) % k == f. */
    public static List<Split> folds(RatingSet ratings, int k, long seed) {
        if (k < 2) {
            throw SluiceException.invalid("folds must be at least 2, got " + k);
        }
        if (k > ratings.size()) {
            throw SluiceException.invalid("cannot make " + k + " folds of " + ratings.size() + " ratings");
        }
        int[] perm = RatingSet.permutation(ratings.size(), seed);
        int[] foldOf = new int[ratings.size()];
        for (int p = 0; p < perm.length; p++) {
            foldOf[perm[p]] = p % k;
        }
        List<Split> splits = new ArrayList<>();
        for (int f = 0; f < k; f++) {
            int fold = f;
            splits.add(new Split(ratings.filter(j -> foldOf[j] != fold), ratings.filter(j -> foldOf[j] == fold)));
        }
        return splits;
    }

    /** Evaluates each algorithm on every split, in the order given. */
    public List<EvaluationResult> evaluate(List<Split> splits, List<String> algorithms, long seed) {
        List<String> names = algorithms == null || algorithms.isEmpty() ? ALGORITHMS : algorithms;
        for (String name : names) {
            if (!ALGORITHMS.contains(name)) {
                throw SluiceException.invalid("unknown algorithm '" + name + "'; known: " + String.join(", ",
                        ALGORITHMS));
            }
        }
        List<EvaluationResult> results = new ArrayList<>();
        for (String name : names) {
            double rmse = 0;
            double mae = 0;
            long start = System.nanoTime();
            for (Split split : splits) {
                SvdModel.Accuracy a = evaluateOne(name, split, seed);
                rmse += a.rmse();
                mae += a.mae();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            results.add(new EvaluationResult(name, rmse / splits.size(), mae / splits.size(), seconds));
        }
        return results;
    }

    private SvdModel.Accuracy evaluateOne(String name, Split split, long seed) {
        Hyperparameters hp = svd.withSeed(seed);
        return switch (name) {
            case "svd" -> new LibrecBiasedMf(hp).train(split.train(), List.of()).accuracy(split.test());
            case "baseline" -> SgdBiasedMf.trainBaseline(split.train(), hp).accuracy(split.test());
            case "svdpp" -> librec(split, seed, SVDPlusPlusRecommender::new, conf -> {
                // scikit-surprise's SVD++ factors and learning rate: librec's SVD++ costs O(items per user) per rating and
                // factor, too slow with the stage's 50 factors
                conf.setInt("rec.factor.number", 20);
                conf.setFloat("rec.iterator.learnrate", 0.007f);
            });
            case "nmf" -> librec(split, seed, NMFRecommender::new, conf -> {
                conf.setInt("rec.factor.number", 15);
                conf.setInt("rec.iterator.maximum", 50);
            });
            case "slopeone" -> librec(split, seed, SlopeOneRecommender::new, conf -> { });
            case "itemknn" -> librec(split, seed, ItemKNNRecommender::new, conf -> knn(conf, "item"));
            case "userknn" -> librec(split, seed, UserKNNRecommender::new, conf -> knn(conf, "user"));
            case "globalaverage" -> librec(split, seed, GlobalAverageRecommender::new, conf -> { });
            case "random" -> librec(split, seed, RandomGuessRecommender::new, conf -> { });
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static void knn(Configuration conf, String key) {
        conf.set("rec.recommender.similarity.key", key);
        conf.setInt("rec.neighbors.knn.number", 40);
    }

    private SvdModel.Accuracy librec(Split split, long seed, Supplier<AbstractRecommender> factory,
                                     java.util.function.Consumer<Configuration> settings) {
        Configuration conf = LibrecBiasedMf.configuration(svd.withSeed(seed));
        settings.accept(conf);
        LibrecData data = new LibrecData(conf, split.train(), split.test());
        RecommenderContext context = new RecommenderContext(conf, data);
        if (conf.get("rec.recommender.similarity.key") != null) {
            PCCSimilarity similarity = new PCCSimilarity();
            similarity.buildSimilarityMatrix(data);
            context.setSimilarity(similarity);
        }
        AbstractRecommender rec = factory.get();
        Randoms.seed(seed);
        try {
            rec.recommend(context);
            return new SvdModel.Accuracy(rec.evaluate(new RMSEEvaluator()), rec.evaluate(new MAEEvaluator()),
                    split.test().size());
        } catch (LibrecException e) {
            throw new IllegalStateException("librec failed: " + e.getMessage(), e);
        }
    }
}
