package io.sluice.api.server;

import io.sluice.SluiceException;
import io.sluice.fuzz.Fuzz;
import io.sluice.train.InputFiles;
import io.sluice.train.RatingReader;
import io.sluice.train.RatingSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The REST API's rating and request lines over thousands of hostile and near-valid lines: each is refused
 * with a one-line INVALID error, or accepted, and then the stage that will read it accepts it too. A line
 * that /train takes and the train stage refuses would fail that job and every later one (its glob is /).
 */
class RatingLinePropertiesTest {
    private static final int CASES = 5_000;
    private static final String[] NUMBERS = {"0", "1", "-1", "+7", "3.5", ".5", "5.", "1e3", "1e999", "-0",
            "9223372036854775807", "9223372036854775808", "-9223372036854775809", "99999999999999999999", "00012",
            "NaN", "Infinity", "0x10", "1d", "1_000", "٣", "4.0E-2"};

    @TempDir
    Path dir;

    @Test
    void whatTrainAcceptsTheTrainStageReads() throws IOException {
        for (int seed = 0; seed < CASES; seed++) {
            String valid = acceptedOrRefusedCleanly(seed, 4);
            if (valid == null) {
                continue;
            }
            Path file = Files.writeString(dir.resolve("train-" + seed + ".txt"), valid + "\n");
            RatingSet read = RatingReader.unbounded().read(file, file.getFileName().toString()).ratings();
            assertThat(read.size()).as("seed %d: %s", seed, valid).isEqualTo(1);
            String[] f = valid.split(" ");
            assertThat(read.user(0)).as("seed %d", seed).isEqualTo(Long.parseLong(f[0]));
            assertThat(read.item(0)).as("seed %d", seed).isEqualTo(Long.parseLong(f[1]));
            assertThat(read.rating(0)).as("seed %d", seed).isEqualTo(Double.parseDouble(f[2])).isFinite();
        }
    }

    @Test
    void whatPredictAcceptsThePredictStageReads() {
        for (int seed = 0; seed < CASES; seed++) {
            String valid = acceptedOrRefusedCleanly(seed, 2);
            if (valid == null) {
                continue;
            }
            String[] f = valid.split(" ");
            assertThat(f).as("seed %d: %s", seed, valid).hasSize(2);
            for (String id : f) {
                assertThat(InputFiles.parseId(id, "id", "predict.txt", 1)).as("seed %d", seed).isNotNull();
            }
        }
    }

    /** Mostly well-formed: the right number of fields, from numbers at and beyond the edges, or fuzz. */
    private static String line(Random random, int fields) {
        if (random.nextInt(8) == 0) {
            return Fuzz.string(random, 30);
        }
        int n = random.nextInt(6) == 0 ? fields + random.nextInt(3) - 1 : fields;
        StringBuilder sb = new StringBuilder(random.nextBoolean() ? "" : " ");
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(random.nextInt(5) == 0 ? "\t" : " ".repeat(1 + random.nextInt(2)));
            }
            sb.append(random.nextInt(10) == 0 ? Fuzz.string(random, 6)
                    : random.nextInt(3) == 0 ? NUMBERS[random.nextInt(NUMBERS.length)]
                    : Long.toString(random.nextInt(2000)));
        }
        return sb.toString();
    }

    /**
     * The API's normalised form of seed {@code seed}'s line of {@code fields} fields, or null when the API
     * refused it, after checking that the refusal is one INVALID line naming the line.
     */
    private static String acceptedOrRefusedCleanly(int seed, int fields) {
        String line = line(new Random(seed), fields);
        try {
            return RecommenderController.validLine(line, 1, fields);
        } catch (SluiceException e) {
            assertThat(e.kind()).as("seed %d: %s", seed, line).isEqualTo(SluiceException.Kind.INVALID);
            assertThat(e.getMessage()).as("seed %d", seed).startsWith("line 1 of 'data'")
                    .doesNotContain("\n", "\r", "\0");
            return null;
        }
    }
}
