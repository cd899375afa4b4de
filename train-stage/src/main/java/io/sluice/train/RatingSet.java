package io.sluice.train;

import java.util.Arrays;
import java.util.Random;
import java.util.function.IntPredicate;

/**
 * An immutable, columnar list of (user id, item id, rating, timestamp) records kept in the order they were read.
 */
public final class RatingSet {

    private final long[] users;
    private final long[] items;
    private final double[] ratings;
    private final long[] timestamps;

    /** Takes ownership of the four arrays, which must have the same length. */
    public RatingSet(long[] users, long[] items, double[] ratings, long[] timestamps) {
        if (users.length != items.length || users.length != ratings.length || users.length != timestamps.length) {
            throw new IllegalArgumentException("rating columns differ in length");
        }
        this.users = users;
        this.items = items;
        this.ratings = ratings;
        this.timestamps = timestamps;
    }

    public int size() {
        return users.length;
    }

    public long user(int i) {
        return users[i];
    }

    public long item(int i) {
        return items[i];
    }

    public double rating(int i) {
        return ratings[i];
    }

    public long timestamp(int i) {
        return timestamps[i];
    }

    public double minRating() {
        return Arrays.stream(ratings).min().orElse(Double.NaN);
    }

    public double maxRating() {
        return Arrays.stream(ratings).max().orElse(Double.NaN);
    }

    public double meanRating() {
        return Arrays.stream(ratings).average().orElse(Double.NaN);
    }

    /** The records at the given positions, in that order. */
    public RatingSet select(int[] positions) {
        long[] u = new long[positions.length];
        long[] it = new long[positions.length];
        double[] r = new double[positions.length];
        long[] t = new long[positions.length];
        for (int k = 0; k < positions.length; k++) {
            int i = positions[k];
            u[k] = users[i];
            it[k] = items[i];
            r[k] = ratings[i];
            t[k] = timestamps[i];
        }
        return new RatingSet(u, it, r, t);
    }

    /** The records whose position satisfies the predicate, in order. */
    public RatingSet filter(IntPredicate keep) {
        return select(java.util.stream.IntStream.range(0, size()).filter(keep).toArray());
    }

    /** This set followed by the other one. */
    public RatingSet concat(RatingSet other) {
        int n = size();
        int m = other.size();
        long[] u = Arrays.copyOf(users, n + m);
        long[] it = Arrays.copyOf(items, n + m);
        double[] r = Arrays.copyOf(ratings, n + m);
        long[] t = Arrays.copyOf(timestamps, n + m);
        System.arraycopy(other.users, 0, u, n, m);
        System.arraycopy(other.items, 0, it, n, m);
        System.arraycopy(other.ratings, 0, r, n, m);
        System.arraycopy(other.timestamps, 0, t, n, m);
        return new RatingSet(u, it, r, t);
    }

    /** A uniformly random sample of at most {@code count} records, without replacement, reproducible by seed. */
    public RatingSet sample(int count, long seed) {
        if (count >= size()) {
            return this;
        }
        int[] perm = permutation(size(), seed);
        return select(Arrays.copyOf(perm, count));
    }

    /** A Fisher-Yates permutation of 0..n-1, reproducible by seed. */
    public static int[] permutation(int n, long seed) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        return perm;
    }
}
