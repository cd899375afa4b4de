package io.sluice.pfs;

import java.time.Instant;
import java.util.List;

/** A data repository as {@code list repo} and {@code inspect repo} show it: its name within its project. */
public record RepoInfo(String name, String project, String description, Instant created, long sizeBytes,
                       List<String> branches) {

    /** The repo's qualified name ({@link Projects}): what every other call names it by. */
    public String qualified() {
        return Projects.qualify(project, name);
    }
}
