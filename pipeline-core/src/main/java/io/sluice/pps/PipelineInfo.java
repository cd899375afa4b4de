package io.sluice.pps;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * A pipeline as {@code inspect pipeline} shows it, by its name within {@code project}: its current spec (as given, field names in snake_case) and
 * version, its state, and {@code warnings}: one line each on what of the spec this daemon runs differently
 * from Pachyderm (e.g. the local runner runs {@code cmd} on the host and pulls no image).
 */
public record PipelineInfo(String name, String project, int version, String state, String description, JsonNode spec,
                           Instant created, Instant updated, JobState lastJobState, java.util.List<String> warnings) {

    /** The pipeline's qualified name ({@link io.sluice.pfs.Projects}), which is also its output repo's. */
    public String qualified() {
        return io.sluice.pfs.Projects.qualify(project, name);
    }
}
