package io.sluice.pps;

import io.sluice.Json;
import io.sluice.SluiceException;
import io.sluice.pfs.Glob;
import io.sluice.pps.PipelineSpec.Cross;
import io.sluice.pps.PipelineSpec.Pfs;
import io.sluice.pps.PipelineSpec.Resources;
import io.sluice.pps.PipelineSpec.Union;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpecParserTest {

    private final SpecParser parser = new SpecParser(Json.mapper(), Glob::compile);

    private static String q(String json) {
        return json.replace('\'', '"');
    }

    @Test
    void parsesEveryFieldOfAPachydermSpec() {
        PipelineSpec s = parser.parse(q("""
                {
                  'pipeline': {'name': 'predict'},
                  'description': 'predicts ratings',
                  'transform': {
                    'cmd': ['sh'],
                    'stdin': ['cp /pfs/streaming/* /pfs/out/'],
                    'env': {'FACTORS': '20', 'SEED': 7},
                    'image': 'sluice/predict:latest'
                  },
                  'input': {'cross': [
                    {'pfs': {'repo': 'streaming', 'glob': '/*', 'branch': 'dev', 'name': 'requests'}},
                    {'union': [{'pfs': {'repo': 'train', 'glob': '/'}}, {'pfs': {'repo': 'extra', 'glob': '/**'}}]}
                  ]},
                  'parallelism_spec': {'constant': 4},
                  'datum_tries': 5,
                  'output_branch': 'results',
                  'incremental': true,
                  'resource_requests': {'cpu': 0.5, 'memory': '64M'},
                  'resource_limits': {'cpu': '2', 'memory': '1G'}
                }"""));
        assertThat(s.name()).isEqualTo("predict");
        assertThat(s.description()).isEqualTo("predicts ratings");
        assertThat(s.transform().cmd()).containsExactly("sh");
        assertThat(s.transform().stdin()).containsExactly("cp /pfs/streaming/* /pfs/out/");
        assertThat(s.transform().env()).isEqualTo(Map.of("FACTORS", "20", "SEED", "7"));
        assertThat(s.transform().image()).isEqualTo("sluice/predict:latest");
        assertThat(s.input()).isEqualTo(new Cross(List.of(
                new Pfs("requests", "streaming", "dev", "/*"),
                new Union(List.of(new Pfs("train", "train", "master", "/"), new Pfs("extra", "extra", "master", "/**"))))));
        assertThat(s.parallelism()).isEqualTo(4);
        assertThat(s.datumTries()).isEqualTo(5);
        assertThat(s.outputBranch()).isEqualTo("results");
        assertThat(s.incremental()).isTrue();
        assertThat(s.requests()).isEqualTo(new Resources("0.5", "64M"));
        assertThat(s.limits()).isEqualTo(new Resources("2", "1G"));
        assertThat(s.inputBranches()).extracting(PipelineSpec.RepoBranch::repo).containsExactly("streaming", "train", "extra");
        assertThat(s.raw().path("pipeline").path("name").asText()).isEqualTo("predict");
    }

    @Test
    void appliesPachydermDefaults() {
        PipelineSpec s = parser.parse(q("""
                {'pipeline': {'name': 'copy'}, 'transform': {'cmd': ['cp', '-r', '/pfs/in', '/pfs/out']},
                 'input': {'pfs': {'repo': 'in', 'glob': '/*'}}}"""));
        assertThat(s.input()).isEqualTo(new Pfs("in", "in", "master", "/*"));
        assertThat(s.parallelism()).isEqualTo(1);
        assertThat(s.datumTries()).isEqualTo(3);
        assertThat(s.outputBranch()).isEqualTo("master");
        assertThat(s.incremental()).isFalse();
        assertThat(s.transform().stdin()).isEmpty();
        assertThat(s.transform().env()).isEmpty();
        assertThat(s.transform().image()).isEmpty();
        assertThat(s.description()).isEmpty();
        assertThat(s.requests()).isNull();
        assertThat(s.limits()).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x'], 'foo': 1}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|unsupported field 'transform.foo'",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/', 'lazy': true}}|unsupported field 'input.pfs.lazy'",
            "'pipeline': {'name': 'p', 'project': 'x'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|unsupported field 'pipeline.project'",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}, 'enable_stats': true|unsupported field 'enable_stats'",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'cron': {'spec': '@every 1m'}}|unsupported field 'input.cron'",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'cross': [{'pfs': {'repo': 'r', 'glob': '/', 'x': 1}}]}|unsupported field 'input.cross[0].pfs.x'",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}, 'parallelism_spec': {'coefficient': 1}|unsupported field 'parallelism_spec.coefficient'",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}, 'resource_limits': {'gpu': 1}|unsupported field 'resource_limits.gpu'",
            "'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|'pipeline' is required",
            "'pipeline': {'name': 'p'}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|'transform' is required",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': []}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|'transform.cmd' is required",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}|'input' is required",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r'}}|'input.pfs.glob' is required",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'glob': '/'}}|'input.pfs.repo' is required",
            "'pipeline': {'name': 'a b'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|'pipeline.name' must be",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': 'x'}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|'transform.cmd' must be an array",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}, 'datum_tries': 0|'datum_tries' must be a positive integer",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}, 'parallelism_spec': {'constant': 1.5}|'parallelism_spec.constant' must be a positive integer",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}, 'incremental': 'yes'|'incremental' must be true or false",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}, 'union': []}|exactly one of pfs, cross, union",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'cross': []}|'input.cross' must be a non-empty array",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'cross': [{'pfs': {'repo': 'r', 'glob': '/'}}, {'pfs': {'repo': 'r', 'glob': '/*'}}]}|input name 'r' appears twice in a cross",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'out', 'glob': '/'}}|input name 'out' is reserved",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}, 'output_branch': 'a/b'|'output_branch' is not a valid branch name",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x'], 'env': {'A': [1]}}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|'transform.env.A' must be a string",
    })
    void refusesWithAMessageNamingTheProblem(String body, String message) {
        assertThatThrownBy(() -> parser.parse(q("{" + body + "}")))
                .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.INVALID))
                .hasMessageContaining(message);
    }

    @Test
    void refusesMalformedJsonAndNonObjects() {
        assertThatThrownBy(() -> parser.parse("{\"pipeline\": ")).isInstanceOf(SluiceException.class)
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> parser.parse("[1]")).isInstanceOf(SluiceException.class)
                .hasMessageContaining("must be a JSON object");
    }

    @Test
    void unionMembersMayShareAnInputName() {
        PipelineSpec s = parser.parse(q("""
                {'pipeline': {'name': 'u'}, 'transform': {'cmd': ['x']},
                 'input': {'union': [{'pfs': {'repo': 'a', 'glob': '/*', 'name': 'in'}},
                                     {'pfs': {'repo': 'b', 'glob': '/*', 'name': 'in'}}]}}"""));
        assertThat(s.input().leaves()).extracting(Pfs::name).containsExactly("in", "in");
    }

    @Test
    void refusesMalformedGlobsNamingTheInput() {
        assertThatThrownBy(() -> parser.parse(q("""
                {'pipeline': {'name': 'g'}, 'transform': {'cmd': ['x']},
                 'input': {'cross': [{'pfs': {'repo': 'a', 'glob': '/*'}}, {'pfs': {'repo': 'b', 'glob': '/[a-'}}]}}""")))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("input.cross[1].pfs.glob");
    }
}
