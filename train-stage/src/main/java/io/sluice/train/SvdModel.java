package io.sluice.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sluice.SluiceException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A trained biased matrix factorisation model, {@code r(u,i) = mu + b_u + b_i + p_u . q_i} clamped to the training
 * data's rating range, with the baseline fallback {@code mu + (b_u if known) + (b_i if known)} for unknown users or
 * items; it loads and saves without librec.
 *
 * <p>On disk a model is a directory holding two files:
 * <ul>
 * <li>{@code model.json}: {@link Metadata} (format version, algorithm, factor count k, user and item counts n and m,
 * global mean, rating range, hyperparameters, the input files trained on with their SHA-256, and the SHA-256 of
 * {@code model.bin});</li>
 * <li>{@code model.bin}: little-endian, no header: n user ids (int64), m item ids (int64), n user biases (float64),
 * m item biases (float64), n*k user factors (float64, row-major by user), m*k item factors (float64, row-major by
 * item). Row i of every block belongs to the i-th id.</li>
 * </ul>
 */
public final class SvdModel {

    /** The only model format this class reads and writes. */
    public static final int FORMAT_VERSION = 1;
    public static final String METADATA_FILE = "model.json";
    public static final String BINARY_FILE = "model.bin";

    /** Everything about a model except its numbers: the content of {@code model.json}. */
    public record Metadata(int formatVersion, String algorithm, int factors, int users, int items, double globalMean,
                           double ratingMin, double ratingMax, int trainedRatings, Hyperparameters hyperparameters,
                           List<TrainedFile> trainedOn, String binary, String binarySha256) {
    }

    private final Metadata metadata;
    final long[] userIds;
    final long[] itemIds;
    final double[] userBias;
    final double[] itemBias;
    final double[] userFactors;
    final double[] itemFactors;
    private final Map<Long, Integer> userIndex;
    private final Map<Long, Integer> itemIndex;

    /** Takes ownership of the arrays; {@code metadata}'s counts must match them. */
    SvdModel(Metadata metadata, long[] userIds, long[] itemIds, double[] userBias, double[] itemBias,
             double[] userFactors, double[] itemFactors) {
        int k = metadata.factors();
        if (userIds.length != metadata.users() || itemIds.length != metadata.items()
                || userBias.length != userIds.length || itemBias.length != itemIds.length
                || userFactors.length != userIds.length * k || itemFactors.length != itemIds.length * k) {
            throw new IllegalArgumentException("model arrays do not match its metadata");
        }
        this.metadata = metadata;
        this.userIds = userIds;
        this.itemIds = itemIds;
        this.userBias = userBias;
        this.itemBias = itemBias;
        this.userFactors = userFactors;
        this.itemFactors = itemFactors;
        this.userIndex = index(userIds);
        this.itemIndex = index(itemIds);
    }

    private static Map<Long, Integer> index(long[] ids) {
        Map<Long, Integer> m = new HashMap<>(ids.length * 2);
        for (int i = 0; i < ids.length; i++) {
            if (m.put(ids[i], i) != null) {
                throw new IllegalArgumentException("duplicate id " + ids[i] + " in model");
            }
        }
        return m;
    }

    public Metadata metadata() {
        return metadata;
    }

    public boolean knowsUser(long user) {
        return userIndex.containsKey(user);
    }

    public boolean knowsItem(long item) {
        return itemIndex.containsKey(item);
    }

    /** Index of the user in the factor tables, or -1. */
    int userIndexOf(long user) {
        Integer i = userIndex.get(user);
        return i == null ? -1 : i;
    }

    /** Index of the item in the factor tables, or -1. */
    int itemIndexOf(long item) {
        Integer i = itemIndex.get(item);
        return i == null ? -1 : i;
    }

    /** The predicted rating, clamped to the training range; unknown users or items get the baseline fallback. */
    public double predict(long user, long item) {
        return clamp(predictIndexed(userIndexOf(user), itemIndexOf(item)));
    }

    /** The unclamped prediction for table indices, where -1 means unknown. */
    double predictIndexed(int u, int i) {
        double p = metadata.globalMean();
        if (u >= 0) {
            p += userBias[u];
        }
        if (i >= 0) {
            p += itemBias[i];
        }
        if (u >= 0 && i >= 0) {
            int k = metadata.factors();
            int uo = u * k;
            int io = i * k;
            for (int f = 0; f < k; f++) {
                p += userFactors[uo + f] * itemFactors[io + f];
            }
        }
        return p;
    }

    double clamp(double p) {
        return Math.max(metadata.ratingMin(), Math.min(metadata.ratingMax(), p));
    }

    /** Root mean squared error and mean absolute error of the clamped predictions on the given ratings. */
    public Accuracy accuracy(RatingSet test) {
        double se = 0;
        double ae = 0;
        for (int j = 0; j < test.size(); j++) {
            double e = test.rating(j) - predict(test.user(j), test.item(j));
            se += e * e;
            ae += Math.abs(e);
        }
        int n = test.size();
        return n == 0 ? new Accuracy(Double.NaN, Double.NaN, 0) : new Accuracy(Math.sqrt(se / n), ae / n, n);
    }

    /** Prediction error on a set of held-out ratings. */
    public record Accuracy(double rmse, double mae, int count) {
    }

    /**
     * Writes {@code model.bin} then {@code model.json} into {@code dir}, each through a temporary file renamed into
     * place, so a reader never sees a half-written model.
     */
    public void save(Path dir) {
        int n = userIds.length;
        int m = itemIds.length;
        int k = metadata.factors();
        ByteBuffer buf = ByteBuffer.allocate(8 * (2 * n + 2 * m + n * k + m * k)).order(ByteOrder.LITTLE_ENDIAN);
        for (long id : userIds) {
            buf.putLong(id);
        }
        for (long id : itemIds) {
            buf.putLong(id);
        }
        buf.asDoubleBuffer().put(userBias).put(itemBias).put(userFactors).put(itemFactors);
        byte[] bin = buf.array();
        Metadata md = withBinary(metadata, RatingReader.sha256(bin));
        try {
            Files.createDirectories(dir);
            writeAtomically(dir.resolve(BINARY_FILE), bin);
            writeAtomically(dir.resolve(METADATA_FILE), Json.MAPPER.writeValueAsBytes(md));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write model to " + dir, e);
        }
    }

    private static Metadata withBinary(Metadata md, String sha) {
        return new Metadata(FORMAT_VERSION, md.algorithm(), md.factors(), md.users(), md.items(), md.globalMean(),
                md.ratingMin(), md.ratingMax(), md.trainedRatings(), md.hyperparameters(), md.trainedOn(),
                BINARY_FILE, sha);
    }

    /** True when {@code dir} holds a model (its {@code model.json}). */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(METADATA_FILE));
    }

    /** Reads a model written by {@link #save}; a missing, foreign or corrupt model is a clear error. */
    public static SvdModel load(Path dir) {
        Path json = dir.resolve(METADATA_FILE);
        Path binPath = dir.resolve(BINARY_FILE);
        if (!Files.isRegularFile(json) || !Files.isRegularFile(binPath)) {
            throw SluiceException.notFound("no model in " + dir + ": expected " + METADATA_FILE + " and "
                    + BINARY_FILE + " (has the train pipeline produced a model yet?)");
        }
        Metadata md;
        byte[] bin;
        try {
            md = Json.MAPPER.readValue(json.toFile(), Metadata.class);
            bin = Files.readAllBytes(binPath);
        } catch (IOException e) {
            throw SluiceException.invalid("cannot read model " + json + ": " + e.getMessage());
        }
        if (md.formatVersion() != FORMAT_VERSION) {
            throw SluiceException.invalid("model " + json + " has format version " + md.formatVersion()
                    + ", this program reads version " + FORMAT_VERSION);
        }
        int n = md.users();
        int m = md.items();
        int k = md.factors();
        long expected = 8L * (2L * n + 2L * m + (long) n * k + (long) m * k);
        if (bin.length != expected || !RatingReader.sha256(bin).equals(md.binarySha256())) {
            throw SluiceException.invalid("model " + binPath + " is corrupt: " + bin.length + " bytes, expected "
                    + expected + " with SHA-256 " + md.binarySha256());
        }
        ByteBuffer buf = ByteBuffer.wrap(bin).order(ByteOrder.LITTLE_ENDIAN);
        long[] users = new long[n];
        long[] items = new long[m];
        buf.asLongBuffer().get(users).get(items);
        buf.position(8 * (n + m));
        double[] ub = new double[n];
        double[] ib = new double[m];
        double[] uf = new double[n * k];
        double[] itf = new double[m * k];
        buf.asDoubleBuffer().get(ub).get(ib).get(uf).get(itf);
        return new SvdModel(md, users, items, ub, ib, uf, itf);
    }

    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The one JSON mapper of the stages: pretty output, tolerant of fields added by later versions. */
    static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

        private Json() {
        }
    }
}
