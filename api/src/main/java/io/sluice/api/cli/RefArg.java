package io.sluice.api.cli;

import io.sluice.api.Main;

/**
 * A command-line reference in pachctl's syntax, {@code repo[@ref][:path]}, split into the parts the REST
 * API takes; the daemon validates names, refs and paths, so this only splits and fills defaults.
 */
record RefArg(String repo, String ref, String path) {

    static RefArg parse(String arg) {
        String repo = arg;
        String ref = null;
        String path = null;
        int colon = arg.indexOf(':');
        if (colon >= 0) {
            path = arg.substring(colon + 1);
            repo = arg.substring(0, colon);
        }
        int at = repo.indexOf('@');
        if (at >= 0) {
            ref = repo.substring(at + 1);
            repo = repo.substring(0, at);
            if (ref.isEmpty()) {
                throw new Main.UsageError("'" + arg + "' has an empty ref after '@'");
            }
        }
        if (repo.isEmpty()) {
            throw new Main.UsageError("'" + arg + "' names no repo (expected repo@branch:/path)");
        }
        return new RefArg(repo, ref == null ? "master" : ref, path);
    }

    String requirePath(String arg) {
        if (path == null || path.isEmpty()) {
            throw new Main.UsageError("'" + arg + "' names no file (expected repo@branch:/path)");
        }
        return path.startsWith("/") ? path : "/" + path;
    }

    String pathOr(String fallback) {
        return path == null || path.isEmpty() ? fallback : (path.startsWith("/") ? path : "/" + path);
    }

    String repoPath() {
        return "/api/v1/repos/" + repo;
    }
}
