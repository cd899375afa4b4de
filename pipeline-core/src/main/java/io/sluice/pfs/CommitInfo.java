package io.sluice.pfs;

import com.fasterxml.jackson.annotation.JsonIgnore;

import java.time.Instant;
import java.util.List;

/**
 * A commit as {@code inspect commit} shows it. {@code finished} is null while the commit is open;
 * {@code provenance} lists the exact input commits an output commit was computed from, transitively;
 * {@code set} names the commit set (Pachyderm's global id) it belongs to: its own id for a commit a user
 * wrote, the set of the input that triggered it for a job's output commit.
 */
public record CommitInfo(
        String repo,
        String id,
        String set,
        String branch,
        String parent,
        String description,
        Instant started,
        Instant finished,
        long sizeBytes,
        List<CommitRef> provenance) {

    public CommitRef ref() {
        return new CommitRef(repo, branch, id);
    }

    @JsonIgnore // a derived fact; without this Jackson would print it over the 'finished' time
    public boolean isFinished() {
        return finished != null;
    }
}
