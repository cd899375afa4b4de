package io.sluice.train;

import net.librec.common.LibrecException;
import net.librec.conf.Configuration;
import net.librec.math.algorithm.Randoms;
import net.librec.math.structure.DenseMatrix;
import net.librec.recommender.RecommenderContext;
import net.librec.recommender.cf.rating.BiasedMFRecommender;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Full training of the stage's model with librec-core's {@link BiasedMFRecommender}, whose trained parameters are
 * copied into an {@link SvdModel} (librec 2.0.0's own saveModel does nothing).
 */
public final class LibrecBiasedMf {

    /** Algorithm name recorded in the model. */
    public static final String ALGORITHM = "librec-biasedmf";

    /** Held so that the level set below is not lost when the logger is garbage-collected. */
    private final Logger librecLog = Logger.getLogger("net.librec");
    private final Logger exporterLog = Logger.getLogger(Exporter.class.getName());
    private final Hyperparameters hp;

    public LibrecBiasedMf(Hyperparameters hp) {
        this.hp = hp;
        // librec logs progress at INFO through commons-logging; a stage's log should show only Sluice's lines
        librecLog.setLevel(Level.WARNING);
        exporterLog.setLevel(Level.WARNING);
    }

    /** The librec settings of these hyperparameters: one regularisation for user and item factors and biases. */
    static Configuration configuration(Hyperparameters hp) {
        Configuration conf = new Configuration();
        conf.set("rec.recommender.isranking", "false");
        conf.set("rec.recommender.verbose", "false");
        conf.setInt("rec.iterator.maximum", hp.epochs());
        conf.setFloat("rec.iterator.learnrate", (float) hp.learnRate());
        conf.setFloat("rec.iterator.learnrate.maximum", 1000f);
        conf.setFloat("rec.user.regularization", (float) hp.regularization());
        conf.setFloat("rec.item.regularization", (float) hp.regularization());
        conf.setDouble("rec.bias.regularization", hp.regularization());
        conf.setInt("rec.factor.number", hp.factors());
        conf.set("rec.random.seed", Long.toString(hp.seed()));
        return conf;
    }

    /** Trains on every rating and returns the model; the same ratings and seed give the same model. */
    public SvdModel train(RatingSet ratings, List<TrainedFile> trainedOn) {
        Configuration conf = configuration(hp);
        LibrecData data = new LibrecData(conf, ratings, new RatingSet(new long[0], new long[0], new double[0],
                new long[0]));
        Exporter rec = new Exporter();
        // librec draws its initial factors from a process-wide generator: seed it right before it is used
        Randoms.seed(hp.seed());
        try {
            rec.recommend(new RecommenderContext(conf, data));
        } catch (LibrecException e) {
            throw new IllegalStateException("librec BiasedMF failed: " + e.getMessage(), e);
        }
        Factors f = new Factors(hp.factors(), rec.mean(), hp.seed());
        f.userIds = data.userIds;
        f.itemIds = data.itemIds;
        f.userBias = rec.userBiases();
        f.itemBias = rec.itemBiases();
        f.userFactors = flatten(rec.userFactors());
        f.itemFactors = flatten(rec.itemFactors());
        return f.toModel(ALGORITHM, ratings.minRating(), ratings.maxRating(), ratings.size(), hp, trainedOn);
    }

    private static double[] flatten(DenseMatrix m) {
        int rows = m.numRows();
        int cols = m.numColumns();
        double[] flat = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(m.data[r], 0, flat, r * cols, cols);
        }
        return flat;
    }

    /** Exposes the trained parameters, which librec keeps in protected fields. */
    private static final class Exporter extends BiasedMFRecommender {
        double mean() {
            return globalMean;
        }

        double[] userBiases() {
            return userBiases.getData().clone();
        }

        double[] itemBiases() {
            return itemBiases.getData().clone();
        }

        DenseMatrix userFactors() {
            return userFactors;
        }

        DenseMatrix itemFactors() {
            return itemFactors;
        }
    }
}
