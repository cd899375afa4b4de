package io.sluice.api.cli;

import io.sluice.Json;
import io.sluice.api.Main;
import io.sluice.train.Evaluation;
import io.sluice.train.EvaluationResult;
import io.sluice.train.Hyperparameters;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code sluice evaluate}: compares rating-prediction algorithms on local files with k-fold cross-validation
 * (or one train/test split), every algorithm on the same folds; needs no daemon.
 */
@Command(name = "evaluate", description = "Compare recommender algorithms on local rating files (no daemon needed).")
public final class EvaluateCommand implements Runnable {
    @ParentCommand
    Main main;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    /** Either one file cut into folds, or a given train/test split. */
    static final class Source {
        @ArgGroup(exclusive = false)
        Folds folds;
        @ArgGroup(exclusive = false)
        TrainTest split;
    }

    static final class Folds {
        @Option(names = "--data", required = true, paramLabel = "FILE", description = "Ratings: 'user item rating [timestamp]' lines.")
        Path data;
        @Option(names = "--folds", required = true, paramLabel = "K", description = "Cross-validate over K folds.")
        int folds;
    }

    static final class TrainTest {
        @Option(names = "--train", required = true, paramLabel = "FILE", description = "Ratings to train on.")
        Path train;
        @Option(names = "--test", required = true, paramLabel = "FILE", description = "Ratings to test on.")
        Path test;
    }

    @Option(names = "--algorithms", split = ",", paramLabel = "LIST",
            description = "Comma-separated, from: svd, svdpp, nmf, slopeone, itemknn, userknn, baseline, globalaverage, random (default: all).")
    List<String> algorithms;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed of folds and models (default 1).")
    long seed;

    @Option(names = {"-o", "--output"}, defaultValue = "table", paramLabel = "FORMAT", description = "table or json.")
    String output;

    @Override
    public void run() {
        List<String> chosen = algorithms == null ? Evaluation.ALGORITHMS : algorithms;
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
        if (source.folds != null) {
            requireFile(source.folds.data);
            if (source.folds.folds < 2) {
                throw new Main.UsageError("--folds must be at least 2");
            }
            results = evaluation.crossValidate(source.folds.data, source.folds.folds, chosen, seed);
        } else {
            requireFile(source.split.train);
            requireFile(source.split.test);
            results = evaluation.trainTest(source.split.train, source.split.test, chosen, seed);
        }
        if (output.equals("json")) {
            Output.printJson(main.out(), Json.mapper().valueToTree(results));
            return;
        }
        main.out().printf("%-14s %8s %8s %9s%n", "ALGORITHM", "RMSE", "MAE", "SECONDS");
        for (EvaluationResult r : results) {
            main.out().printf("%-14s %8.4f %8.4f %9.2f%n", r.algorithm(), r.rmse(), r.mae(), r.seconds());
        }
    }

    private static void requireFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new Main.UsageError("no such file: " + file);
        }
    }
}
