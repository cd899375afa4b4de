package io.sluice.train;

import io.sluice.SluiceException;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A deterministic generator of MovieLens-shaped ratings ({@code user movie rating timestamp}, integer ratings 1..5,
 * distinct (user, movie) pairs, heavy-tailed user activity and movie popularity) drawn from a known low-rank model
 * {@code 3.5 + b_u + b_i + p_u . q_i + noise}, so that a trained model has structure to find; same seed, same data.
 */
public final class RatingGenerator {

    /** Shape and seed of the generated data; MovieLens 100K's shape by default. */
    public record Shape(int users, int items, int ratings, int rank, double noise, long seed) {
        public static final Shape MOVIELENS_100K = new Shape(943, 1682, 100_000, 5, 0.6, 42L);

        public Shape {
            if (users < 1 || items < 1 || ratings < 1 || rank < 1 || !(noise >= 0)) {
                throw SluiceException.invalid("users, items, ratings and rank must be positive and noise >= 0");
            }
            if ((long) users * items < ratings) {
                throw SluiceException.invalid(ratings + " distinct ratings do not fit " + users + " users x "
                        + items + " items");
            }
        }

        public Shape withRatings(int n) {
            return new Shape(users, items, n, rank, noise, seed);
        }

        public Shape withSeed(long s) {
            return new Shape(users, items, ratings, rank, noise, s);
        }
    }

    private final Shape shape;

    public RatingGenerator(Shape shape) {
        this.shape = shape;
    }

    /** The ratings, ids starting at 1, in increasing timestamp order. */
    public RatingSet generate() {
        Random rnd = new Random(shape.seed());
        int k = shape.rank();
        double[][] p = gaussian(rnd, shape.users(), k, 1 / Math.sqrt(k) * 0.9);
        double[][] q = gaussian(rnd, shape.items(), k, 1 / Math.sqrt(k) * 0.9);
        double[] bu = gaussianVector(rnd, shape.users(), 0.4);
        double[] bi = gaussianVector(rnd, shape.items(), 0.5);
        double[] userCdf = cdf(shape.users(), 0.7, 5);
        double[] itemCdf = cdf(shape.items(), 0.9, 10);
        // item popularity follows a random permutation of the ranks, so ids carry no signal
        int[] itemOfRank = RatingSet.permutation(shape.items(), shape.seed() + 1);
        int[] userOfRank = RatingSet.permutation(shape.users(), shape.seed() + 2);
        int n = shape.ratings();
        long[] users = new long[n];
        long[] items = new long[n];
        double[] ratings = new double[n];
        long[] times = new long[n];
        Set<Long> seen = new HashSet<>(n * 2);
        long time = 874_724_710L;
        int j = 0;
        while (j < n) {
            int u = userOfRank[pick(userCdf, rnd.nextDouble())];
            int i = itemOfRank[pick(itemCdf, rnd.nextDouble())];
            if (seen.size() > (long) shape.users() * shape.items() / 2) {
                // dense requests: fall back to uniform pairs so the loop always terminates quickly
                u = rnd.nextInt(shape.users());
                i = rnd.nextInt(shape.items());
            }
            if (!seen.add((long) u * shape.items() + i)) {
                continue;
            }
            double dot = 0;
            for (int f = 0; f < k; f++) {
                dot += p[u][f] * q[i][f];
            }
            double r = 3.5 + bu[u] + bi[i] + dot + shape.noise() * rnd.nextGaussian();
            users[j] = u + 1;
            items[j] = i + 1;
            ratings[j] = Math.max(1, Math.min(5, Math.round(r)));
            time += 1 + rnd.nextInt(600);
            times[j] = time;
            j++;
        }
        return new RatingSet(users, items, ratings, times);
    }

    /** Writes ratings as MovieLens u.data does: tab-separated, integer ratings. */
    public static void write(RatingSet ratings, Writer out) throws IOException {
        StringBuilder sb = new StringBuilder(32);
        for (int j = 0; j < ratings.size(); j++) {
            sb.setLength(0);
            double r = ratings.rating(j);
            sb.append(ratings.user(j)).append('\t').append(ratings.item(j)).append('\t')
                    .append(r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r)).append('\t')
                    .append(ratings.timestamp(j)).append('\n');
            out.write(sb.toString());
        }
        out.flush();
    }

    /** Writes ratings to a file, creating its parent directories. */
    public static void write(RatingSet ratings, Path file) {
        try {
            if (file.toAbsolutePath().getParent() != null) {
                Files.createDirectories(file.toAbsolutePath().getParent());
            }
            try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                write(ratings, w);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** {@code [--users N] [--items N] [--ratings N] [--seed N] [--output FILE]}; stdout when no output is given. */
    public static void main(String[] args) throws IOException {
        Shape d = Shape.MOVIELENS_100K;
        Map<String, String> defaults = Map.of("users", "" + d.users(), "items", "" + d.items(), "ratings",
                "" + d.ratings(), "seed", "" + d.seed(), "output", "-");
        try {
            StageArgs a = new StageArgs(args, defaults);
            Shape shape = new Shape(Integer.parseInt(a.value("users")), Integer.parseInt(a.value("items")),
                    Integer.parseInt(a.value("ratings")), d.rank(), d.noise(), Long.parseLong(a.value("seed")));
            RatingSet ratings = new RatingGenerator(shape).generate();
            if (a.value("output").equals("-")) {
                write(ratings, new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)));
            } else {
                write(ratings, Path.of(a.value("output")));
            }
        } catch (SluiceException | NumberFormatException e) {
            System.err.println("rating-generator: " + e.getMessage());
            System.exit(1);
        }
    }

    private static double[][] gaussian(Random rnd, int rows, int cols, double std) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int c = 0; c < cols; c++) {
                row[c] = std * rnd.nextGaussian();
            }
        }
        return m;
    }

    private static double[] gaussianVector(Random rnd, int n, double std) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = std * rnd.nextGaussian();
        }
        return v;
    }

    /** Cumulative Zipf-like weights 1/(rank+offset)^exponent. */
    private static double[] cdf(int n, double exponent, double offset) {
        double[] c = new double[n];
        double sum = 0;
        for (int r = 0; r < n; r++) {
            sum += Math.pow(r + offset, -exponent);
            c[r] = sum;
        }
        for (int r = 0; r < n; r++) {
            c[r] /= sum;
        }
        return c;
    }

    private static int pick(double[] cdf, double x) {
        int i = java.util.Arrays.binarySearch(cdf, x);
        return Math.min(cdf.length - 1, i >= 0 ? i : -i - 1);
    }
}
