package io.sluice.train;

import io.sluice.SluiceException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Reads rating files ({@code user_id item_id rating [timestamp]} per line, separated by tabs or spaces; blank lines
 * and lines starting with {@code #} ignored) and rejects anything malformed with a message naming file and line.
 */
public final class RatingReader {

    /** One input file: its path relative to the input root, its SHA-256 and its ratings. */
    public record LoadedFile(TrainedFile file, RatingSet ratings) {
    }

    private final double minRating;
    private final double maxRating;

    /** Ratings outside [minRating, maxRating] are rejected; pass infinities to accept every finite rating. */
    public RatingReader(double minRating, double maxRating) {
        if (!(minRating <= maxRating)) {
            throw SluiceException.invalid("rating range is empty: min " + minRating + " > max " + maxRating);
        }
        this.minRating = minRating;
        this.maxRating = maxRating;
    }

    /** A reader that accepts any finite rating. */
    public static RatingReader unbounded() {
        return new RatingReader(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
    }

    /** Every regular file under {@code root} (or {@code root} itself if it is a file), sorted by relative path. */
    public List<LoadedFile> readAll(Path root) {
        List<InputFiles.Input> files = InputFiles.list(root, "training input");
        if (files.isEmpty()) {
            throw SluiceException.invalid("training input " + root + " is empty: no rating file");
        }
        List<LoadedFile> loaded = new ArrayList<>();
        for (InputFiles.Input f : files) {
            loaded.add(read(f.path(), f.name()));
        }
        return loaded;
    }

    /** All ratings of every file under {@code root}, in path order. */
    public RatingSet readRatings(Path root) {
        return concat(readAll(root));
    }

    /** The ratings of the given files, in order. */
    public static RatingSet concat(List<LoadedFile> files) {
        RatingSet all = new RatingSet(new long[0], new long[0], new double[0], new long[0]);
        for (LoadedFile f : files) {
            all = all.concat(f.ratings());
        }
        return all;
    }

    /** Reads one file; {@code name} is how messages and the model's file list call it. */
    public LoadedFile read(Path file, String name) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        String sha = sha256(bytes);
        String text = new String(bytes, StandardCharsets.UTF_8);
        RatingBuilder out = new RatingBuilder();
        int lineNo = 0;
        for (String raw : text.split("\r?\n", -1)) {
            lineNo++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("[\\t ]+");
            if (f.length != 3 && f.length != 4) {
                throw bad(name, lineNo, "expected 'user_id item_id rating [timestamp]' but found " + f.length
                        + " fields: '" + InputFiles.abbreviate(line) + "'");
            }
            long user = parseId(f[0], "user id", name, lineNo);
            long item = parseId(f[1], "item id", name, lineNo);
            double rating;
            try {
                rating = Double.parseDouble(f[2]);
            } catch (NumberFormatException e) {
                throw bad(name, lineNo, "rating '" + f[2] + "' is not a number");
            }
            if (!Double.isFinite(rating)) {
                throw bad(name, lineNo, "rating '" + f[2] + "' is not a finite number");
            }
            if (rating < minRating || rating > maxRating) {
                throw bad(name, lineNo, "rating " + f[2] + " is outside the allowed range [" + minRating + ", "
                        + maxRating + "]");
            }
            long timestamp = f.length == 4 ? parseId(f[3], "timestamp", name, lineNo) : 0L;
            out.add(user, item, rating, timestamp);
        }
        if (out.size() == 0) {
            throw SluiceException.invalid("rating file " + name + " has no rating line");
        }
        RatingSet ratings = out.build();
        return new LoadedFile(new TrainedFile(name, sha, ratings.size()), ratings);
    }

    /** Hex SHA-256 of the bytes. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    private static long parseId(String token, String what, String file, int line) {
        return InputFiles.parseId(token, what, file, line);
    }

    static SluiceException bad(String file, int line, String what) {
        return SluiceException.invalid(file + ":" + line + ": " + what);
    }

    /** Growable columns, so that a large file is not parsed into objects first. */
    static final class RatingBuilder {
        private long[] users = new long[1024];
        private long[] items = new long[1024];
        private double[] ratings = new double[1024];
        private long[] timestamps = new long[1024];
        private int n;

        void add(long user, long item, double rating, long timestamp) {
            if (n == users.length) {
                int cap = n * 2;
                users = java.util.Arrays.copyOf(users, cap);
                items = java.util.Arrays.copyOf(items, cap);
                ratings = java.util.Arrays.copyOf(ratings, cap);
                timestamps = java.util.Arrays.copyOf(timestamps, cap);
            }
            users[n] = user;
            items[n] = item;
            ratings[n] = rating;
            timestamps[n] = timestamp;
            n++;
        }

        int size() {
            return n;
        }

        RatingSet build() {
            return new RatingSet(java.util.Arrays.copyOf(users, n), java.util.Arrays.copyOf(items, n),
                    java.util.Arrays.copyOf(ratings, n), java.util.Arrays.copyOf(timestamps, n));
        }
    }
}
