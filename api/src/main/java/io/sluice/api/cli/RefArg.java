package io.sluice.api.cli;

import io.sluice.api.Main;
import io.sluice.pfs.Ref;

/**
 * A command-line reference in pachctl's syntax, {@code repo[@ref][:path]}, parsed by pfs's own {@link Ref}
 * (so a bad name or path is refused before anything is sent) with the ref defaulting to master.
 */
record RefArg(String v1, String repo, String ref, String path) {

    /** Parses {@code arg}, a repo of the project whose API prefix is {@code v1} ({@link ClientCmd#v1}). */
    static RefArg parse(String arg, String v1) {
        Ref parsed = Ref.parse(arg);
        return new RefArg(v1, parsed.repo(), parsed.name() == null ? Ref.DEFAULT_BRANCH : parsed.revision(), parsed.path());
    }

    String requirePath(String arg) {
        if (path == null || path.isEmpty()) {
            throw new Main.UsageError("'" + arg + "' names no file (expected repo@branch:/path)");
        }
        return path;
    }

    /** The ref as a branch to write to; an ancestor such as {@code master^1} is no place to write. */
    String branch() {
        if (ref.contains("^")) {
            throw new Main.UsageError("'" + repo + "@" + ref + "' is an ancestor of a branch; writes go to a"
                    + " branch: " + repo + "@" + ref.substring(0, ref.indexOf('^')));
        }
        return ref;
    }

    String pathOr(String fallback) {
        return path == null || path.isEmpty() ? fallback : path;
    }

    /** The repo's API path, under its project's prefix. */
    String repoPath() {
        return v1 + "/repos/" + repo;
    }
}
