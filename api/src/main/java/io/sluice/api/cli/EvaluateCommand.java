package io.sluice.api.cli;

import io.sluice.Json;
import io.sluice.api.Main;
import io.sluice.train.Evaluation;
import io.sluice.train.EvaluationResult;
import io.sluice.train.Hyperparameters;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code sluice evaluate}: compares rating-prediction algorithms on local files with k-fold cross-validation
 * (or one train/test split), every algorithm on the same folds; needs no daemon.
 */
public final class EvaluateCommand extends Cmd {
    public EvaluateCommand() {
        super("evaluate", "Compare recommender algorithms on local rating files (no daemon needed).");
        // Exactly one source: one file cut into folds, or a given train/test split (both options of either).
        spec().addArgGroup(ArgGroupSpec.builder().exclusive(true).multiplicity("1")
                .addSubgroup(ArgGroupSpec.builder().exclusive(false)
                        .addArg(required("--data", "FILE", Path.class, "Ratings: 'user item rating [timestamp]' lines."))
                        .addArg(required("--folds", "K", int.class, "Cross-validate over K folds.")).build())
                .addSubgroup(ArgGroupSpec.builder().exclusive(false)
                        .addArg(required("--train", "FILE", Path.class, "Ratings to train on."))
                        .addArg(required("--test", "FILE", Path.class, "Ratings to test on.")).build())
                .build());
        repeatable("--algorithms", "LIST", ",", "Comma-separated, from: svd, svdpp, nmf, slopeone, itemknn, userknn, "
                + "baseline, globalaverage, random (default: all).");
        option("--seed", "SEED", long.class, "1", "Random seed of folds and models (default 1).");
        option("-o,--output", "FORMAT", String.class, "table", "table or json.");
    }

    private static OptionSpec required(String name, String label, Class<?> type, String description) {
        return builder(name, description).paramLabel(label).type(type).required(true).build();
    }

    @Override
    protected void run() {
        List<String> algorithms = values("--algorithms");
        String output = value("--output");
        long seed = value("--seed");
        Path data = value("--data");
        List<String> chosen = algorithms.isEmpty() ? Evaluation.ALGORITHMS : algorithms;
        for (String a : chosen) {
            if (!Evaluation.ALGORITHMS.contains(a)) {
                throw new Main.UsageError("unknown algorithm '" + a + "'; choose from " + String.join(", ", Evaluation.ALGORITHMS));
            }
        }
        if (!output.equals("table") && !output.equals("json")) {
            throw new Main.UsageError("--output must be json or table, not '" + output + "'");
        }
        Evaluation evaluation = new Evaluation(Hyperparameters.DEFAULTS.withSeed(seed));
        List<EvaluationResult> results;
        if (data != null) {
            int folds = value("--folds");
            requireFile(data);
            if (folds < 2) {
                throw new Main.UsageError("--folds must be at least 2");
            }
            results = evaluation.crossValidate(data, folds, chosen, seed);
        } else {
            Path train = value("--train");
            Path test = value("--test");
            requireFile(train);
            requireFile(test);
            results = evaluation.trainTest(train, test, chosen, seed);
        }
        if (output.equals("json")) {
            Output.printJson(out(), Json.mapper().valueToTree(results));
            return;
        }
        out().printf("%-14s %8s %8s %9s%n", "ALGORITHM", "RMSE", "MAE", "SECONDS");
        for (EvaluationResult r : results) {
            out().printf("%-14s %8.4f %8.4f %9.2f%n", r.algorithm(), r.rmse(), r.mae(), r.seconds());
        }
    }

    private static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new Main.UsageError("no such file: " + file);
        }
    }
}
