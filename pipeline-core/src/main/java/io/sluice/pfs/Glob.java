package io.sluice.pfs;

import io.sluice.SluiceException;

import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A compiled Pachyderm-style glob over absolute slash paths: {@code /} matches only the root, {@code *}
 * any run of characters within one path segment, {@code ?} one character but {@code /}, {@code [abc]},
 * {@code [a-z]}, {@code [!a]} one character of a class, {@code {a,b}} either alternative, {@code **} any
 * run of characters across segments ({@code /**} thus every file and directory below the root), and
 * {@code /**}{@code /} zero or more whole directories; a backslash escapes the next character. Immutable
 * and thread-safe.
 */
public final class Glob {

    private final String pattern;
    private final Pattern regex;
    private final int maxDepth;

    private Glob(String pattern, Pattern regex, int maxDepth) {
        this.pattern = pattern;
        this.regex = regex;
        this.maxDepth = maxDepth;
    }

    /** Compiles {@code pattern}; a pattern without a leading slash is taken from the root. */
    public static Glob compile(String pattern) {
        if (pattern == null || pattern.isEmpty()) {
            throw SluiceException.invalid("empty glob pattern");
        }
        if (pattern.indexOf('\0') >= 0) {
            throw SluiceException.invalid("glob pattern contains a NUL character");
        }
        if (pattern.length() > Ref.MAX_PATH) {
            throw SluiceException.invalid("glob pattern is longer than " + Ref.MAX_PATH + " characters");
        }
        // paths never contain '..', so such a pattern could only be a mistake or a probe: say so
        for (String segment : pattern.split("/")) {
            if (segment.equals("..")) {
                throw SluiceException.invalid("glob pattern '" + pattern + "' contains '..'");
            }
        }
        String p = pattern.startsWith("/") ? pattern : "/" + pattern;
        while (p.length() > 1 && p.endsWith("/") && !p.endsWith("\\/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.equals("/")) {
            return new Glob(p, null, 0);
        }
        for (String segment : p.substring(1).split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".")) {
                throw SluiceException.invalid("glob pattern '" + pattern + "' can never match: paths have no "
                        + (segment.isEmpty() ? "empty" : "'.'") + " segments");
            }
        }
        boolean unbounded = p.contains("**") || p.contains("{");
        int depth = unbounded ? -1 : (int) p.chars().filter(c -> c == '/').count();
        try {
            return new Glob(p, Pattern.compile(translate(p, pattern)), depth);
        } catch (PatternSyntaxException e) {
            throw SluiceException.invalid("glob pattern '" + pattern + "' is not valid: " + e.getDescription()
                    .toLowerCase(Locale.ROOT));
        }
    }

    /** Whether the absolute path (as {@link Ref#normalizePath} gives it) matches. */
    public boolean matches(String path) {
        if (regex == null) {
            return path.equals("/");
        }
        return !path.equals("/") && regex.matcher(path).matches();
    }

    /** The pattern as compiled (with its leading slash). */
    public String pattern() {
        return pattern;
    }

    /** The deepest path (in segments) that can match, or -1 when unbounded; lets walkers prune. */
    public int maxDepth() {
        return maxDepth;
    }

    @Override
    public String toString() {
        return pattern;
    }

    private static String translate(String p, String original) {
        StringBuilder re = new StringBuilder();
        int braces = 0;
        int i = 0;
        while (i < p.length()) {
            char c = p.charAt(i);
            switch (c) {
                case '\\' -> {
                    if (i + 1 >= p.length()) {
                        throw malformed(original, "ends with an escaping backslash");
                    }
                    re.append(Pattern.quote(String.valueOf(p.charAt(i + 1))));
                    i += 2;
                    continue;
                }
                case '/' -> {
                    if (p.startsWith("/**/", i)) {
                        // "/**/" spans zero or more whole directories, as in gitignore
                        re.append("(?:/[^/]+)*/");
                        i += 4;
                        continue;
                    }
                    re.append('/');
                }
                case '*' -> {
                    if (i + 1 < p.length() && p.charAt(i + 1) == '*') {
                        re.append(".*");
                        i += 2;
                        while (i < p.length() && p.charAt(i) == '*') {
                            i++;
                        }
                        continue;
                    }
                    re.append("[^/]*");
                }
                case '?' -> re.append("[^/]");
                case '[' -> {
                    i = charClass(p, i, re, original);
                    continue;
                }
                case '{' -> {
                    braces++;
                    re.append("(?:");
                }
                case '}' -> {
                    if (braces == 0) {
                        throw malformed(original, "has a '}' without '{'");
                    }
                    braces--;
                    re.append(')');
                }
                case ',' -> re.append(braces > 0 ? "|" : ",");
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
            i++;
        }
        if (braces > 0) {
            throw malformed(original, "has an unclosed '{'");
        }
        return re.toString();
    }

    /** Appends the regex of the class starting at {@code p[start] == '['}; returns the index after it. */
    private static int charClass(String p, int start, StringBuilder re, String original) {
        int i = start + 1;
        boolean negate = i < p.length() && (p.charAt(i) == '!' || p.charAt(i) == '^');
        if (negate) {
            i++;
        }
        StringBuilder body = new StringBuilder();
        boolean first = true;
        while (i < p.length() && (p.charAt(i) != ']' || first)) {
            char c = p.charAt(i);
            if (c == '\\' && i + 1 < p.length()) {
                c = p.charAt(++i);
            }
            if (c == '/') {
                throw malformed(original, "has '/' inside a character class");
            }
            if (c == '-' && !first && i + 1 < p.length() && p.charAt(i + 1) != ']') {
                body.append('-');
            } else {
                body.append('\\').append(c == '\\' ? '\\' : c);
                if (Character.isLetterOrDigit(c)) {
                    body.setLength(body.length() - 2);
                    body.append(c);
                }
            }
            first = false;
            i++;
        }
        if (i >= p.length()) {
            throw malformed(original, "has an unclosed '['");
        }
        re.append('[').append(negate ? "^/" : "").append(body).append(negate ? "" : "&&[^/]").append(']');
        return i + 1;
    }

    private static SluiceException malformed(String pattern, String why) {
        return SluiceException.invalid("malformed glob pattern '" + pattern + "': " + why);
    }
}
