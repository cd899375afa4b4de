package io.sluice.train;

import io.sluice.SluiceException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files of a stage input: every regular file under a directory (or the file itself), sorted, each named by its
 * '/'-separated path relative to the input root as the model's file list and error messages show it.
 */
public final class InputFiles {

    /** One input file and its name relative to the input root. */
    public record Input(Path path, String name) {
    }

    private InputFiles() {
    }

    /** The files under {@code root}; {@code what} names the input in the error when it does not exist. */
    public static List<Input> list(Path root, String what) {
        if (!Files.exists(root)) {
            throw SluiceException.notFound(what + " " + root + " does not exist");
        }
        if (Files.isRegularFile(root)) {
            return List.of(new Input(root, root.getFileName().toString()));
        }
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).sorted()
                    .map(p -> new Input(p, root.relativize(p).toString().replace('\\', '/'))).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
    }

    /** Parses an integer id, naming the file and line when it is not one. */
    public static long parseId(String token, String what, String file, int line) {
        try {
            return Long.parseLong(token);
        } catch (NumberFormatException e) {
            throw SluiceException.invalid(file + ":" + line + ": " + what + " '" + abbreviate(token)
                    + "' is not an integer");
        }
    }

    /** The text, cut to 80 characters for an error message. */
    public static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
