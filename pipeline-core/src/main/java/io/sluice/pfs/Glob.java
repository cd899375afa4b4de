package io.sluice.pfs;

import io.sluice.SluiceException;

import java.util.ArrayList;
import java.util.List;

/**
 * A compiled Pachyderm-style glob over absolute slash paths: {@code /} matches only the root, {@code *}
 * any run of characters within one path segment, {@code ?} one character but {@code /}, {@code [abc]},
 * {@code [a-z]}, {@code [!a]} one character of a class, {@code {a,b}} either alternative, {@code **} any
 * run of characters across segments ({@code /**} thus every file and directory below the root), and
 * {@code /**}{@code /} zero or more whole directories, {@code (a|b)} a capture group (numbered from the
 * left, as in Pachyderm's globs, for {@code join_on} and {@code group_by}'s {@code $1}); a backslash
 * escapes the next character. Matching takes time linear in the path's length times the pattern's,
 * whatever the pattern. Immutable and thread-safe.
 */
public final class Glob {

    private final String pattern;
    /** The automaton; null for the root-only pattern {@code /}. */
    private final Automaton automaton;
    private final int maxDepth;

    private Glob(String pattern, Automaton automaton, int maxDepth) {
        this.pattern = pattern;
        this.automaton = automaton;
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
        boolean unbounded = p.contains("**") || p.contains("{") || p.contains("(");
        int depth = unbounded ? -1 : (int) p.chars().filter(c -> c == '/').count();
        return new Glob(p, new Parser(p, pattern).compile(), depth);
    }

    /** Whether the absolute path (as {@link Ref#normalizePath} gives it) matches. */
    public boolean matches(String path) {
        if (automaton == null) {
            return path.equals("/");
        }
        return !path.equals("/") && automaton.matches(path);
    }

    /**
     * {@code template} with each {@code $N} (or {@code ${N}}) replaced by what capture group N matched in
     * {@code path}, as Pachyderm computes {@code join_on} and {@code group_by}; a group that matched nothing
     * or does not exist gives the empty string, and so does a path that does not match. The groups are
     * found with a regular expression, run only on a path the automaton already matched.
     */
    public String replace(String path, String template) {
        if (template == null || template.isEmpty() || !matches(path)) {
            return "";
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(regex(pattern)).matcher(path);
        if (!m.matches()) {
            return "";
        }
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c == '$' && i + 1 < template.length()) {
                boolean braced = template.charAt(i + 1) == '{';
                int start = braced ? i + 2 : i + 1;
                int j = start;
                while (j < template.length() && j < start + 4 && Character.isDigit(template.charAt(j))) {
                    j++;
                }
                if (j > start && (!braced || (j < template.length() && template.charAt(j) == '}'))) {
                    int group = Integer.parseInt(template.substring(start, j));
                    if (group <= m.groupCount() && m.group(group) != null) {
                        out.append(m.group(group));
                    }
                    i = braced ? j + 1 : j;
                    continue;
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    /** The pattern (already known to compile) as a java.util.regex with its parentheses as the only groups. */
    private static String regex(String p) {
        StringBuilder re = new StringBuilder();
        int braces = 0;
        int parens = 0;
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            switch (c) {
                case '\\' -> re.append(java.util.regex.Pattern.quote(String.valueOf(p.charAt(++i))));
                case '*' -> {
                    if (i + 1 < p.length() && p.charAt(i + 1) == '*') {
                        while (i + 1 < p.length() && p.charAt(i + 1) == '*') {
                            i++;
                        }
                        re.append(".*");
                    } else {
                        re.append("[^/]*");
                    }
                }
                case '?' -> re.append("[^/]");
                case '[' -> {
                    int j = i + 1;
                    boolean negate = j < p.length() && (p.charAt(j) == '!' || p.charAt(j) == '^');
                    if (negate) {
                        j++;
                    }
                    StringBuilder body = new StringBuilder();
                    boolean first = true;
                    while (p.charAt(j) != ']' || first) {
                        char x = p.charAt(j);
                        if (x == '\\') {
                            x = p.charAt(++j);
                        }
                        boolean range = x == '-' && !first && j + 1 < p.length() && p.charAt(j + 1) != ']';
                        body.append(range ? "-" : "\\x{" + Integer.toHexString(x) + "}");
                        first = false;
                        j++;
                    }
                    re.append(negate ? "[^/" : "[").append(body).append(negate ? "]" : "&&[^/]]");
                    i = j;
                }
                case '{' -> {
                    braces++;
                    re.append("(?:");
                }
                case '}' -> {
                    braces--;
                    re.append(')');
                }
                case ',' -> re.append(braces > 0 ? "|" : ",");
                case '(' -> {
                    parens++;
                    re.append('(');
                }
                case ')' -> {
                    parens--;
                    re.append(')');
                }
                case '|' -> re.append(parens > 0 ? "|" : "\\|");
                case '/' -> {
                    if (p.startsWith("/**/", i)) {
                        re.append("(?:/[^/]+)*/");
                        i += 3;
                    } else {
                        re.append('/');
                    }
                }
                default -> re.append(java.util.regex.Pattern.quote(String.valueOf(c)));
            }
        }
        return re.toString();
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

    private static SluiceException malformed(String pattern, String why) {
        return SluiceException.invalid("malformed glob pattern '" + pattern + "': " + why);
    }

    /** Which code points a consuming state takes. */
    private interface CharTest {
        boolean test(int c);
    }

    private static final CharTest NOT_SLASH = c -> c != '/';
    private static final CharTest ANY = c -> true;

    /**
     * A Thompson automaton: state {@code i} either consumes one code point passing {@code tests[i]} and moves
     * to {@code next[i]}, or (test null) moves without consuming to {@code next[i]} and, if not -1, to
     * {@code alt[i]}; state {@code accept} ends a match. It is run on the set of states it can be in, never
     * by backtracking, so no pattern can make matching slower than linear in the path.
     */
    private record Automaton(CharTest[] tests, int[] next, int[] alt, int start, int accept) {
        boolean matches(String path) {
            int n = tests.length;
            int[] current = new int[n];
            int[] following = new int[n];
            int[] stack = new int[n];
            int[] seen = new int[n];
            int mark = 1;
            int size = close(start, current, 0, seen, mark, stack);
            for (int i = 0; i < path.length() && size > 0; ) {
                int c = path.codePointAt(i);
                i += Character.charCount(c);
                mark++;
                int nextSize = 0;
                for (int k = 0; k < size; k++) {
                    int s = current[k];
                    if (tests[s] != null && tests[s].test(c)) {
                        nextSize = close(next[s], following, nextSize, seen, mark, stack);
                    }
                }
                int[] swap = current;
                current = following;
                following = swap;
                size = nextSize;
            }
            for (int k = 0; k < size; k++) {
                if (current[k] == accept) {
                    return true;
                }
            }
            return false;
        }

        /** Adds {@code s} and every state reachable from it without consuming to {@code set}; its new size. */
        private int close(int s, int[] set, int size, int[] seen, int mark, int[] stack) {
            int top = 0;
            stack[top++] = s;
            while (top > 0) {
                int x = stack[--top];
                if (seen[x] == mark) {
                    continue;
                }
                seen[x] = mark;
                if (tests[x] != null || x == accept) {
                    set[size++] = x;
                } else {
                    stack[top++] = next[x];
                    if (alt[x] >= 0) {
                        stack[top++] = alt[x];
                    }
                }
            }
            return size;
        }
    }

    /** Builds the automaton straight from the pattern text (after the root slash fix-ups of compile). */
    private static final class Parser {
        private final String p;
        private final String original;
        private final List<CharTest> tests = new ArrayList<>();
        private final List<int[]> edges = new ArrayList<>();
        private int i;
        private boolean badRange;

        Parser(String p, String original) {
            this.p = p;
            this.original = original;
        }

        Automaton compile() {
            int accept = state(null, -1, -1);
            List<List<Element>> alternatives = sequence(0, 0);
            if (badRange) {
                throw SluiceException.invalid("glob pattern '" + original + "' is not valid: illegal character range");
            }
            int start = alternatives(alternatives, accept);
            int n = tests.size();
            int[] next = new int[n];
            int[] alt = new int[n];
            for (int s = 0; s < n; s++) {
                next[s] = edges.get(s)[0];
                alt[s] = edges.get(s)[1];
            }
            return new Automaton(tests.toArray(new CharTest[0]), next, alt, start, accept);
        }

        /** One piece of the pattern; {@code build} wires it in front of state {@code then}. */
        private interface Element {
            int build(int then);
        }

        /**
         * Parses up to the end, or to the {@code closer} ('}' or ')') of the group at {@code depth} > 0,
         * giving the alternatives (split at that level's ',' in braces, '|' in parentheses) as element
         * sequences; parentheses are Pachyderm's capture groups, which match as plain groups.
         */
        private List<List<Element>> sequence(int depth, int closer) {
            List<List<Element>> alternatives = new ArrayList<>();
            List<Element> current = new ArrayList<>();
            alternatives.add(current);
            while (i < p.length()) {
                int c = p.codePointAt(i);
                switch (c) {
                    case '\\' -> {
                        if (i + 1 >= p.length()) {
                            throw malformed(original, "ends with an escaping backslash");
                        }
                        int lit = p.codePointAt(i + 1);
                        i += 1 + Character.charCount(lit);
                        current.add(consume(x -> x == lit));
                    }
                    case '/' -> {
                        if (p.startsWith("/**/", i)) {
                            // "/**/" spans zero or more whole directories, as in gitignore: (/[^/]+)*/
                            i += 4;
                            current.add(then -> {
                                int slashThen = state(c0 -> c0 == '/', then, -1);
                                int loop = state(null, slashThen, -1);
                                int more = state(null, -1, loop);
                                int segment = state(NOT_SLASH, more, -1);
                                edges.get(more)[0] = segment;
                                int slash = state(c0 -> c0 == '/', segment, -1);
                                edges.get(loop)[1] = slash;
                                return loop;
                            });
                        } else {
                            i++;
                            current.add(consume(x -> x == '/'));
                        }
                    }
                    case '*' -> {
                        boolean across = i + 1 < p.length() && p.charAt(i + 1) == '*';
                        i++;
                        while (across && i < p.length() && p.charAt(i) == '*') {
                            i++;
                        }
                        CharTest test = across ? ANY : NOT_SLASH;
                        current.add(then -> {
                            int loop = state(null, then, -1);
                            int step = state(test, loop, -1);
                            edges.get(loop)[1] = step;
                            return loop;
                        });
                    }
                    case '?' -> {
                        i++;
                        current.add(consume(NOT_SLASH));
                    }
                    case '[' -> current.add(consume(charClass()));
                    case '{', '(' -> {
                        i++;
                        int close = c == '{' ? '}' : ')';
                        List<List<Element>> group = sequence(depth + 1, close);
                        if (i >= p.length()) {
                            throw malformed(original, "has an unclosed '" + (char) c + "'");
                        }
                        i++; // the closing '}' or ')'
                        current.add(then -> alternatives(group, then));
                    }
                    case '}', ')' -> {
                        if (closer != c) {
                            throw malformed(original, "has a '" + (char) c + "' without '" + (c == '}' ? '{' : '(')
                                    + "'");
                        }
                        return alternatives;
                    }
                    case ',', '|' -> {
                        i++;
                        if (depth > 0 && (c == ',') == (closer == '}')) {
                            current = new ArrayList<>();
                            alternatives.add(current);
                        } else {
                            current.add(consume(x -> x == c));
                        }
                    }
                    default -> {
                        i += Character.charCount(c);
                        current.add(consume(x -> x == c));
                    }
                }
            }
            if (depth > 0) {
                throw malformed(original, "has an unclosed '" + (closer == '}' ? '{' : '(') + "'");
            }
            return alternatives;
        }

        private Element consume(CharTest test) {
            return then -> state(test, then, -1);
        }

        /** Wires the alternatives, each a sequence built back to front, in front of {@code then}. */
        private int alternatives(List<List<Element>> alternatives, int then) {
            int start = -1;
            for (int a = alternatives.size() - 1; a >= 0; a--) {
                List<Element> seq = alternatives.get(a);
                int s = then;
                for (int e = seq.size() - 1; e >= 0; e--) {
                    s = seq.get(e).build(s);
                }
                start = start < 0 ? s : state(null, s, start);
            }
            return start;
        }

        private int state(CharTest test, int next, int alt) {
            tests.add(test);
            edges.add(new int[]{next, alt});
            return tests.size() - 1;
        }

        /**
         * Parses the class starting at {@code p[i] == '['}, leaving {@code i} after it: {@code !} or
         * {@code ^} first negates, a {@code ]} first is literal, a backslash escapes, {@code x-y} is a range
         * (a {@code -} first or last is literal), and no class ever matches {@code /}.
         */
        private CharTest charClass() {
            i++;
            boolean negate = i < p.length() && (p.charAt(i) == '!' || p.charAt(i) == '^');
            if (negate) {
                i++;
            }
            // members as code points, with -1 for a '-' that joins its neighbours into a range
            List<Integer> members = new ArrayList<>();
            boolean first = true;
            while (i < p.length() && (p.charAt(i) != ']' || first)) {
                int c = p.codePointAt(i);
                if (c == '\\' && i + 1 < p.length()) {
                    i++;
                    c = p.codePointAt(i);
                }
                if (c == '/') {
                    throw malformed(original, "has '/' inside a character class");
                }
                boolean range = c == '-' && !first && i + 1 < p.length() && p.charAt(i + 1) != ']';
                members.add(range ? -1 : c);
                first = false;
                i += Character.charCount(c);
            }
            if (i >= p.length()) {
                throw malformed(original, "has an unclosed '['");
            }
            i++;
            List<int[]> ranges = new ArrayList<>();
            for (int m = 0; m < members.size(); m++) {
                int from = members.get(m) < 0 ? '-' : members.get(m);
                if (m + 2 < members.size() && members.get(m + 1) == -1) {
                    int to = members.get(m + 2) < 0 ? '-' : members.get(m + 2);
                    // reported once the whole pattern parsed, so a structural mistake is named first
                    badRange |= to < from;
                    ranges.add(new int[]{from, to});
                    m += 2;
                } else {
                    ranges.add(new int[]{from, from});
                }
            }
            return c -> {
                if (c == '/') {
                    return false;
                }
                for (int[] r : ranges) {
                    if (c >= r[0] && c <= r[1]) {
                        return !negate;
                    }
                }
                return negate;
            };
        }
    }
}
