package io.sluice.pfs;

/** A branch: a name whose head moves, compare-and-set, from one finished commit to the next. */
public record BranchInfo(String repo, String name, String head) {
}
