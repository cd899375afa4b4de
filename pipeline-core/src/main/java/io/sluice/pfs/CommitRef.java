package io.sluice.pfs;

/** One exact commit, named by repo, the branch it was made on and its id; the unit of provenance. */
public record CommitRef(String repo, String branch, String id) {
    @Override
    public String toString() {
        return repo + "@" + id;
    }
}
