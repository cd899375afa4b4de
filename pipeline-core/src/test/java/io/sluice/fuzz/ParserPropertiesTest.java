package io.sluice.fuzz;

import io.sluice.SluiceException;
import io.sluice.pfs.Glob;
import io.sluice.pfs.Ref;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Properties of the ref and glob parsers over thousands of hostile inputs: they either answer or refuse
 * with a readable INVALID error (never another exception), and what they accept round-trips.
 */
class ParserPropertiesTest {
    private static final int CASES = 5_000;

    @Test
    void refsParseOrRefuseCleanlyAndRoundTrip() {
        for (int seed = 0; seed < CASES; seed++) {
            Random random = new Random(seed);
            String text = random.nextBoolean() ? Fuzz.string(random, 40)
                    : Fuzz.string(random, 8) + "@" + Fuzz.string(random, 8) + (random.nextBoolean() ? "^" + random.nextInt(4) : "")
                    + ":" + Fuzz.joined(random, "/", 3, 5);
            Ref ref;
            try {
                ref = Ref.parse(text);
            } catch (SluiceException e) {
                assertThat(e.kind()).as("seed %d: %s", seed, text).isEqualTo(SluiceException.Kind.INVALID);
                assertThat(e.getMessage()).as("seed %d", seed).isNotBlank().doesNotContain("\n", "\r", "\0");
                continue;
            }
            assertThat(Ref.parse(ref.toString())).as("seed %d round trip of %s", seed, text).isEqualTo(ref);
            if (ref.path() != null) {
                assertThat(ref.path()).startsWith("/").doesNotContain("/../").doesNotContain("\0");
            }
        }
    }

    @Test
    void pathsNeverEscapeTheRepo() {
        for (int seed = 0; seed < CASES; seed++) {
            Random random = new Random(seed);
            String path = Fuzz.joined(random, "/", 1 + random.nextInt(5), 4) + (random.nextInt(4) == 0 ? "/.." : "");
            try {
                String normal = Ref.normalizePath(path);
                assertThat(normal).as("seed %d: %s", seed, path).startsWith("/");
                assertThat(normal.split("/")).doesNotContain("..", ".");
                assertThat(Ref.normalizePath(normal)).isEqualTo(normal);
            } catch (SluiceException e) {
                assertThat(e.kind()).isEqualTo(SluiceException.Kind.INVALID);
            }
        }
    }

    @Test
    void globsCompileOrRefuseAndLiteralsMatchThemselves() {
        for (int seed = 0; seed < CASES; seed++) {
            Random random = new Random(seed);
            String pattern = "/" + Fuzz.joined(random, "/", 1 + random.nextInt(3), 5);
            String path = "/" + Fuzz.joined(random, "/", 1 + random.nextInt(3), 5);
            Glob glob;
            try {
                glob = Glob.compile(pattern);
            } catch (SluiceException e) {
                assertThat(e.kind()).as("seed %d: %s", seed, pattern).isEqualTo(SluiceException.Kind.INVALID);
                continue;
            }
            assertThatCode(() -> glob.matches(path)).as("seed %d: %s ~ %s", seed, pattern, path).doesNotThrowAnyException();
        }
        for (int seed = 0; seed < CASES; seed++) {
            Random random = new Random(seed);
            String literal = "/" + Fuzz.joined(random, "/", 1 + random.nextInt(3), 6).replaceAll("[*?\\[\\]{}\\\\!\0/]", "x");
            if (literal.equals("/")) {
                continue;
            }
            if (List.of(literal.split("/")).contains("..")) {
                assertThatThrownBy(() -> Glob.compile(literal)).as("seed %d: %s", seed, literal)
                        .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.INVALID));
                continue;
            }
            Glob glob = Glob.compile(literal);
            assertThat(glob.matches(literal)).as("seed %d: literal %s", seed, literal).isTrue();
            assertThat(glob.matches(literal + "x")).isFalse();
        }
    }
}
