package io.sluice.pfs;

import java.time.Instant;
import java.util.List;

/** A data repository as {@code list repo} and {@code inspect repo} show it. */
public record RepoInfo(String name, String description, Instant created, long sizeBytes, List<String> branches) {
}
