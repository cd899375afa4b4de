package io.sluice.pps;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/**
 * A pipeline as {@code inspect pipeline} shows it: its current spec (as given, field names in snake_case) and
 * version, its state, and {@code warnings}: one line each on what of the spec this daemon runs differently
 * from Pachyderm (e.g. the local runner runs {@code cmd} on the host and pulls no image).
 */
public record PipelineInfo(String name, int version, String state, String description, JsonNode spec,
                           Instant created, Instant updated, JobState lastJobState, java.util.List<String> warnings) {
}
