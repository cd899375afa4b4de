package io.sluice.train;

/**
 * The accuracy of one algorithm over all folds of an evaluation: mean RMSE and MAE of the folds, and the seconds
 * spent training and predicting all folds.
 */
public record EvaluationResult(String algorithm, double rmse, double mae, double seconds) {
}
