package io.sluice.pps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.SluiceException;
import io.sluice.pfs.Projects;
import io.sluice.pps.PipelineSpec.Cron;
import io.sluice.pps.PipelineSpec.Cross;
import io.sluice.pps.PipelineSpec.DatumSetSpec;
import io.sluice.pps.PipelineSpec.Gpu;
import io.sluice.pps.PipelineSpec.Group;
import io.sluice.pps.PipelineSpec.Input;
import io.sluice.pps.PipelineSpec.Join;
import io.sluice.pps.PipelineSpec.Pfs;
import io.sluice.pps.PipelineSpec.ReprocessSpec;
import io.sluice.pps.PipelineSpec.Resources;
import io.sluice.pps.PipelineSpec.SecretMount;
import io.sluice.pps.PipelineSpec.Transform;
import io.sluice.pps.PipelineSpec.Trigger;
import io.sluice.pps.PipelineSpec.Union;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses Pachyderm pipeline specs (pps.proto's CreatePipelineRequest, in JSON or YAML, one or several to a
 * text, field names in snake_case or camelCase) into {@link PipelineSpec}s, applying Pachyderm's defaults
 * and refusing, with one INVALID {@link SluiceException} line, a spec that is malformed, names unknown
 * fields (all of them, with line and column) or uses a feature Sluice does not run. Glob syntax is checked
 * by the {@code globCheck} given to the constructor (it throws on a bad pattern).
 */
public final class SpecParser {

    /** The project of a spec that names none, unless the caller gives another. */
    public static final String DEFAULT_PROJECT = Projects.DEFAULT;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");
    private static final Set<String> RESERVED_INPUT_NAMES = Set.of("out", "prev");

    private final SpecReader reader = new SpecReader("the pipeline spec");
    private final Consumer<String> globCheck;

    /** {@code mapper} is kept for callers' symmetry; specs are read with Sluice's own location-keeping reader. */
    public SpecParser(ObjectMapper mapper, Consumer<String> globCheck) {
        this.globCheck = globCheck;
    }

    /** Parses and validates the one spec in {@code text}; refuses a text holding several. */
    public PipelineSpec parse(String text) {
        return parse(text, DEFAULT_PROJECT);
    }

    /** As {@link #parse(String)}, with {@code project} for a spec that names no {@code pipeline.project}. */
    public PipelineSpec parse(String text, String project) {
        List<PipelineSpec> all = parseAll(text, project);
        if (all.size() != 1) {
            throw SluiceException.invalid("the text holds " + all.size() + " pipeline specs where one is expected");
        }
        return all.get(0);
    }

    /**
     * Parses and validates every spec in {@code text} (JSON objects, a JSON array, YAML documents), in order;
     * all or none: the first bad spec refuses the whole text. Each result's {@code raw} is its snake_case form.
     */
    public List<PipelineSpec> parseAll(String text) {
        return parseAll(text, DEFAULT_PROJECT);
    }

    /**
     * As {@link #parseAll(String)}, with {@code project} for a spec that names no {@code pipeline.project}; the
     * pipeline's name and every input repo come back qualified ({@link Projects}), an input's project defaulting
     * to the pipeline's, as in Pachyderm.
     */
    public List<PipelineSpec> parseAll(String text, String project) {
        Projects.checkName(project);
        List<SpecReader.Doc> docs = reader.read(text);
        List<PipelineSpec> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < docs.size(); i++) {
            PipelineSpec spec;
            try {
                spec = build(SpecSchema.normalize(docs.get(i)), project);
            } catch (SluiceException e) {
                if (docs.size() == 1) {
                    throw e;
                }
                throw SluiceException.invalid("pipeline spec #" + (i + 1) + ": " + e.getMessage());
            }
            if (!names.add(spec.name())) {
                throw SluiceException.invalid("pipeline '" + spec.name() + "' is specified twice in one text");
            }
            out.add(spec);
        }
        return List.copyOf(out);
    }

    private PipelineSpec build(ObjectNode root, String defaultProject) {
        JsonNode pipeline = object(root, "pipeline", "pipeline", true);
        String local = name(text(pipeline, "pipeline.name", "name", null), "pipeline.name");
        JsonNode projectNode = object(pipeline, "pipeline.project", "project", false);
        String project = projectNode == null ? defaultProject
                : project(text(projectNode, "pipeline.project.name", "name", ""), "pipeline.project.name", defaultProject);
        if (!project.equals(DEFAULT_PROJECT) && pipeline instanceof ObjectNode o) {
            // kept in the spec as given, so inspect shows the project and a re-read lands in it again
            o.putObject("project").put("name", project);
        }
        String name = Projects.qualify(project, local);

        JsonNode t = object(root, "transform", "transform", true);
        List<String> cmd = strings(t, "transform", "cmd");
        if (cmd.isEmpty()) {
            throw SluiceException.invalid("'transform.cmd' is required and must not be empty");
        }
        String workingDir = text(t, "transform.working_dir", "working_dir", "");
        if (!workingDir.isEmpty() && !workingDir.startsWith("/")) {
            throw SluiceException.invalid("'transform.working_dir' must be an absolute path (got '" + workingDir
                    + "')");
        }
        Transform transform = new Transform(cmd, strings(t, "transform", "stdin"), env(t),
                text(t, "transform.image", "image", ""), strings(t, "transform", "err_cmd"),
                strings(t, "transform", "err_stdin"), returnCodes(t), text(t, "transform.user", "user", ""),
                workingDir, secrets(t), pullSecrets(t), bool(t, "transform.debug", "debug"));

        Input input = input(object(root, "input", "input", true), "input", local, project);
        checkNames(input);

        int parallelism = 1;
        JsonNode ps = object(root, "parallelism_spec", "parallelism_spec", false);
        if (ps != null) {
            parallelism = (int) Math.max(1, nonNegative(ps, "parallelism_spec.constant", "constant", Integer.MAX_VALUE));
        }
        Resources requests = resources(root, "resource_requests");
        Resources limits = resources(root, "resource_limits");
        long tries = nonNegative(root, "datum_tries", "datum_tries", Integer.MAX_VALUE);
        String reprocess = text(root, "reprocess_spec", "reprocess_spec", "");
        ReprocessSpec reprocessSpec = switch (reprocess) {
            case "", "until_success" -> ReprocessSpec.UNTIL_SUCCESS;
            case "every_job" -> ReprocessSpec.EVERY_JOB;
            default -> throw SluiceException.invalid("'reprocess_spec' must be \"until_success\" or \"every_job\" (got '"
                    + reprocess + "')");
        };
        DatumSetSpec datumSetSpec = null;
        JsonNode ds = object(root, "datum_set_spec", "datum_set_spec", false);
        if (ds != null) {
            datumSetSpec = new DatumSetSpec(nonNegative(ds, "datum_set_spec.number", "number", Long.MAX_VALUE),
                    nonNegative(ds, "datum_set_spec.size_bytes", "size_bytes", Long.MAX_VALUE),
                    nonNegative(ds, "datum_set_spec.per_worker", "per_worker", Long.MAX_VALUE));
        }
        bool(root, "update", "update");
        bool(root, "reprocess", "reprocess");
        return new PipelineSpec(name, text(root, "description", "description", ""), transform, input, parallelism,
                tries == 0 ? 3 : (int) tries,
                branchName(text(root, "output_branch", "output_branch", "master"), "output_branch"),
                bool(root, "incremental", "incremental"), requests, limits,
                duration(root, "datum_timeout"), duration(root, "job_timeout"), reprocessSpec, datumSetSpec,
                bool(root, "autoscaling", "autoscaling"), text(root, "salt", "salt", ""), root);
    }

    private Input input(JsonNode node, String path, String pipeline, String project) {
        if (node == null || !node.isObject()) {
            throw SluiceException.invalid("'" + path + "' must be an object");
        }
        List<String> kinds = new ArrayList<>();
        node.fieldNames().forEachRemaining(f -> {
            if (!node.get(f).isNull()) {
                kinds.add(f);
            }
        });
        if (kinds.size() != 1) {
            throw SluiceException.invalid("'" + path + "' must have exactly one of pfs, cron, cross, union, join, "
                    + "group" + (kinds.isEmpty() ? "" : " (it has " + String.join(", ", kinds) + ")"));
        }
        String kind = kinds.get(0);
        String here = path + "." + kind;
        JsonNode v = node.get(kind);
        if (kind.equals("pfs")) {
            return pfs(object(node, here, kind, true), here, project);
        }
        if (kind.equals("cron")) {
            return cron(object(node, here, kind, true), here, pipeline, project);
        }
        if (!v.isArray() || v.isEmpty()) {
            throw SluiceException.invalid("'" + here + "' must be a non-empty array of inputs");
        }
        List<Input> children = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            children.add(input(v.get(i), here + "[" + i + "]", pipeline, project));
        }
        List<Input> c = List.copyOf(children);
        return switch (kind) {
            case "cross" -> new Cross(c);
            case "union" -> new Union(c);
            case "join" -> new Join(c);
            default -> new Group(c);
        };
    }

    private Pfs pfs(JsonNode v, String here, String pipelineProject) {
        String project = project(text(v, here + ".project", "project", ""), here + ".project", pipelineProject);
        String repoType = text(v, here + ".repo_type", "repo_type", "");
        if (!repoType.isEmpty() && !repoType.equals("user")) {
            throw SluiceException.invalid("'" + here + ".repo_type' must be \"user\": Sluice has no '" + repoType
                    + "' repos");
        }
        String repo = name(text(v, here + ".repo", "repo", null), here + ".repo");
        String glob = text(v, here + ".glob", "glob", null);
        try {
            globCheck.accept(glob);
        } catch (SluiceException e) {
            throw SluiceException.invalid("'" + here + ".glob': " + e.getMessage());
        } catch (RuntimeException e) {
            throw SluiceException.invalid("'" + here + ".glob' is not a valid glob: '" + glob + "': "
                    + e.getMessage());
        }
        Trigger trigger = null;
        JsonNode tr = object(v, here + ".trigger", "trigger", false);
        if (tr != null) {
            String size = scalar(tr, here + ".trigger.size", "size");
            if (size != null && size.isEmpty()) {
                size = null;
            }
            if (size != null) {
                sizeBytes(size, here + ".trigger.size");
            }
            long commits = nonNegative(tr, here + ".trigger.commits", "commits", Long.MAX_VALUE);
            String cronSpec = text(tr, here + ".trigger.cron_spec", "cron_spec", "").strip();
            if (!cronSpec.isEmpty()) {
                try {
                    CronSchedule.parse(cronSpec);
                } catch (SluiceException e) {
                    throw SluiceException.invalid("'" + here + ".trigger.cron_spec': " + e.getMessage());
                }
            }
            if (size == null && commits == 0 && cronSpec.isEmpty()) {
                throw SluiceException.invalid("'" + here + ".trigger' needs a condition: commits, size or cron_spec");
            }
            trigger = new Trigger(branchName(text(tr, here + ".trigger.branch", "branch", "master"),
                    here + ".trigger.branch"), bool(tr, here + ".trigger.all", "all"), size, commits, cronSpec);
        }
        String branch = text(v, here + ".branch", "branch", "");
        if (branch.isEmpty()) {
            branch = "master";
        }
        if (trigger != null && trigger.branch().equals(branch)) {
            throw SluiceException.invalid("'" + here + ".trigger.branch' must differ from '" + here
                    + ".branch' (both are '" + branch + "'): the trigger moves the input branch to its head");
        }
        String commit = text(v, here + ".commit", "commit", "");
        if (!commit.isEmpty() && !commit.matches("[0-9a-fA-F]{4,64}")) {
            throw SluiceException.invalid("'" + here + ".commit' must be a commit id (got '" + commit + "')");
        }
        return new Pfs(name(text(v, here + ".name", "name", repo), here + ".name"), Projects.qualify(project, repo),
                branchName(branch, here + ".branch"), glob, commit, text(v, here + ".join_on", "join_on", ""),
                bool(v, here + ".outer_join", "outer_join"), text(v, here + ".group_by", "group_by", ""),
                bool(v, here + ".lazy", "lazy"), bool(v, here + ".empty_files", "empty_files"), trigger);
    }

    private static Cron cron(JsonNode v, String here, String pipeline, String pipelineProject) {
        String project = project(text(v, here + ".project", "project", ""), here + ".project", pipelineProject);
        String name = name(text(v, here + ".name", "name", null), here + ".name");
        String spec = text(v, here + ".spec", "spec", null);
        try {
            CronSchedule.parse(spec);
        } catch (SluiceException e) {
            throw SluiceException.invalid("'" + here + ".spec': " + e.getMessage());
        }
        String repo = text(v, here + ".repo", "repo", "");
        repo = name(repo.isEmpty() ? pipeline + "_" + name : repo, here + ".repo");
        if (!text(v, here + ".commit", "commit", "").isEmpty()) {
            throw SluiceException.invalid("'" + here + ".commit' is set by Pachyderm itself; leave it out");
        }
        Instant start = null;
        JsonNode s = v.get("start");
        if (s != null && !s.isNull()) {
            if (!s.isTextual()) {
                throw SluiceException.invalid("'" + here + ".start' must be an RFC 3339 time such as "
                        + "\"2024-01-01T00:00:00Z\"");
            }
            try {
                start = OffsetDateTime.parse(s.asText()).toInstant();
            } catch (DateTimeParseException e) {
                throw SluiceException.invalid("'" + here + ".start' must be an RFC 3339 time such as "
                        + "\"2024-01-01T00:00:00Z\" (got '" + s.asText() + "')");
            }
        }
        return new Cron(name, Projects.qualify(project, repo), spec, bool(v, here + ".overwrite", "overwrite"), start);
    }

    /** Input names become /pfs/NAME: each datum must see distinct names, and out/prev are Sluice's own. */
    private static Set<String> checkNames(Input input) {
        if (input instanceof Pfs || input instanceof Cron) {
            String name = input instanceof Pfs p ? p.name() : ((Cron) input).name();
            if (RESERVED_INPUT_NAMES.contains(name)) {
                throw SluiceException.invalid("input name '" + name + "' is reserved (/pfs/" + name
                        + " is Sluice's own); set input.pfs.name");
            }
            return Set.of(name);
        }
        Set<String> all = new HashSet<>();
        boolean distinct = input instanceof Cross || input instanceof Join;
        for (Input child : input.children()) {
            Set<String> names = checkNames(child);
            if (distinct && !Collections.disjoint(all, names)) {
                names.stream().filter(all::contains).findFirst().ifPresent(n -> {
                    throw SluiceException.invalid("input name '" + n + "' appears twice in a "
                            + (input instanceof Cross ? "cross" : "join") + "; give each input a distinct "
                            + "input.pfs.name");
                });
            }
            all.addAll(names);
        }
        return all;
    }

    private static Resources resources(JsonNode root, String field) {
        JsonNode r = object(root, field, field, false);
        if (r == null) {
            return null;
        }
        Gpu gpu = null;
        JsonNode g = object(r, field + ".gpu", "gpu", false);
        if (g != null) {
            String type = text(g, field + ".gpu.type", "type", "");
            long number = nonNegative(g, field + ".gpu.number", "number", 1024);
            if (number > 0 && type.isEmpty()) {
                throw SluiceException.invalid("'" + field + ".gpu.type' is required with a number of GPUs (e.g. "
                        + "\"nvidia.com/gpu\")");
            }
            if (!type.isEmpty() && !type.matches("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")) {
                throw SluiceException.invalid("'" + field + ".gpu.type' is not a Kubernetes resource name: '" + type
                        + "'");
            }
            gpu = new Gpu(type, number);
        }
        return new Resources(scalar(r, field + ".cpu", "cpu"), scalar(r, field + ".memory", "memory"), gpu,
                scalar(r, field + ".disk", "disk"));
    }

    private static List<SecretMount> secrets(JsonNode t) {
        JsonNode s = t.get("secrets");
        if (s == null || s.isNull()) {
            return List.of();
        }
        if (!s.isArray()) {
            throw SluiceException.invalid("'transform.secrets' must be an array of secret mounts");
        }
        List<SecretMount> out = new ArrayList<>();
        for (int i = 0; i < s.size(); i++) {
            String here = "transform.secrets[" + i + "]";
            JsonNode m = s.get(i);
            if (!m.isObject()) {
                throw SluiceException.invalid("'" + here + "' must be an object");
            }
            String name = name(text(m, here + ".name", "name", null), here + ".name");
            String key = emptyToNull(text(m, here + ".key", "key", ""));
            String envVar = emptyToNull(text(m, here + ".env_var", "env_var", ""));
            String mountPath = emptyToNull(text(m, here + ".mount_path", "mount_path", ""));
            if (envVar == null && mountPath == null) {
                throw SluiceException.invalid("'" + here + "' needs env_var (with key) or mount_path");
            }
            if (envVar != null && key == null) {
                throw SluiceException.invalid("'" + here + ".key' is required with env_var");
            }
            if (envVar != null) {
                envName(envVar, here + ".env_var");
            }
            if (mountPath != null) {
                mountPath = mountPath(mountPath, here + ".mount_path");
                for (int j = 0; j < out.size(); j++) {
                    if (mountPath.equals(out.get(j).mountPath())) {
                        throw SluiceException.invalid("'" + here + ".mount_path' " + mountPath
                                + " is also transform.secrets[" + j + "].mount_path; each secret needs a directory of its own");
                    }
                }
            }
            out.add(new SecretMount(name, key, mountPath, envVar));
        }
        return List.copyOf(out);
    }

    /** {@code transform.image_pull_secrets}: names of Kubernetes Secrets the image is pulled with. */
    private static List<String> pullSecrets(JsonNode t) {
        List<String> names = strings(t, "transform", "image_pull_secrets");
        for (int i = 0; i < names.size(); i++) {
            if (!names.get(i).matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
                throw SluiceException.invalid("'transform.image_pull_secrets[" + i + "]' must be a Kubernetes Secret"
                        + " name: lower-case letters, digits, '-' and '.' (got '" + names.get(i) + "')");
            }
        }
        return names;
    }

    /**
     * A secret's directory: absolute and plain (no "." or ".." parts, no ':' Kubernetes would refuse), and
     * neither / nor /pfs or under it, where it would hide the datum's own files.
     */
    private static String mountPath(String path, String field) {
        if (!path.startsWith("/") || path.contains(":") || path.contains("\0")) {
            throw SluiceException.invalid("'" + field + "' must be an absolute path (got '" + path + "')");
        }
        String plain = java.nio.file.Path.of(path).normalize().toString();
        if (java.util.Arrays.asList(path.split("/")).contains("..") || plain.equals("/")
                || plain.equals("/pfs") || plain.startsWith("/pfs/")) {
            throw SluiceException.invalid("'" + field + "' cannot be /, /pfs or under /pfs, or go up with '..' (got '"
                    + path + "')");
        }
        return plain;
    }

    private static List<Integer> returnCodes(JsonNode t) {
        JsonNode a = t.get("accept_return_code");
        if (a == null || a.isNull()) {
            return List.of();
        }
        if (!a.isArray()) {
            throw SluiceException.invalid("'transform.accept_return_code' must be an array of exit codes");
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode c : a) {
            if (!c.canConvertToExactIntegral() || !c.canConvertToInt() || c.asInt() < 0 || c.asInt() > 255) {
                throw SluiceException.invalid("'transform.accept_return_code' must hold exit codes 0-255");
            }
            out.add(c.asInt());
        }
        return List.copyOf(out);
    }

    private static String emptyToNull(String s) {
        return s.isEmpty() ? null : s;
    }

    /** The project a spec field names, {@code otherwise} when it is empty. */
    private static String project(String project, String path, String otherwise) {
        if (project.isEmpty()) {
            return otherwise;
        }
        try {
            return Projects.checkName(project);
        } catch (SluiceException e) {
            throw SluiceException.invalid("'" + path + "': " + e.getMessage());
        }
    }

    private static String scalar(JsonNode node, String path, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() && !v.isNumber()) {
            throw SluiceException.invalid("'" + path + "' must be a string or a number");
        }
        return v.asText();
    }

    private static Map<String, String> env(JsonNode t) {
        JsonNode e = t.get("env");
        if (e == null || e.isNull()) {
            return Map.of();
        }
        if (!e.isObject()) {
            throw SluiceException.invalid("'transform.env' must be an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = e.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            envName(f.getKey(), "transform.env");
            if (!f.getValue().isValueNode() || f.getValue().isNull()) {
                throw SluiceException.invalid("'transform.env." + f.getKey() + "' must be a string");
            }
            if (f.getValue().asText().indexOf('\0') >= 0) {
                throw SluiceException.invalid("'transform.env." + f.getKey() + "' contains a NUL character");
            }
            out.put(f.getKey(), f.getValue().asText());
        }
        return Collections.unmodifiableMap(out);
    }

    /** An environment variable name a process can be given: not empty, no '=' and no NUL. */
    private static void envName(String key, String path) {
        if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0) {
            throw SluiceException.invalid("'" + path + "' key '" + key.replace("\0", "\\0") + "' is not a valid "
                    + "environment variable name: it must be non-empty and contain "
                    + "neither '=' nor NUL");
        }
    }

    private static List<String> strings(JsonNode node, String path, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw SluiceException.invalid("'" + path + "." + field + "' must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode s : v) {
            if (!s.isTextual()) {
                throw SluiceException.invalid("'" + path + "." + field + "' must be an array of strings");
            }
            out.add(s.asText());
        }
        return List.copyOf(out);
    }

    private static JsonNode object(JsonNode node, String path, String field, boolean required) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw SluiceException.invalid("'" + path + "' is required");
            }
            return null;
        }
        if (!v.isObject()) {
            throw SluiceException.invalid("'" + path + "' must be an object");
        }
        return v;
    }

    private static String text(JsonNode node, String path, String field, String dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (dflt == null) {
                throw SluiceException.invalid("'" + path + "' is required");
            }
            return dflt;
        }
        if (!v.isTextual()) {
            throw SluiceException.invalid("'" + path + "' must be a string");
        }
        return v.asText();
    }

    private static boolean bool(JsonNode node, String path, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw SluiceException.invalid("'" + path + "' must be true or false");
        }
        return v.booleanValue();
    }

    /** A whole number from 0 to {@code max} (protobuf JSON also allows it as a string); 0 when not given. */
    private static long nonNegative(JsonNode node, String path, String field, long max) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return 0;
        }
        if (v.isTextual() && v.asText().matches("\\d{1,18}")) {
            v = com.fasterxml.jackson.databind.node.LongNode.valueOf(Long.parseLong(v.asText()));
        }
        if (!v.isNumber() || !v.canConvertToExactIntegral() || !v.canConvertToLong() || v.asLong() < 0
                || v.asLong() > max) {
            throw SluiceException.invalid("'" + path + "' must be a whole number from 0 to " + max);
        }
        return v.asLong();
    }

    /** A protobuf Duration as JSON gives it ("1.5s") or a Go duration ("1h30m", "500ms"); null when unset. */
    private static Duration duration(JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        String text = v.isTextual() ? v.asText().strip() : "";
        Duration d = parseDuration(text);
        if (d == null) {
            throw SluiceException.invalid("'" + field + "' must be a duration such as \"30s\", \"1.5s\" or \"1h30m\""
                    + (v.isTextual() ? " (got '" + text + "')" : ""));
        }
        return d.isZero() ? null : d;
    }

    static Duration parseDuration(String text) {
        if (text.isEmpty() || text.equals("0")) {
            return text.isEmpty() ? null : Duration.ZERO;
        }
        Matcher m = DURATION_PART.matcher(text);
        int at = 0;
        double nanos = 0;
        while (at < text.length()) {
            if (!m.find(at) || m.start() != at) {
                return null;
            }
            double n = Double.parseDouble(m.group(1));
            nanos += n * switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            at = m.end();
        }
        if (nanos > 100L * 365 * 24 * 3600 * 1e9) {
            return null;
        }
        return Duration.ofNanos((long) nanos);
    }

    /** A Kubernetes-style size ("1M", "10Gi", "500"): bytes. */
    static long sizeBytes(String size, String path) {
        Matcher m = Pattern.compile("(\\d{1,15})\\s*([KMGTP]i?|[kmgtp]i?)?[Bb]?").matcher(size.strip());
        if (!m.matches()) {
            throw SluiceException.invalid("'" + path + "' must be a size such as \"1M\" or \"10Gi\" (got '" + size
                    + "')");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2).toUpperCase(java.util.Locale.ROOT);
        int power = unit.isEmpty() ? 0 : "KMGTP".indexOf(unit.charAt(0)) + 1;
        long base = unit.endsWith("I") ? 1024 : 1000;
        try {
            for (int i = 0; i < power; i++) {
                n = Math.multiplyExact(n, base);
            }
        } catch (ArithmeticException e) {
            throw SluiceException.invalid("'" + path + "' is too large: '" + size + "'");
        }
        return n;
    }

    private static String name(String value, String path) {
        if (!NAME.matcher(value).matches()) {
            throw SluiceException.invalid("'" + path + "' must be 1-63 letters, digits, '-' or '_' (got '"
                    + value + "')");
        }
        return value;
    }

    private static String branchName(String value, String path) {
        if (value.isEmpty() || value.contains("/") || value.contains("^") || value.contains(" ")) {
            throw SluiceException.invalid("'" + path + "' is not a valid branch name: '" + value + "'");
        }
        return value;
    }
}
