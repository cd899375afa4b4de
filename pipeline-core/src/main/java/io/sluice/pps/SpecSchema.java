package io.sluice.pps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.SluiceException;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fields of Pachyderm's pps.proto messages that a pipeline spec may hold, and the one pass over a spec
 * tree that checks them: every field is accepted in its proto name (snake_case) and in its JSON name
 * (lowerCamelCase), as protobuf's JSON mapping does, and comes out in snake_case; every unknown field is
 * reported at once, each with its line and column; a field of a feature Sluice does not run yet is refused
 * in one line naming the feature. Keys of map fields ({@code env}, labels) are left as given.
 */
final class SpecSchema {

    /** How a field's value is read: a message of a type, a list of messages, a string map, or a plain value. */
    private record Field(String kind, String type, String feature) {
    }

    private static final Map<String, Map<String, Field>> MESSAGES = messages();

    private static Map<String, Map<String, Field>> messages() {
        Map<String, Map<String, Field>> all = new LinkedHashMap<>();
        message(all, "CreatePipelineRequest",
                "pipeline", msg("Pipeline"), "transform", msg("Transform"), "parallelism_spec", msg("ParallelismSpec"),
                "output_branch", value(), "resource_requests", msg("ResourceSpec"),
                "resource_limits", msg("ResourceSpec"), "input", msg("Input"), "description", value(),
                "datum_set_spec", msg("DatumSetSpec"), "datum_timeout", value(), "job_timeout", value(),
                "salt", value(), "datum_tries", value(), "reprocess_spec", value(), "autoscaling", value(),
                "update", value(), "reprocess", value(), "incremental", value(),
                "tf_job", unsupported("TFJob pipelines (tf_job)"), "egress", unsupported("egress"),
                "s3_out", unsupported("the S3 gateway output (s3_out)"),
                "service", unsupported("service pipelines (service)"), "spout", unsupported("spouts (spout)"),
                "sidecar_resource_limits", unsupported("sidecar resources (sidecar_resource_limits)"),
                "sidecar_resource_requests", unsupported("sidecar resources (sidecar_resource_requests)"),
                "scheduling_spec", unsupported("Kubernetes scheduling (scheduling_spec)"),
                "pod_spec", unsupported("pod specs (pod_spec)"), "pod_patch", unsupported("pod patches (pod_patch)"),
                "metadata", unsupported("pod metadata (metadata)"),
                "tolerations", unsupported("Kubernetes tolerations (tolerations)"),
                "determined", unsupported("Determined integration (determined)"),
                "maximum_expected_uptime", unsupported("service uptime (maximum_expected_uptime)"),
                "dry_run", unsupported("dry runs (dry_run)"));

        message(all, "Pipeline", "name", value(), "project", msg("Project"));
        message(all, "Project", "name", value());
        message(all, "Transform", "image", value(), "cmd", value(), "err_cmd", value(), "env", map(),
                "secrets", list("SecretMount"), "stdin", value(), "err_stdin", value(),
                "accept_return_code", value(), "debug", value(), "user", value(), "working_dir", value(),
                "image_pull_secrets", value(),
                "dockerfile", unsupported("Dockerfile builds (transform.dockerfile)"),
                "memory_volume", unsupported("memory volumes (transform.memory_volume)"),
                "datum_batching", unsupported("datum batching (transform.datum_batching)"));
        message(all, "SecretMount", "name", value(), "key", value(), "mount_path", value(), "env_var", value());
        message(all, "ParallelismSpec", "constant", value());
        message(all, "ResourceSpec", "cpu", value(), "memory", value(), "gpu", msg("GPUSpec"), "disk", value());
        message(all, "GPUSpec", "type", value(), "number", value());
        message(all, "DatumSetSpec", "number", value(), "size_bytes", value(), "per_worker", value());
        message(all, "Input", "pfs", msg("PFSInput"), "join", list("Input"), "group", list("Input"),
                "cross", list("Input"), "union", list("Input"), "cron", msg("CronInput"));
        message(all, "PFSInput", "project", value(), "name", value(), "repo", value(), "repo_type", value(),
                "branch", value(), "commit", value(), "glob", value(), "join_on", value(), "outer_join", value(),
                "group_by", value(), "lazy", value(), "empty_files", value(), "trigger", msg("Trigger"),
                "s3", unsupported("S3 gateway inputs (pfs.s3)"),
                "propagation_spec", unsupported("propagation specs (pfs.propagation_spec)"),
                "reference", unsupported("reference inputs (pfs.reference)"));
        message(all, "Trigger", "branch", value(), "all", value(), "size", value(), "commits", value(),
                "rate_limit_spec", unsupported("time-based triggers (trigger.rate_limit_spec)"),
                "cron_spec", value());
        message(all, "CronInput", "name", value(), "project", value(), "repo", value(), "commit", value(),
                "spec", value(), "overwrite", value(), "start", value());
        return java.util.Collections.unmodifiableMap(all);
    }

    private SpecSchema() {
    }

    private static void message(Map<String, Map<String, Field>> all, String name, Object... fields) {
        Map<String, Field> m = new LinkedHashMap<>();
        for (int i = 0; i < fields.length; i += 2) {
            m.put((String) fields[i], (Field) fields[i + 1]);
        }
        all.put(name, Map.copyOf(m));
    }

    private static Field msg(String type) {
        return new Field("msg", type, null);
    }

    private static Field list(String type) {
        return new Field("list", type, null);
    }

    private static Field map() {
        return new Field("map", null, null);
    }

    private static Field value() {
        return new Field("value", null, null);
    }

    private static Field unsupported(String feature) {
        return new Field("unsupported", null, feature);
    }

    /**
     * The spec with every field name in snake_case; refuses (INVALID) a spec with unknown fields (all of
     * them named, with where they are), a field given in both spellings, or a field of a feature Sluice
     * does not run.
     */
    static ObjectNode normalize(SpecReader.Doc doc) {
        List<String> unknown = new ArrayList<>();
        List<String> unsupported = new ArrayList<>();
        ObjectNode out = (ObjectNode) walk(doc, doc.root(), "CreatePipelineRequest", "", unknown, unsupported);
        if (!unknown.isEmpty()) {
            throw SluiceException.invalid((unknown.size() == 1 ? "unknown field " : unknown.size()
                    + " unknown fields: ") + String.join("; ", unknown)
                    + " (see Sluice's README, section Pipelines, for the fields it runs)");
        }
        if (!unsupported.isEmpty()) {
            throw SluiceException.invalid("Sluice does not run " + unsupported.get(0) + " yet"
                    + (unsupported.size() > 1 ? " (nor " + String.join(", ", unsupported.subList(1,
                    unsupported.size())) + ")" : ""));
        }
        return out;
    }

    private static JsonNode walk(SpecReader.Doc doc, JsonNode node, String type, String path, List<String> unknown,
                                 List<String> unsupported) {
        if (!node.isObject()) {
            return node; // a wrong type is the parser's to report, with the field's path
        }
        Map<String, Field> fields = MESSAGES.get(type);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String given = e.getKey();
            String name = fields.containsKey(given) ? given : snake(given);
            Field f = fields.get(name);
            String here = path.isEmpty() ? name : path + "." + name;
            String at = doc.at(node, given);
            if (f == null || (!name.equals(given) && !camel(name).equals(given))) {
                unknown.add("'" + (path.isEmpty() ? given : path + "." + given) + "'" + (at == null ? "" : " at " + at));
                continue;
            }
            if (out.has(name)) {
                throw SluiceException.invalid("'" + here + "' is given twice (as " + name + " and " + camel(name)
                        + ")" + (at == null ? "" : " at " + at));
            }
            if (f.kind().equals("unsupported")) {
                if (!isUnset(e.getValue())) {
                    unsupported.add(f.feature());
                }
                continue;
            }
            JsonNode v = e.getValue();
            if (f.kind().equals("msg")) {
                v = walk(doc, v, f.type(), here, unknown, unsupported);
            } else if (f.kind().equals("list") && v.isArray()) {
                ArrayNode a = JsonNodeFactory.instance.arrayNode();
                for (int i = 0; i < v.size(); i++) {
                    a.add(walk(doc, v.get(i), f.type(), here + "[" + i + "]", unknown, unsupported));
                }
                v = a;
            }
            out.set(name, v);
        }
        return out;
    }

    /**
     * Whether a value is a proto default that Pachyderm treats as not set (null, false, 0, "", []); an
     * empty object is set: {@code "spout": {}} declares a spout.
     */
    private static boolean isUnset(JsonNode v) {
        return v.isNull() || (v.isBoolean() && !v.booleanValue()) || (v.isNumber() && v.asDouble() == 0)
                || (v.isTextual() && v.asText().isEmpty()) || (v.isArray() && v.isEmpty());
    }

    /** The proto name for a JSON name: "joinOn" -> "join_on". */
    static String snake(String camel) {
        StringBuilder sb = new StringBuilder();
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) {
                sb.append('_').append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** The JSON name for a proto name: "join_on" -> "joinOn". */
    static String camel(String snake) {
        StringBuilder sb = new StringBuilder();
        boolean up = false;
        for (char c : snake.toCharArray()) {
            if (c == '_') {
                up = true;
            } else {
                sb.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return sb.toString();
    }
}
