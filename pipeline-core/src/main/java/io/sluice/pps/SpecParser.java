package io.sluice.pps;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.SluiceException;
import io.sluice.pps.PipelineSpec.Cross;
import io.sluice.pps.PipelineSpec.Input;
import io.sluice.pps.PipelineSpec.Pfs;
import io.sluice.pps.PipelineSpec.Resources;
import io.sluice.pps.PipelineSpec.Transform;
import io.sluice.pps.PipelineSpec.Union;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Parses a Pachyderm-format JSON pipeline spec into a {@link PipelineSpec}, applying Pachyderm's defaults
 * and refusing, with an INVALID {@link SluiceException} naming it, any field Sluice does not support.
 * Glob syntax is checked by the {@code globCheck} given to the constructor (it throws on a bad pattern).
 */
public final class SpecParser {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");
    private static final Set<String> RESERVED_INPUT_NAMES = Set.of("out", "prev");

    private final ObjectMapper mapper;
    private final Consumer<String> globCheck;

    public SpecParser(ObjectMapper mapper, Consumer<String> globCheck) {
        this.mapper = mapper;
        this.globCheck = globCheck;
    }

    /** Parses and validates {@code json}; the result's {@code raw} is the parsed document. */
    public PipelineSpec parse(String json) {
        JsonNode root;
        try {
            root = mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw SluiceException.invalid("pipeline spec is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw SluiceException.invalid("pipeline spec must be a JSON object");
        }
        allowOnly(root, "", "pipeline", "description", "transform", "input", "parallelism_spec", "datum_tries",
                "output_branch", "incremental", "resource_requests", "resource_limits");

        JsonNode pipeline = object(root, "pipeline", true);
        allowOnly(pipeline, "pipeline", "name");
        String name = name(text(pipeline, "pipeline.name", "name", null), "pipeline.name");

        JsonNode t = object(root, "transform", true);
        allowOnly(t, "transform", "cmd", "stdin", "env", "image");
        List<String> cmd = strings(t, "transform", "cmd");
        if (cmd.isEmpty()) {
            throw SluiceException.invalid("'transform.cmd' is required and must not be empty");
        }
        Transform transform = new Transform(cmd, strings(t, "transform", "stdin"), env(t),
                text(t, "transform.image", "image", ""));

        Input input = input(object(root, "input", true), "input");
        checkNames(input);

        int parallelism = 1;
        JsonNode ps = object(root, "parallelism_spec", false);
        if (ps != null) {
            allowOnly(ps, "parallelism_spec", "constant");
            parallelism = positiveInt(ps, "parallelism_spec.constant", "constant", 1);
        }
        Resources requests = resources(root, "resource_requests");
        Resources limits = resources(root, "resource_limits");
        JsonNode incremental = root.get("incremental");
        if (incremental != null && !incremental.isBoolean()) {
            throw SluiceException.invalid("'incremental' must be true or false");
        }
        return new PipelineSpec(name, text(root, "description", "description", ""), transform, input, parallelism,
                positiveInt(root, "datum_tries", "datum_tries", 3),
                branchName(text(root, "output_branch", "output_branch", "master"), "output_branch"),
                incremental != null && incremental.booleanValue(), requests, limits, root.deepCopy());
    }

    private Input input(JsonNode node, String path) {
        if (node == null || !node.isObject()) {
            throw SluiceException.invalid("'" + path + "' must be an object");
        }
        allowOnly(node, path, "pfs", "cross", "union");
        if (node.size() != 1) {
            throw SluiceException.invalid("'" + path + "' must have exactly one of pfs, cross, union");
        }
        String kind = node.fieldNames().next();
        String here = path + "." + kind;
        JsonNode v = node.get(kind);
        if (kind.equals("pfs")) {
            if (!v.isObject()) {
                throw SluiceException.invalid("'" + here + "' must be an object");
            }
            allowOnly(v, here, "repo", "branch", "glob", "name");
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
            return new Pfs(name(text(v, here + ".name", "name", repo), here + ".name"), repo,
                    branchName(text(v, here + ".branch", "branch", "master"), here + ".branch"), glob);
        }
        if (!v.isArray() || v.isEmpty()) {
            throw SluiceException.invalid("'" + here + "' must be a non-empty array of inputs");
        }
        List<Input> children = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            children.add(input(v.get(i), here + "[" + i + "]"));
        }
        return kind.equals("cross") ? new Cross(List.copyOf(children)) : new Union(List.copyOf(children));
    }

    /** Input names become /pfs/NAME: each datum must see distinct names, and out/prev are Sluice's own. */
    private static Set<String> checkNames(Input input) {
        if (input instanceof Pfs p) {
            if (RESERVED_INPUT_NAMES.contains(p.name())) {
                throw SluiceException.invalid("input name '" + p.name() + "' is reserved (/pfs/" + p.name()
                        + " is Sluice's own); set input.pfs.name");
            }
            return Set.of(p.name());
        }
        Set<String> all = new HashSet<>();
        List<Input> children = input instanceof Cross c ? c.inputs() : ((Union) input).inputs();
        for (Input child : children) {
            Set<String> names = checkNames(child);
            if (input instanceof Cross && !Collections.disjoint(all, names)) {
                names.stream().filter(all::contains).findFirst().ifPresent(n -> {
                    throw SluiceException.invalid("input name '" + n + "' appears twice in a cross; "
                            + "give each input a distinct input.pfs.name");
                });
            }
            all.addAll(names);
        }
        return all;
    }

    private static Resources resources(JsonNode root, String field) {
        JsonNode r = object(root, field, false);
        if (r == null) {
            return null;
        }
        allowOnly(r, field, "cpu", "memory");
        return new Resources(scalar(r, field + ".cpu", "cpu"), scalar(r, field + ".memory", "memory"));
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
            if (!f.getValue().isValueNode() || f.getValue().isNull()) {
                throw SluiceException.invalid("'transform.env." + f.getKey() + "' must be a string");
            }
            // a process environment cannot hold these: every datum would fail at start, so refuse them now
            String key = f.getKey();
            if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0) {
                throw SluiceException.invalid("'transform.env' key '" + key.replace("\0", "\\0") + "' is not a valid "
                        + "environment variable name: it must be non-empty and contain neither '=' nor NUL");
            }
            if (f.getValue().asText().indexOf('\0') >= 0) {
                throw SluiceException.invalid("'transform.env." + key + "' contains a NUL character");
            }
            out.put(key, f.getValue().asText());
        }
        return Collections.unmodifiableMap(out);
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

    private static void allowOnly(JsonNode node, String path, String... allowed) {
        Set<String> ok = Set.of(allowed);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!ok.contains(f)) {
                throw SluiceException.invalid("unsupported field '" + (path.isEmpty() ? f : path + "." + f) + "'");
            }
        }
    }

    private static JsonNode object(JsonNode node, String field, boolean required) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw SluiceException.invalid("'" + field + "' is required");
            }
            return null;
        }
        if (!v.isObject()) {
            throw SluiceException.invalid("'" + field + "' must be an object");
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

    private static int positiveInt(JsonNode node, String path, String field, int dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.canConvertToExactIntegral() || !v.canConvertToInt() || v.asInt() < 1) {
            throw SluiceException.invalid("'" + path + "' must be a positive integer");
        }
        return v.asInt();
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
