package io.sluice.train;

import io.sluice.SluiceException;

import java.util.Map;

/**
 * The hyperparameters of biased matrix factorisation trained by SGD: latent factors, epochs, learning rate, one L2
 * regularisation for factors and biases, and the seed of every random choice (same data + same values = same model).
 */
public record Hyperparameters(int factors, int epochs, double learnRate, double regularization, long seed) {

    /** Defaults chosen by 5-fold cross-validation on MovieLens 100K (see train-stage/README.md). */
    public static final Hyperparameters DEFAULTS = new Hyperparameters(50, 50, 0.007, 0.1, 1L);

    public Hyperparameters {
        if (factors < 1) {
            throw SluiceException.invalid("SVD_FACTORS must be at least 1, got " + factors);
        }
        if (epochs < 1) {
            throw SluiceException.invalid("SVD_EPOCHS must be at least 1, got " + epochs);
        }
        if (!(learnRate > 0) || !Double.isFinite(learnRate)) {
            throw SluiceException.invalid("SVD_LEARN_RATE must be a positive number, got " + learnRate);
        }
        if (!(regularization >= 0) || !Double.isFinite(regularization)) {
            throw SluiceException.invalid("SVD_REG must be a non-negative number, got " + regularization);
        }
    }

    /**
     * Reads SVD_FACTORS, SVD_EPOCHS, SVD_LEARN_RATE, SVD_REG and SVD_SEED from the environment (a spec's
     * transform.env), each falling back to {@link #DEFAULTS}.
     */
    public static Hyperparameters fromEnv(Map<String, String> env) {
        Env e = new Env(env);
        return new Hyperparameters(
                e.integer("SVD_FACTORS", DEFAULTS.factors()),
                e.integer("SVD_EPOCHS", DEFAULTS.epochs()),
                e.number("SVD_LEARN_RATE", DEFAULTS.learnRate()),
                e.number("SVD_REG", DEFAULTS.regularization()),
                e.longInteger("SVD_SEED", DEFAULTS.seed()));
    }

    public Hyperparameters withSeed(long newSeed) {
        return new Hyperparameters(factors, epochs, learnRate, regularization, newSeed);
    }

    public Hyperparameters withEpochs(int newEpochs) {
        return new Hyperparameters(factors, newEpochs, learnRate, regularization, seed);
    }
}
