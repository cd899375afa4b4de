package io.sluice.pfs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The Sluice metadata of one commit, kept as the JSON message of its git commit so that the git
 * repository alone is the source of truth; {@code finished} is null for an open commit. {@code set} is the
 * commit set it joined (the set of the provenance commit that finished last); null means a set of its own,
 * named by its id, which is also what commits written before sets existed read as.
 */
record CommitMeta(String id, String branch, String parent, String description, Instant started,
                  Instant finished, long size, List<CommitRef> provenance, String set) {

    CommitMeta {
        provenance = List.copyOf(provenance);
    }

    CommitInfo info(String repo) {
        return new CommitInfo(repo, id, setId(), branch, parent, description, started, finished, size, provenance);
    }

    /** The id of the commit set this commit belongs to. */
    String setId() {
        return set == null ? id : set;
    }

    CommitMeta withSize(long newSize) {
        return new CommitMeta(id, branch, parent, description, started, finished, newSize, provenance, set);
    }

    CommitMeta withParent(String newParent) {
        return new CommitMeta(id, branch, newParent, description, started, finished, size, provenance, set);
    }

    CommitMeta finish(String newParent, Instant at, long newSize) {
        return new CommitMeta(id, branch, newParent, description, started, at, newSize, provenance, set);
    }

    byte[] toJson(ObjectMapper json) {
        ObjectNode o = json.createObjectNode();
        o.put("sluice", 1);
        o.put("id", id);
        o.put("branch", branch);
        o.put("parent", parent);
        o.put("description", description);
        o.put("started", started.toString());
        o.put("finished", finished == null ? null : finished.toString());
        o.put("size", size);
        if (set != null && !set.equals(id)) {
            o.put("set", set);
        }
        ArrayNode prov = o.putArray("provenance");
        for (CommitRef r : provenance) {
            prov.addObject().put("repo", r.repo()).put("branch", r.branch()).put("id", r.id());
        }
        return o.toString().getBytes(StandardCharsets.UTF_8);
    }

    static CommitMeta parse(ObjectMapper json, String message) throws IOException {
        JsonNode o = json.readTree(message);
        if (o == null || !o.has("sluice") || !o.hasNonNull("id")) {
            throw new IOException("not a sluice commit message");
        }
        List<CommitRef> prov = new ArrayList<>();
        for (JsonNode r : o.path("provenance")) {
            prov.add(new CommitRef(r.path("repo").asText(), r.path("branch").asText(), r.path("id").asText()));
        }
        return new CommitMeta(o.get("id").asText(), o.path("branch").asText(), text(o, "parent"),
                o.path("description").asText(""), Instant.parse(o.get("started").asText()),
                text(o, "finished") == null ? null : Instant.parse(o.get("finished").asText()),
                o.path("size").asLong(), prov, text(o, "set"));
    }

    private static String text(JsonNode o, String field) {
        JsonNode n = o.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }
}
