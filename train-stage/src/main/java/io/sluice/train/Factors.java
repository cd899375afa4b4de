package io.sluice.train;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Mutable parameters of biased matrix factorisation while a trainer works on them: dense user and item indices in
 * first-seen order, biases and row-major factor tables; {@link #toModel} freezes them into an {@link SvdModel}.
 */
final class Factors {

    final int k;
    final double globalMean;
    long[] userIds;
    long[] itemIds;
    double[] userBias;
    double[] itemBias;
    double[] userFactors;
    double[] itemFactors;
    private final Map<Long, Integer> userIndex = new HashMap<>();
    private final Map<Long, Integer> itemIndex = new HashMap<>();
    private final Random init;

    /** Empty tables; new ids get factors drawn from N(0, 0.1^2) with this seed, the initialisation librec uses. */
    Factors(int k, double globalMean, long seed) {
        this.k = k;
        this.globalMean = globalMean;
        this.init = new Random(seed);
        userIds = new long[0];
        itemIds = new long[0];
        userBias = new double[0];
        itemBias = new double[0];
        userFactors = new double[0];
        itemFactors = new double[0];
    }

    /** Tables holding a copy of a trained model's parameters, ready to be trained further. */
    static Factors copyOf(SvdModel model, long seed) {
        Factors f = new Factors(model.metadata().factors(), model.metadata().globalMean(), seed);
        f.userIds = model.userIds.clone();
        f.itemIds = model.itemIds.clone();
        f.userBias = model.userBias.clone();
        f.itemBias = model.itemBias.clone();
        f.userFactors = model.userFactors.clone();
        f.itemFactors = model.itemFactors.clone();
        for (int i = 0; i < f.userIds.length; i++) {
            f.userIndex.put(f.userIds[i], i);
        }
        for (int i = 0; i < f.itemIds.length; i++) {
            f.itemIndex.put(f.itemIds[i], i);
        }
        return f;
    }

    int users() {
        return userIds.length;
    }

    int items() {
        return itemIds.length;
    }

    /** The user's index, or -1 when unknown. */
    int user(long id) {
        Integer i = userIndex.get(id);
        return i == null ? -1 : i;
    }

    /** The item's index, or -1 when unknown. */
    int item(long id) {
        Integer i = itemIndex.get(id);
        return i == null ? -1 : i;
    }

    /**
     * Adds every user and item of the ratings not seen yet, in first-seen order, with zero bias and fresh random
     * factors; returns how many users and items were added.
     */
    int[] addIdsOf(RatingSet ratings) {
        long[] newUsers = new long[ratings.size()];
        long[] newItems = new long[ratings.size()];
        int nu = 0;
        int ni = 0;
        for (int j = 0; j < ratings.size(); j++) {
            long u = ratings.user(j);
            if (!userIndex.containsKey(u)) {
                userIndex.put(u, userIds.length + nu);
                newUsers[nu++] = u;
            }
            long i = ratings.item(j);
            if (!itemIndex.containsKey(i)) {
                itemIndex.put(i, itemIds.length + ni);
                newItems[ni++] = i;
            }
        }
        int oldUsers = userIds.length;
        userIds = concat(userIds, newUsers, nu);
        userBias = java.util.Arrays.copyOf(userBias, userIds.length);
        userFactors = randomTail(userFactors, oldUsers * k, userIds.length * k);
        int oldItems = itemIds.length;
        itemIds = concat(itemIds, newItems, ni);
        itemBias = java.util.Arrays.copyOf(itemBias, itemIds.length);
        itemFactors = randomTail(itemFactors, oldItems * k, itemIds.length * k);
        return new int[] {nu, ni};
    }

    private static long[] concat(long[] a, long[] b, int bLength) {
        long[] r = java.util.Arrays.copyOf(a, a.length + bLength);
        System.arraycopy(b, 0, r, a.length, bLength);
        return r;
    }

    private double[] randomTail(double[] a, int from, int to) {
        double[] r = java.util.Arrays.copyOf(a, to);
        for (int x = from; x < to; x++) {
            r[x] = 0.1 * init.nextGaussian();
        }
        return r;
    }

    SvdModel toModel(String algorithm, double ratingMin, double ratingMax, int trainedRatings, Hyperparameters hp,
                     List<TrainedFile> trainedOn) {
        SvdModel.Metadata md = new SvdModel.Metadata(SvdModel.FORMAT_VERSION, algorithm, k, userIds.length,
                itemIds.length, globalMean, ratingMin, ratingMax, trainedRatings, hp, List.copyOf(trainedOn),
                SvdModel.BINARY_FILE, null);
        return new SvdModel(md, userIds.clone(), itemIds.clone(), userBias.clone(), itemBias.clone(),
                userFactors.clone(), itemFactors.clone());
    }
}
