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
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x'], 'foo': 1}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|unknown field 'transform.foo' at line 1, column",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/', 's3': true}}|Sluice does not run S3 gateway inputs (pfs.s3) yet",
            "'pipeline': {'name': 'p', 'project': {'name': 'x.y'}}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|'pipeline.project.name': invalid project name 'x.y'",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/', 'project': 'a/b'}}|'input.pfs.project': invalid project name 'a/b'",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}, 'enable_stats': true|unknown field 'enable_stats' at line 1",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'cron': {'spec': '@every 1m'}}|'input.cron.name' is required",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'cross': [{'pfs': {'repo': 'r', 'glob': '/', 'x': 1}}]}|unknown field 'input.cross[0].pfs.x' at line 1",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}, 'parallelism_spec': {'coefficient': 1}|unknown field 'parallelism_spec.coefficient'",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}, 'resource_limits': {'gpu': 1}|'resource_limits.gpu' must be an object",
            "'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|'pipeline' is required",
            "'pipeline': {'name': 'p'}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|'transform' is required",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': []}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|'transform.cmd' is required",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}|'input' is required",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r'}}|'input.pfs.glob' is required",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'glob': '/'}}|'input.pfs.repo' is required",
            "'pipeline': {'name': 'a b'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|'pipeline.name' must be",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': 'x'}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}|'transform.cmd' must be an array",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}, 'datum_tries': -1|'datum_tries' must be a whole number",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}, 'parallelism_spec': {'constant': 1.5}|'parallelism_spec.constant' must be a whole number",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}, 'incremental': 'yes'|'incremental' must be true or false",
            "'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}, 'union': []}|exactly one of pfs, cron, cross, union, join, group",
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
    void projectsQualifyThePipelineAndItsInputsAsPachydermDefaultsThem() {
        String spec = "{'pipeline': {'name': 'p'PROJECT}, 'transform': {'cmd': ['x']}, 'input': {'cross': ["
                + "{'pfs': {'repo': 'a', 'glob': '/'}}, {'pfs': {'repo': 'b', 'glob': '/', 'project': 'other'}},"
                + "{'pfs': {'repo': 'c', 'glob': '/', 'project': 'default'}}, {'cron': {'name': 't', 'spec': '@every 1m'}}]}}";
        PipelineSpec inDefault = parser.parse(spec.replace("PROJECT", "").replace('\'', '"'));
        assertThat(inDefault.name()).isEqualTo("p");
        assertThat(inDefault.input().leaves()).extracting(PipelineSpec.Pfs::repo).containsExactly("a", "other/b", "c", "p_t");
        assertThat(inDefault.input().leaves()).extracting(PipelineSpec.Pfs::name).containsExactly("a", "b", "c", "t");

        // the spec's own project, or else the caller's, holds the pipeline and the inputs that name none
        PipelineSpec named = parser.parse(spec.replace("PROJECT", ", 'project': {'name': 'ml'}").replace('\'', '"'));
        PipelineSpec given = parser.parse(spec.replace("PROJECT", "").replace('\'', '"'), "ml");
        for (PipelineSpec s : List.of(named, given)) {
            assertThat(s.name()).isEqualTo("ml/p");
            assertThat(s.input().leaves()).extracting(PipelineSpec.Pfs::repo).containsExactly("ml/a", "other/b", "c", "ml/p_t");
            assertThat(s.raw().get("pipeline").get("project").get("name").asText()).isEqualTo("ml");
        }
        // a re-read of the stored spec lands in the same project
        assertThat(parser.parse(given.raw().toString()).name()).isEqualTo("ml/p");
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

    @Test
    void secretMountPathsAreAbsoluteOwnDirectoriesOutsidePfs() {
        String template = q("""
                {'pipeline': {'name': 'q'}, 'input': {'pfs': {'repo': 'a', 'glob': '/'}},
                 'transform': {'cmd': ['x'], 'imagePullSecrets': [PULL],
                               'secrets': [{'name': 's', 'mountPath': 'PATH'}, {'name': 't', 'mountPath': '/other'}]}}""");
        assertThat(parser.parse(template.replace("PULL", "").replace("PATH", "/tmp/mongosecret")).transform().secrets())
                .extracting(PipelineSpec.SecretMount::mountPath).containsExactly("/tmp/mongosecret", "/other");
        for (String bad : List.of("tmp/x", "/", "/pfs", "/pfs/in", "/tmp/../etc", "/a:b")) {
            assertThatThrownBy(() -> parser.parse(template.replace("PULL", "").replace("PATH", bad)))
                    .as(bad).isInstanceOf(SluiceException.class).hasMessageContaining("transform.secrets[0].mount_path");
        }
        assertThatThrownBy(() -> parser.parse(template.replace("PULL", "").replace("PATH", "/other/")))
                .hasMessageContaining("'transform.secrets[1].mount_path' /other is also transform.secrets[0].mount_path");
        assertThatThrownBy(() -> parser.parse(template.replace("PULL", "\"Reg_Cred\"").replace("PATH", "/s")))
                .hasMessageContaining("'transform.image_pull_secrets[0]' must be a Kubernetes Secret name");
    }

    /** One spec using every field Sluice runs, in snake_case. */
    private static final String EVERY_FIELD = q("""
            {"pipeline": {"name": "all", "project": {"name": "default"}}, "description": "d",
             "transform": {"cmd": ["sh"], "stdin": ["true"], "err_cmd": ["true"], "err_stdin": ["x"],
                           "env": {"K": "v"}, "image": "i:1", "accept_return_code": [1, 2], "user": "nobody",
                           "working_dir": "/tmp", "debug": true,
                           "secrets": [{"name": "creds", "key": "token", "env_var": "TOKEN"},
                                       {"name": "pgpass", "mount_path": "/secrets/pgpass/"}],
                           "image_pull_secrets": ["regcred", "mirror.creds"]},
             "input": {"cross": [
                 {"join": [{"pfs": {"repo": "a", "glob": "/(*).txt", "join_on": "$1", "outer_join": true,
                                    "project": "default", "repo_type": "user", "lazy": true, "empty_files": true}},
                           {"pfs": {"repo": "b", "glob": "/(*).csv", "join_on": "$1", "branch": "dev"}}]},
                 {"group": [{"pfs": {"repo": "c", "glob": "/*-(*)", "group_by": "$1", "name": "cc",
                                     "trigger": {"branch": "staging", "commits": 2, "size": "1M", "all": true}}}]},
                 {"cron": {"name": "tick", "spec": "@every 10s", "overwrite": true, "start": "2024-01-01T00:00:00Z"}},
                 {"union": [{"pfs": {"repo": "d", "glob": "/", "commit": "0123abcd"}}]}]},
             "parallelism_spec": {"constant": 2}, "datum_tries": 4, "output_branch": "out", "incremental": false,
             "resource_requests": {"cpu": 0.5, "memory": "64M", "disk": "1G", "gpu": {"type": "nvidia.com/gpu", "number": 1}},
             "resource_limits": {"cpu": "1", "memory": "1G"},
             "datum_timeout": "1m30s", "job_timeout": "3600s", "reprocess_spec": "every_job",
             "datum_set_spec": {"number": 5, "size_bytes": 1000, "per_worker": 2}, "autoscaling": true,
             "salt": "s1", "update": false, "reprocess": false}
            """);

    @Test
    void parsesEveryFieldSluiceRuns() {
        PipelineSpec s = parser.parse(EVERY_FIELD);
        assertThat(s.transform().errCmd()).containsExactly("true");
        assertThat(s.transform().errStdin()).containsExactly("x");
        assertThat(s.transform().acceptReturnCode()).containsExactly(1, 2);
        assertThat(s.transform().user()).isEqualTo("nobody");
        assertThat(s.transform().workingDir()).isEqualTo("/tmp");
        assertThat(s.transform().secrets()).containsExactly(new PipelineSpec.SecretMount("creds", "token", null, "TOKEN"),
                new PipelineSpec.SecretMount("pgpass", null, "/secrets/pgpass", null));
        assertThat(s.transform().imagePullSecrets()).containsExactly("regcred", "mirror.creds");
        assertThat(s.datumTimeout()).isEqualTo(java.time.Duration.ofSeconds(90));
        assertThat(s.jobTimeout()).isEqualTo(java.time.Duration.ofHours(1));
        assertThat(s.reprocessSpec()).isEqualTo(PipelineSpec.ReprocessSpec.EVERY_JOB);
        assertThat(s.datumSetSpec()).isEqualTo(new PipelineSpec.DatumSetSpec(5, 1000, 2));
        assertThat(s.autoscaling()).isTrue();
        assertThat(s.salt()).isEqualTo("s1");
        assertThat(s.requests().amounts()).containsExactly(Map.entry("cpu", "0.5"), Map.entry("memory", "64M"),
                Map.entry("ephemeral-storage", "1G"), Map.entry("nvidia.com/gpu", "1"));
        Cross cross = (Cross) s.input();
        PipelineSpec.Join join = (PipelineSpec.Join) cross.inputs().get(0);
        assertThat(join.inputs()).containsExactly(
                new Pfs("a", "a", "master", "/(*).txt", "", "$1", true, "", true, true, null),
                new Pfs("b", "b", "dev", "/(*).csv", "", "$1", false, "", false, false, null));
        PipelineSpec.Group group = (PipelineSpec.Group) cross.inputs().get(1);
        assertThat(((Pfs) group.inputs().get(0)).trigger()).isEqualTo(new PipelineSpec.Trigger("staging", true, "1M", 2));
        assertThat(cross.inputs().get(2)).isEqualTo(new PipelineSpec.Cron("tick", "all_tick", "@every 10s", true,
                java.time.Instant.parse("2024-01-01T00:00:00Z")));
        assertThat(s.input().leaves()).extracting(Pfs::repo).containsExactly("a", "b", "c", "all_tick", "d");
        assertThat(((Pfs) ((Union) cross.inputs().get(3)).inputs().get(0)).commit()).isEqualTo("0123abcd");
    }

    @Test
    void camelCaseIsTheSameSpecAsSnakeCase() throws Exception {
        com.fasterxml.jackson.databind.JsonNode snake = Json.mapper().readTree(EVERY_FIELD);
        String camel = Json.mapper().writeValueAsString(camelize(snake, false));
        assertThat(camel).contains("joinOn", "outerJoin", "groupBy", "emptyFiles", "acceptReturnCode", "errCmd",
                "datumSetSpec", "sizeBytes", "perWorker", "parallelismSpec", "resourceRequests", "reprocessSpec",
                "workingDir", "envVar", "repoType", "datumTimeout");
        assertThat(parser.parse(camel)).isEqualTo(parser.parse(EVERY_FIELD));
        assertThat(parser.parse(camel).raw().toString()).doesNotContain("joinOn");
    }

    /** The JSON names of every field (keys of the env map stay as they are). */
    private static com.fasterxml.jackson.databind.JsonNode camelize(com.fasterxml.jackson.databind.JsonNode n, boolean mapKeys) {
        if (n.isObject()) {
            com.fasterxml.jackson.databind.node.ObjectNode o = Json.mapper().createObjectNode();
            n.fields().forEachRemaining(e -> o.set(mapKeys ? e.getKey() : SpecSchema.camel(e.getKey()),
                    camelize(e.getValue(), e.getKey().equals("env"))));
            return o;
        }
        if (n.isArray()) {
            com.fasterxml.jackson.databind.node.ArrayNode a = Json.mapper().createArrayNode();
            n.forEach(x -> a.add(camelize(x, false)));
            return a;
        }
        return n;
    }

    @Test
    void yamlAndSeveralSpecsInOneText() {
        String yaml = """
                pipeline:
                  name: first
                transform:
                  cmd: [sh]
                  stdin:
                    - cp /pfs/in/* /pfs/out/
                input:
                  pfs: {repo: in, glob: "/*", emptyFiles: true}
                ---
                pipeline: {name: second}
                transform: {cmd: [sh]}
                input: {pfs: {repo: first, glob: /}}
                parallelismSpec: {constant: 3}
                """;
        List<PipelineSpec> specs = parser.parseAll(yaml);
        assertThat(specs).extracting(PipelineSpec::name).containsExactly("first", "second");
        assertThat(((Pfs) specs.get(0).input()).emptyFiles()).isTrue();
        assertThat(specs.get(1).parallelism()).isEqualTo(3);
        String one = q("{'pipeline': {'name': 'x1'}, 'transform': {'cmd': ['a']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}}");
        String two = one.replace("x1", "x2");
        assertThat(parser.parseAll(one + "\n" + two)).extracting(PipelineSpec::name).containsExactly("x1", "x2");
        assertThat(parser.parseAll("[" + one + ", " + two + "]")).extracting(PipelineSpec::name).containsExactly("x1", "x2");
        assertThatThrownBy(() -> parser.parse(one + two)).hasMessageContaining("holds 2 pipeline specs");
        assertThatThrownBy(() -> parser.parseAll(one + one)).hasMessageContaining("'x1' is specified twice");
        assertThatThrownBy(() -> parser.parseAll(one + " garbage")).hasMessageContaining("not valid JSON at line 1, column");
        assertThatThrownBy(() -> parser.parseAll(one + " 5")).hasMessageContaining("spec #2 must be a JSON object, not a number");
        assertThatThrownBy(() -> parser.parseAll("[" + one + "] {}")).hasMessageContaining("after its closing ']'");
        assertThatThrownBy(() -> parser.parseAll(one + "\n" + two.replace("'a'", "1").replace("[\"a\"]", "[1]")))
                .hasMessageStartingWith("pipeline spec #2: 'transform.cmd' must be an array of strings");
    }

    @Test
    void everyUnknownFieldIsNamedWithItsLineAndColumnInOneMessage() {
        String text = "{\"pipeline\": {\"name\": \"p\", \"nmae\": 1},\n"
                + "  \"transform\": {\"cmd\": [\"x\"], \"cmdd\": []},\n"
                + "  \"input\": {\"pfs\": {\"repo\": \"r\", \"glob\": \"/\", \"join_On\": \"$1\"}},\n"
                + "  \"enableStats\": true}";
        assertThatThrownBy(() -> parser.parse(text))
                .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.INVALID))
                .hasMessageStartingWith("4 unknown fields: 'pipeline.nmae' at line 1, column 28; "
                        + "'transform.cmdd' at line 2, column 31; 'input.pfs.join_On' at line 3, column 47; "
                        + "'enableStats' at line 4, column 3");
        assertThatThrownBy(() -> parser.parse("pipeline: {name: p}\ntransform: {cmd: [x]}\ninput: {pfs: {repo: r, glob: /}}\nbogus: 1\n"))
                .hasMessageStartingWith("unknown field 'bogus' at line 4, column 1");
        assertThatThrownBy(() -> parser.parse(q("{'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, "
                + "'input': {'pfs': {'repo': 'r', 'glob': '/', 'join_on': 'a', 'joinOn': 'b'}}}")))
                .hasMessageContaining("'input.pfs.join_on' is given twice");
    }

    @Test
    void syntaxErrorsNameLineAndColumnWithoutParserInternals() {
        for (String bad : List.of("{\"pipeline\": {\"name\": \"p\",}\n}", "{\n  \"a\": tru\n}", "{\"a\": 1", "{\"a\" 1}",
                "{\"a\": 1, \"a\": 2}", "pipeline: [a\ntransform: x: y", "a: b\n c: d: e")) {
            assertThatThrownBy(() -> parser.parse(bad)).as(bad)
                    .isInstanceOfSatisfying(SluiceException.class, e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.INVALID))
                    .hasMessageMatching("the pipeline spec is not valid (JSON|YAML) at line \\d+, column \\d+: .+")
                    .message().doesNotContain("Source", "code", "com.fasterxml", "snakeyaml", "\n", "Exception");
        }
        assertThatThrownBy(() -> parser.parse("{\n  \"a\": tru\n}")).hasMessageContaining("at line 2, column");
    }

    @Test
    void featuresSluiceDoesNotRunAreRefusedInOneLineNamingThem() {
        String base = "{'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}";
        for (var c : Map.of("'spout': {'overwrite': true}", "spouts (spout)", "'service': {'internal_port': 80}",
                "service pipelines (service)", "'egress': {'URL': 's3://b'}", "egress", "'s3_out': true",
                "the S3 gateway output (s3_out)", "'s3Out': true", "the S3 gateway output (s3_out)").entrySet()) {
            assertThatThrownBy(() -> parser.parse(q(base + ", " + c.getKey() + "}")))
                    .isInstanceOf(SluiceException.class)
                    .hasMessage("Sluice does not run " + c.getValue() + " yet");
        }
        assertThat(parser.parse(q(base + ", 's3_out': false}")).name()).isEqualTo("p");
        // Pachyderm declares a spout with an empty object, and needs no input then
        assertThatThrownBy(() -> parser.parse(q("{'pipeline': {'name': 'p'}, 'spout': {}, 'transform': {'cmd': ['x']}}")))
                .hasMessage("Sluice does not run spouts (spout) yet");
    }

    @Test
    void jsonObjectsBetweenYamlSeparatorsAreSeveralSpecs() {
        String one = q("{'pipeline': {'name': 'x1'}, 'transform': {'cmd': ['a']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}}");
        assertThat(parser.parseAll(one + "\n---\n" + one.replace("x1", "x2") + "\n"))
                .extracting(PipelineSpec::name).containsExactly("x1", "x2");
        // a tab after a value, as in Pachyderm's examples/ml/tensorflow: JSON whitespace, not a YAML error
        String tabbed = one.replace("['a']", "['a']\t");
        assertThat(parser.parseAll(tabbed + "\n---\n" + tabbed.replace("x1", "x2")))
                .extracting(PipelineSpec::name).containsExactly("x1", "x2");
    }

    @Test
    void envKeysAProcessCannotTakeAreRefused() {
        for (String key : List.of("A=B", "", "A\\u0000B")) {
            assertThatThrownBy(() -> parser.parse(q("{'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x'], 'env': {'"
                    + key + "': 'v'}}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}}")))
                    .as(key).isInstanceOf(SluiceException.class).hasMessageContaining("is not a valid environment variable name");
        }
    }

    @Test
    void durationsCronSchedulesAndDefaults() {
        String base = "{'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, 'input': {'pfs': {'repo': 'r', 'glob': '/'}}";
        assertThat(parser.parse(q(base + ", 'datum_timeout': '1.5s'}")).datumTimeout()).isEqualTo(java.time.Duration.ofMillis(1500));
        assertThat(parser.parse(q(base + ", 'job_timeout': '2h30m'}")).jobTimeout()).isEqualTo(java.time.Duration.ofMinutes(150));
        assertThatThrownBy(() -> parser.parse(q(base + ", 'job_timeout': '10 minutes'}"))).hasMessageContaining("'job_timeout' must be a duration");
        assertThat(parser.parse(q(base + ", 'datum_tries': 0, 'parallelism_spec': {'constant': 0}}")).datumTries()).isEqualTo(3);
        for (String bad : List.of("* * *", "61 * * * *", "@every 0s", "@fortnightly", "5-1 * * * *")) {
            assertThatThrownBy(() -> parser.parse(q("{'pipeline': {'name': 'p'}, 'transform': {'cmd': ['x']}, "
                    + "'input': {'cron': {'name': 'c', 'spec': '" + bad + "'}}}"))).as(bad).hasMessageContaining("'input.cron.spec'");
        }
    }
}
