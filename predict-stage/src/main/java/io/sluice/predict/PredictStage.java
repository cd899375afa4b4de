package io.sluice.predict;

import io.sluice.SluiceException;
import io.sluice.train.InputFiles;
import io.sluice.train.StageArgs;
import io.sluice.train.SvdModel;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The predict stage program: for every request file under its requests input ({@code /pfs/streaming}; lines
 * {@code user_id movie_id}, blank lines and {@code #} comments ignored) writes a file of the same relative name to
 * its output ({@code /pfs/out}) with one line {@code user_id movie_id rating} per request, in order, rated by the
 * model in its model input ({@code /pfs/train}); a malformed request or a missing model exits 1 naming what is wrong
 * and writes nothing.
 */
public final class PredictStage {

    /** One parsed request file: its name relative to the requests root and its (user, item) pairs. */
    record Requests(Path source, String name, long[] users, long[] items) {
    }

    private final PrintStream log;

    public PredictStage(PrintStream log) {
        this.log = log;
    }

    public static void main(String[] args) {
        System.exit(new PredictStage(System.err).run(args));
    }

    /** Runs as the command line would; returns the exit code (0 success, 1 failure, reported on the log). */
    public int run(String[] args) {
        try {
            StageArgs a = new StageArgs(args, Map.of("requests", "/pfs/streaming", "model", "/pfs/train",
                    "output", "/pfs/out"));
            int n = predict(a.path("requests"), a.path("model"), a.path("output"));
            log.println("sluice-predict: rated " + n + " request(s)");
            return 0;
        } catch (SluiceException e) {
            log.println("sluice-predict: " + e.getMessage());
            return 1;
        } catch (UncheckedIOException e) {
            log.println("sluice-predict: " + e.getMessage() + ": " + e.getCause().getMessage());
            return 1;
        }
    }

    /** Rates every request file; returns the number of requests rated. */
    public int predict(Path requests, Path modelDir, Path output) {
        // parse everything before loading the model or writing anything, so a bad line leaves no partial output
        List<Requests> all = readAll(requests);
        SvdModel model = SvdModel.load(modelDir);
        int count = 0;
        try {
            Files.createDirectories(output);
            for (Requests r : all) {
                StringBuilder sb = new StringBuilder(r.users().length * 32);
                for (int j = 0; j < r.users().length; j++) {
                    sb.append(r.users()[j]).append(' ').append(r.items()[j]).append(' ')
                            .append(model.predict(r.users()[j], r.items()[j])).append('\n');
                }
                Path target = output.resolve(r.name());
                Files.createDirectories(target.toAbsolutePath().getParent());
                Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
                Files.writeString(tmp, sb, StandardCharsets.UTF_8);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                count += r.users().length;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write predictions to " + output, e);
        }
        return count;
    }

    private static List<Requests> readAll(Path root) {
        List<Requests> out = new ArrayList<>();
        for (InputFiles.Input f : InputFiles.list(root, "requests input")) {
            out.add(parse(f.path(), f.name()));
        }
        return out;
    }

    static Requests parse(Path file, String name) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        long[] users = new long[lines.size()];
        long[] items = new long[lines.size()];
        int n = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("[\\t ]+");
            if (f.length != 2) {
                throw SluiceException.invalid(name + ":" + (i + 1) + ": expected 'user_id movie_id' but found "
                        + f.length + " fields: '" + InputFiles.abbreviate(line)
                        + "'");
            }
            users[n] = InputFiles.parseId(f[0], "user id", name, i + 1);
            items[n] = InputFiles.parseId(f[1], "movie id", name, i + 1);
            n++;
        }
        return new Requests(file, name, java.util.Arrays.copyOf(users, n), java.util.Arrays.copyOf(items, n));
    }
}
