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
        run(f, ratings, hp.epochs(), null, null);
        return f.toModel(ALGORITHM, ratings.minRating(), ratings.maxRating(), ratings.size(), hp, trainedOn);
    }

    /** The result of an incremental update: the new model and how many older ratings were replayed. */
    public record Update(SvdModel model, int replayed) {
    }

    /**
     * Updates {@code previous} with {@code fresh} ratings: users and items that occur in the fresh ratings (new ones
     * are added with random factors) are refitted for {@code epochs} epochs on the fresh ratings plus a replay of the
     * older ratings that share a user or an item with them (a uniform sample of at most {@code replayRatio} times
     * the fresh count); every other parameter, and the global mean, stay as trained. Refitting only the touched rows
     * on their own history is what keeps the update close to a full retrain: plain SGD continued on a small replay
     * sample overfits every row it touches to that sample.
     *
     * @param old          the ratings {@code previous} was trained on (the replay pool)
     * @param totalRatings how many ratings the resulting model stands for, recorded in its metadata
     */
    public Update update(SvdModel previous, RatingSet fresh, RatingSet old, double replayRatio, int epochs,
                         int totalRatings, List<TrainedFile> trainedOn) {
        Factors f = Factors.copyOf(previous, hp.seed());
        f.addIdsOf(fresh);
        boolean[] userTouched = new boolean[f.users()];
        boolean[] itemTouched = new boolean[f.items()];
        for (int j = 0; j < fresh.size(); j++) {
            userTouched[f.user(fresh.user(j))] = true;
            itemTouched[f.item(fresh.item(j))] = true;
        }
        RatingSet pool = old.filter(j -> {
            int u = f.user(old.user(j));
            int i = f.item(old.item(j));
            return (u >= 0 && userTouched[u]) || (i >= 0 && itemTouched[i]);
        });
        long cap = Math.round(replayRatio * fresh.size());
        RatingSet replay = pool.sample((int) Math.min(Integer.MAX_VALUE, cap), hp.seed() + old.size());
        RatingSet train = fresh.concat(replay);
        f.addIdsOf(replay);
        run(f, train, epochs, userTouched, itemTouched);
        SvdModel model = f.toModel(INCREMENTAL_ALGORITHM, Math.min(fresh.minRating(), previous.metadata().ratingMin()),
                Math.max(fresh.maxRating(), previous.metadata().ratingMax()), totalRatings, hp, trainedOn);
        return new Update(model, replay.size());
    }

    /** Biases only (no factors): what scikit-surprise calls BaselineOnly, fitted by the same SGD. */
    static SvdModel trainBaseline(RatingSet ratings, Hyperparameters hp) {
        Factors f = new Factors(0, ratings.meanRating(), hp.seed());
        f.addIdsOf(ratings);
        new SgdBiasedMf(hp).run(f, ratings, hp.epochs(), null, null);
        return f.toModel("baseline", ratings.minRating(), ratings.maxRating(), ratings.size(), hp, List.of());
    }

    /** SGD epochs over the ratings; when masks are given, only users and items marked in them change. */
    private void run(Factors f, RatingSet ratings, int epochs, boolean[] userMask, boolean[] itemMask) {
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
                boolean du = userMask == null || userMask[u];
                boolean di = itemMask == null || itemMask[i];
                if (du) {
                    bu[u] += lr * (err - reg * bu[u]);
                }
                if (di) {
                    bi[i] += lr * (err - reg * bi[i]);
                }
                for (int x = 0; x < k; x++) {
                    double pu = p[uo + x];
                    double qi = q[io + x];
                    if (du) {
                        p[uo + x] += lr * (err * qi - reg * pu);
                    }
                    if (di) {
                        q[io + x] += lr * (err * pu - reg * qi);
                    }
                }
            }
        }
    }
}
