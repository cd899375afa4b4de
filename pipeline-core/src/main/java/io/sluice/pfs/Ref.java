package io.sluice.pfs;

import io.sluice.SluiceException;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed pachctl-style reference {@code repo[@name[^N]][:/path]}, where {@code name} is a branch or a
 * commit id and {@code ^N} (or {@code ~N}, or N carets) asks for the N-th ancestor; also the one place
 * that validates repo names, branch names and file paths.
 *
 * @param repo     the repo name (validated)
 * @param name     the branch or commit id, or null when the text named only a repo
 * @param ancestry how many parents to walk back from {@code name} (0 = the commit itself)
 * @param path     the normalized absolute path, or null when the text had no {@code :path} part
 */
public record Ref(String repo, String name, int ancestry, String path) {
    private static final int MAX_ANCESTRY = 999_999_999;
    private static final Pattern ANCESTRY = Pattern.compile("([\\^~][0-9]{0,9})+");
    private static final Pattern ANCESTRY_STEP = Pattern.compile("[\\^~]([0-9]{0,9})");

    /** The default branch, as in Pachyderm. */
    public static final String DEFAULT_BRANCH = "master";

    /** Longest accepted path, in characters. */
    public static final int MAX_PATH = 4096;

    private static final Pattern REPO_NAME = Pattern.compile("[A-Za-z0-9_-]{1,63}");
    private static final Pattern BRANCH_NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}");
    private static final Pattern COMMIT_ID = Pattern.compile("[0-9a-f]{32}");

    /** Parses {@code repo}, {@code repo@ref}, {@code repo@ref^N} and any of those followed by {@code :path}. */
    public static Ref parse(String text) {
        if (text == null || text.isBlank()) {
            throw SluiceException.invalid("empty reference: expected REPO@BRANCH[:/PATH]");
        }
        String path = null;
        int colon = text.indexOf(':');
        String head = text;
        if (colon >= 0) {
            path = normalizePath(text.substring(colon + 1));
            head = text.substring(0, colon);
        }
        int at = head.indexOf('@');
        if (at < 0) {
            return new Ref(checkRepoName(head), null, 0, path);
        }
        String repo = checkRepoName(head.substring(0, at));
        Ref rev = parseRevision(head.substring(at + 1));
        return new Ref(repo, rev.name, rev.ancestry, path);
    }

    /**
     * Parses the revision part alone ({@code branch}, {@code id}, optionally {@code ^N}); the returned Ref
     * has a null repo and path. This is what {@link PfsService} accepts as its {@code ref} arguments.
     */
    public static Ref parseRevision(String revision) {
        if (revision == null || revision.isEmpty()) {
            throw SluiceException.invalid("empty branch or commit after '@'");
        }
        int cut = indexOfAny(revision, '^', '~');
        if (cut < 0) {
            return new Ref(null, checkRevisionName(revision), 0, null);
        }
        String name = checkRevisionName(revision.substring(0, cut));
        String suffix = revision.substring(cut);
        if (!ANCESTRY.matcher(suffix).matches()) {
            throw SluiceException.invalid("bad ancestry '" + suffix + "' in '" + revision
                    + "': use ^N, ~N or repeated ^");
        }
        // steps add up, as in Git's first-parent walk: ^^ = ^2, ^1^1 = ~2
        long ancestry = 0;
        Matcher step = ANCESTRY_STEP.matcher(suffix);
        while (step.find()) {
            ancestry += step.group(1).isEmpty() ? 1 : Long.parseLong(step.group(1));
        }
        if (ancestry > MAX_ANCESTRY) {
            throw SluiceException.invalid("ancestry '" + suffix + "' in '" + revision + "' is more than "
                    + MAX_ANCESTRY + " commits back");
        }
        return new Ref(null, name, (int) ancestry, null);
    }

    /** The revision as {@link PfsService} takes it: {@code name} or {@code name^N}. */
    public String revision() {
        return name == null ? null : ancestry == 0 ? name : name + "^" + ancestry;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(repo == null ? "" : repo);
        if (name != null) {
            s.append('@').append(revision());
        }
        if (path != null) {
            s.append(':').append(path);
        }
        return s.toString();
    }

    /** Returns {@code name} if it is a valid repo name ({@code [A-Za-z0-9_-]}, 1..63 chars). */
    public static String checkRepoName(String name) {
        if (name == null || !REPO_NAME.matcher(name).matches()) {
            throw SluiceException.invalid("invalid repo name '" + printable(name)
                    + "': use 1 to 63 letters, digits, '_' or '-'");
        }
        return name;
    }

    /**
     * Returns {@code name} if it is a valid branch name (letters, digits, '_', '-', '.'; no "..", no ".lock")
     * that cannot be taken for a commit id: a branch spelled like one would make {@code repo@<id>} ambiguous.
     */
    public static String checkBranchName(String name) {
        checkBranchSyntax(name);
        if (looksLikeCommitId(name)) {
            throw SluiceException.invalid("invalid branch name '" + name + "': 32 hex digits is what a commit id"
                    + " looks like; pick a name that cannot be taken for one");
        }
        return name;
    }

    /**
     * As {@link #checkBranchName(String)} but accepting names shaped like commit ids, which data dirs written
     * before they were refused may hold: what deleting such a branch needs.
     */
    public static String checkBranchSyntax(String name) {
        if (name == null || !BRANCH_NAME.matcher(name).matches() || name.contains("..") || name.endsWith(".lock")
                || name.endsWith(".")) {
            throw SluiceException.invalid("invalid branch name '" + printable(name)
                    + "': use letters, digits, '_', '-' or '.' (not starting with '.', no '..')");
        }
        return name;
    }

    /** Whether {@code name} has the shape of a commit id (32 lowercase hex digits). */
    public static boolean looksLikeCommitId(String name) {
        return name != null && COMMIT_ID.matcher(name).matches();
    }

    private static String checkRevisionName(String name) {
        return checkBranchSyntax(name);
    }

    /**
     * Normalizes a file path to {@code /a/b} form: a leading slash is added, repeated and trailing slashes
     * and {@code .} segments are dropped; the root is {@code /}. Rejects {@code ..}, NUL, backslashes and
     * paths over {@link #MAX_PATH} characters.
     */
    public static String normalizePath(String path) {
        if (path == null) {
            throw SluiceException.invalid("missing path");
        }
        if (path.length() > MAX_PATH) {
            throw SluiceException.invalid("path is longer than " + MAX_PATH + " characters");
        }
        if (path.indexOf('\0') >= 0) {
            throw SluiceException.invalid("path contains a NUL character");
        }
        if (path.indexOf('\\') >= 0) {
            throw SluiceException.invalid("path '" + path + "' contains a backslash: use '/'");
        }
        StringBuilder out = new StringBuilder(path.length() + 1);
        for (String segment : path.split("/")) {
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..")) {
                throw SluiceException.invalid("path '" + path + "' contains '..'");
            }
            out.append('/').append(segment);
        }
        return out.length() == 0 ? "/" : out.toString();
    }

    /** The segments of a normalized path ({@code "/"} has none). */
    static List<String> segments(String normalizedPath) {
        List<String> out = new ArrayList<>();
        for (String s : normalizedPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    private static int indexOfAny(String s, char a, char b) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == a || s.charAt(i) == b) {
                return i;
            }
        }
        return -1;
    }

    private static String printable(String s) {
        return s == null ? "" : s.replace("\0", "\\0");
    }
}
