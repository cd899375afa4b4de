package io.sluice.pfs;

import java.time.Instant;

/** A project as {@code list project} and {@code inspect project} show it; {@code created} is null for {@code default}. */
public record ProjectInfo(String name, String description, Instant created) {
}
