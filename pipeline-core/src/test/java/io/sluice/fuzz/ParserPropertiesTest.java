package io.sluice.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.Json;
import io.sluice.SluiceException;
import io.sluice.pfs.Glob;
import io.sluice.pfs.Ref;
import io.sluice.pps.PipelineSpec;
import io.sluice.pps.SpecParser;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Properties of the ref, path, glob and pipeline spec parsers over thousands of hostile inputs: they either
 * answer or refuse with a readable INVALID error (never another exception), and what they accept round-trips.
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
            List<String> segments = List.of(literal.replaceAll("/+\\z", "").substring(1).split("/", -1));
            if (segments.contains("..") || segments.contains(".") || segments.contains("")) {
                assertThatThrownBy(() -> Glob.compile(literal)).as("seed %d: %s", seed, literal)
                        .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.INVALID));
                continue;
            }
            Glob glob = Glob.compile(literal);
            assertThat(glob.matches(literal)).as("seed %d: literal %s", seed, literal).isTrue();
            assertThat(glob.matches(literal + "x")).isFalse();
        }
    }

    /** Every field of the spec format, so that mutations reach every branch of the parser. */
    private static final String RICH_SPEC = """
            {"pipeline": {"name": "fuzzed"}, "description": "d",
             "transform": {"cmd": ["sh"], "stdin": ["cp /pfs/a/* /pfs/out/"], "env": {"K": "v"}, "image": "i:1"},
             "input": {"cross": [{"pfs": {"repo": "a", "branch": "master", "glob": "/*", "name": "a"}},
                                 {"union": [{"pfs": {"repo": "b", "glob": "/"}}, {"pfs": {"repo": "c", "glob": "/**"}}]}]},
             "parallelism_spec": {"constant": 2}, "datum_tries": 3, "output_branch": "master", "incremental": false,
             "resource_requests": {"cpu": "0.5", "memory": "64M"}, "resource_limits": {"cpu": "1", "memory": "1G"}}
            """;

    @Test
    void specsParseOrRefuseCleanlyAndTheirRawFormParsesTheSame() throws Exception {
        ObjectMapper mapper = Json.mapper();
        SpecParser parser = new SpecParser(mapper, Glob::compile);
        JsonNode base = mapper.readTree(RICH_SPEC);
        assertThat(parser.parse(RICH_SPEC).name()).isEqualTo("fuzzed");
        int accepted = 0;
        for (int seed = 0; seed < CASES; seed++) {
            Random random = new Random(seed);
            String text = mutate(random, base.deepCopy(), mapper);
            PipelineSpec spec;
            try {
                spec = parser.parse(text);
            } catch (SluiceException e) {
                assertThat(e.kind()).as("seed %d: %s", seed, text).isEqualTo(SluiceException.Kind.INVALID);
                assertThat(e.getMessage()).as("seed %d", seed).isNotBlank().doesNotContain("\n", "\r");
                continue;
            }
            accepted++;
            assertThat(spec.name()).as("seed %d: %s", seed, text).matches("[A-Za-z0-9][A-Za-z0-9_-]*");
            assertThat(spec.parallelism()).as("seed %d", seed).isPositive();
            assertThat(spec.datumTries()).as("seed %d", seed).isPositive();
            assertThat(spec.transform().cmd()).as("seed %d", seed).isNotEmpty();
            assertThat(parser.parse(mapper.writeValueAsString(spec.raw()))).as("seed %d", seed).isEqualTo(spec);
        }
        assertThat(accepted).as("some mutations keep the spec valid").isBetween(CASES / 20, CASES - CASES / 20);
    }

    /** One to three random edits of the spec's tree, or of its text. */
    private static String mutate(Random random, JsonNode spec, ObjectMapper mapper) throws Exception {
        for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
            List<ContainerNode<?>> containers = new ArrayList<>();
            collect(spec, containers);
            ContainerNode<?> at = containers.get(random.nextInt(containers.size()));
            JsonNode value = randomValue(random, mapper);
            if (at instanceof ObjectNode o) {
                List<String> names = new ArrayList<>();
                o.fieldNames().forEachRemaining(names::add);
                switch (random.nextInt(3)) {
                    case 0 -> { if (!names.isEmpty()) o.remove(names.get(random.nextInt(names.size()))); }
                    case 1 -> { if (!names.isEmpty()) o.set(names.get(random.nextInt(names.size())), value); }
                    default -> o.set(random.nextBoolean() ? Fuzz.string(random, 8) : "name", value);
                }
            } else if (at instanceof ArrayNode a) {
                if (a.isEmpty() || random.nextBoolean()) {
                    a.add(value);
                } else {
                    a.set(random.nextInt(a.size()), value);
                }
            }
        }
        String text = mapper.writeValueAsString(spec);
        return switch (random.nextInt(10)) {
            case 0 -> text.substring(0, random.nextInt(text.length()));
            case 1 -> {
                int i = random.nextInt(text.length());
                yield text.substring(0, i) + Fuzz.string(random, 6) + text.substring(i);
            }
            default -> text;
        };
    }

    private static void collect(JsonNode node, List<ContainerNode<?>> out) {
        if (node instanceof ContainerNode<?> c) {
            out.add(c);
            node.forEach(child -> collect(child, out));
        }
    }

    private static JsonNode randomValue(Random random, ObjectMapper mapper) {
        return switch (random.nextInt(9)) {
            case 0 -> mapper.getNodeFactory().nullNode();
            case 1 -> mapper.getNodeFactory().booleanNode(random.nextBoolean());
            case 2 -> mapper.getNodeFactory().numberNode(random.nextInt(7) - 3);
            case 3 -> mapper.getNodeFactory().numberNode(random.nextDouble() * 1e12);
            case 4 -> mapper.getNodeFactory().arrayNode().add(Fuzz.string(random, 6));
            case 5 -> mapper.getNodeFactory().objectNode().put(Fuzz.string(random, 4), Fuzz.string(random, 4));
            case 6 -> mapper.getNodeFactory().textNode(random.nextBoolean() ? "/*" : "../x");
            default -> mapper.getNodeFactory().textNode(Fuzz.string(random, 12));
        };
    }
}
