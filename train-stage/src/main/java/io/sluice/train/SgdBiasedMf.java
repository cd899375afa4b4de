package io.sluice.train;

import java.util.List;

/**
 * A hand-written SGD loop of biased matrix factorisation, the same model and update rule as librec's BiasedMF but
 * visiting ratings in a fresh seeded random order each epoch; it trains from scratch (the speed reference of the
 * benchmark and the {@code baseline} algorithm with zero factors) or continues from an existing model (incremental
 * training, which librec cannot do).
 */
public final class SgdBiasedMf {

    /** Algorithm name recorded in a model trained from scratch by this class. */
    public static final String ALGORITHM = "sgd-biasedmf";
    /** Algorithm name recorded in a model continued from a previous one. */
    public static final String INCREMENTAL_ALGORITHM = "sgd-biasedmf-incremental";

    private final Hyperparameters hp;

    public SgdBiasedMf(Hyperparameters hp) {
        this.hp = hp;
    }

    /** Trains a model from scratch on the ratings. */
    public SvdModel train(RatingSet ratings, List<TrainedFile> trainedOn) {
        Factors f = new Factors(hp.factors(), ratings.meanRating(), hp.seed());
        f.addIdsOf(ratings);
        run(f, ratings, hp.epochs());
        return f.toModel(ALGORITHM, ratings.minRating(), ratings.maxRating(), ratings.size(), hp, trainedOn);
    }

    /**
     * Continues training {@code previous} on {@code ratings} (new ratings plus a replay sample of older ones) for
     * {@code epochs} epochs: known users and items start from their trained parameters, unseen ones are added; the
     * global mean stays the previous one so that every trained bias keeps its meaning.
     *
     * @param totalRatings how many ratings the resulting model stands for (old and new), recorded in its metadata
     */
    public SvdModel continueTraining(SvdModel previous, RatingSet ratings, int epochs, int totalRatings,
                                     double ratingMin, double ratingMax, List<TrainedFile> trainedOn) {
        Factors f = Factors.copyOf(previous, hp.seed());
        f.addIdsOf(ratings);
        run(f, ratings, epochs);
        return f.toModel(INCREMENTAL_ALGORITHM, Math.min(ratingMin, previous.metadata().ratingMin()),
                Math.max(ratingMax, previous.metadata().ratingMax()), totalRatings, hp, trainedOn);
    }

    /** Biases only (no factors): what scikit-surprise calls BaselineOnly, fitted by the same SGD. */
    static SvdModel trainBaseline(RatingSet ratings, Hyperparameters hp) {
        Factors f = new Factors(0, ratings.meanRating(), hp.seed());
        f.addIdsOf(ratings);
        new SgdBiasedMf(hp).run(f, ratings, hp.epochs());
        return f.toModel("baseline", ratings.minRating(), ratings.maxRating(), ratings.size(), hp, List.of());
    }

    private void run(Factors f, RatingSet ratings, int epochs) {
        int n = ratings.size();
        int[] us = new int[n];
        int[] is = new int[n];
        double[] rs = new double[n];
        for (int j = 0; j < n; j++) {
            us[j] = f.user(ratings.user(j));
            is[j] = f.item(ratings.item(j));
            rs[j] = ratings.rating(j);
        }
        int k = f.k;
        double lr = hp.learnRate();
        double reg = hp.regularization();
        double mu = f.globalMean;
        double[] bu = f.userBias;
        double[] bi = f.itemBias;
        double[] p = f.userFactors;
        double[] q = f.itemFactors;
        for (int epoch = 0; epoch < epochs; epoch++) {
            int[] order = RatingSet.permutation(n, hp.seed() * 31 + epoch);
            for (int j : order) {
                int u = us[j];
                int i = is[j];
                int uo = u * k;
                int io = i * k;
                double dot = 0;
                for (int x = 0; x < k; x++) {
                    dot += p[uo + x] * q[io + x];
                }
                double err = rs[j] - (mu + bu[u] + bi[i] + dot);
                bu[u] += lr * (err - reg * bu[u]);
                bi[i] += lr * (err - reg * bi[i]);
                for (int x = 0; x < k; x++) {
                    double pu = p[uo + x];
                    double qi = q[io + x];
                    p[uo + x] += lr * (err * qi - reg * pu);
                    q[io + x] += lr * (err * pu - reg * qi);
                }
            }
        }
    }
}
