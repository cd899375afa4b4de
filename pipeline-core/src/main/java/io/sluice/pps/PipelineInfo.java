package io.sluice.pps;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;

/** A pipeline as {@code inspect pipeline} shows it: its current spec (as given) and version, and its state. */
public record PipelineInfo(String name, int version, String state, String description, JsonNode spec,
                           Instant created, Instant updated, String lastJobState) {
}
