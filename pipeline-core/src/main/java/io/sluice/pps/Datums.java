package io.sluice.pps;

import io.sluice.pfs.FileInfo;
import io.sluice.pfs.Glob;
import io.sluice.pps.PipelineSpec.Cron;
import io.sluice.pps.PipelineSpec.Cross;
import io.sluice.pps.PipelineSpec.Group;
import io.sluice.pps.PipelineSpec.Input;
import io.sluice.pps.PipelineSpec.Join;
import io.sluice.pps.PipelineSpec.Pfs;
import io.sluice.pps.PipelineSpec.RepoBranch;
import io.sluice.pps.PipelineSpec.Union;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Splits a pipeline's inputs into datums as Pachyderm does: each pfs input's glob, matched against its
 * commit, gives one datum per matching file or directory (a directory brings every file under it, and
 * glob "/" the whole commit); {@code cross} is the product and {@code union} the concatenation of its
 * inputs' datums; a cron input is the pfs input of its tick repo with glob "/". {@code join} and
 * {@code group} work as in Pachyderm's worker: every part of every datum of their inputs gets its key
 * ({@code join_on} or {@code group_by} with the glob's capture groups filled in from the matched path);
 * a join crosses, per key, the parts of the inputs that have that key, keeping a combination that lacks an
 * input only for its {@code outer_join} parts; a group makes one datum per key of every part with that key.
 * Keys are visited in sorted order. A datum's id is a SHA-256 over the input name, matched path, and the path and content
 * hash of every file in it, so equal inputs give equal ids from one commit to the next.
 */
final class Datums {

    /** Lists files and directories of one commit matching a glob (PfsService.globFile). */
    @FunctionalInterface
    interface GlobFn {
        List<FileInfo> glob(String repo, String commit, String pattern);
    }

    /** One file of a datum as the input {@code input} shows it. */
    record DatumFile(String input, String repo, String commit, String path, long size, String hash) {
    }

    /**
     * What one pfs input contributes to a datum: the path its glob matched, the files under it, and its
     * {@code join_on} and {@code group_by} keys (empty when the input has none).
     */
    record Part(String input, String repo, String commit, String matched, List<DatumFile> files, String joinOn,
                boolean outerJoin, String groupBy) {
    }

    /** A datum: its id and the parts it is made of (one per pfs input of a cross, else one). */
    record Datum(String id, List<Part> parts) {
        List<DatumFile> files() {
            return parts.stream().flatMap(p -> p.files().stream()).toList();
        }

        /** "input:/matched" per part: what {@code list datum} shows. */
        List<String> described() {
            return parts.stream().map(p -> p.input() + ":" + p.matched()).toList();
        }

        /**
         * The variables Pachyderm's worker sets for this datum: per input {@code <name>} (the matched path
         * under /pfs), {@code <name>_COMMIT}, and {@code PACH_DATUM_<name>_JOIN_ON} /
         * {@code PACH_DATUM_<name>_GROUP_BY} when the input has such a key.
         */
        Map<String, String> env() {
            Map<String, String> env = new LinkedHashMap<>();
            for (Part p : parts) {
                env.put(p.input(), "/pfs/" + p.input() + (p.matched().equals("/") ? "" : p.matched()));
                env.put(p.input() + "_COMMIT", p.commit());
                if (!p.joinOn().isEmpty()) {
                    env.put("PACH_DATUM_" + p.input() + "_JOIN_ON", p.joinOn());
                }
                if (!p.groupBy().isEmpty()) {
                    env.put("PACH_DATUM_" + p.input() + "_GROUP_BY", p.groupBy());
                }
            }
            return env;
        }
    }

    private Datums() {
    }

    /** The datums of {@code input} read at {@code commits} (the exact commit of each input branch). */
    static List<Datum> of(Input input, Map<RepoBranch, String> commits, GlobFn glob) {
        List<List<Part>> combos = parts(input, commits, glob);
        List<Datum> out = new ArrayList<>(combos.size());
        for (List<Part> parts : combos) {
            out.add(new Datum(id(parts), List.copyOf(parts)));
        }
        return out;
    }

    private static List<List<Part>> parts(Input input, Map<RepoBranch, String> commits, GlobFn glob) {
        if (input instanceof Cron c) {
            return parts(c.asPfs(), commits, glob);
        }
        if (input instanceof Pfs p) {
            String commit = commits.get(new RepoBranch(p.repo(), p.branch()));
            List<List<Part>> out = new ArrayList<>();
            Glob g = p.joinOn().isEmpty() && p.groupBy().isEmpty() ? null : Glob.compile(p.glob());
            for (FileInfo matched : matches(p, commit, glob)) {
                String path = matched.path().length() > 1 && matched.path().endsWith("/")
                        ? matched.path().substring(0, matched.path().length() - 1) : matched.path();
                out.add(List.of(new Part(p.name(), p.repo(), commit, matched.path(),
                        filesUnder(p, commit, matched, glob), g == null ? "" : g.replace(path, p.joinOn()),
                        p.outerJoin(), g == null ? "" : g.replace(path, p.groupBy()))));
            }
            return out;
        }
        if (input instanceof Join j) {
            return join(j, commits, glob);
        }
        if (input instanceof Group g) {
            Map<String, List<Part>> byKey = new TreeMap<>();
            for (Input child : g.inputs()) {
                for (List<Part> datum : parts(child, commits, glob)) {
                    for (Part part : datum) {
                        byKey.computeIfAbsent(part.groupBy(), k -> new ArrayList<>()).add(part);
                    }
                }
            }
            return new ArrayList<>(byKey.values());
        }
        if (input instanceof Union u) {
            List<List<Part>> out = new ArrayList<>();
            for (Input child : u.inputs()) {
                out.addAll(parts(child, commits, glob));
            }
            return out;
        }
        List<List<List<Part>>> children = new ArrayList<>();
        for (Input child : ((Cross) input).inputs()) {
            children.add(parts(child, commits, glob));
        }
        return cross(children);
    }

    /** Every combination of one datum of each list, in order. */
    private static List<List<Part>> cross(List<List<List<Part>>> children) {
        List<List<Part>> out = List.of(List.of());
        for (List<List<Part>> childParts : children) {
            List<List<Part>> next = new ArrayList<>();
            for (List<Part> left : out) {
                for (List<Part> right : childParts) {
                    List<Part> combo = new ArrayList<>(left);
                    combo.addAll(right);
                    next.add(combo);
                }
            }
            out = next;
        }
        return out;
    }

    /**
     * Pachyderm's join: each part of each input's datums is filed under its {@code join_on} key; per key,
     * the parts of the inputs that have it are crossed (one part per input); a combination with every input
     * is a datum, one lacking some keeps only its {@code outer_join} parts (none: no datum).
     */
    private static List<List<Part>> join(Join j, Map<RepoBranch, String> commits, GlobFn glob) {
        int n = j.inputs().size();
        Map<String, List<List<List<Part>>>> byKey = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            for (List<Part> datum : parts(j.inputs().get(i), commits, glob)) {
                for (Part part : datum) {
                    List<List<List<Part>>> perInput = byKey.computeIfAbsent(part.joinOn(), k -> {
                        List<List<List<Part>>> l = new ArrayList<>();
                        for (int x = 0; x < n; x++) {
                            l.add(new ArrayList<>());
                        }
                        return l;
                    });
                    perInput.get(i).add(List.of(part));
                }
            }
        }
        List<List<Part>> out = new ArrayList<>();
        for (List<List<List<Part>>> perInput : byKey.values()) {
            List<List<List<Part>>> present = perInput.stream().filter(l -> !l.isEmpty()).toList();
            for (List<Part> combo : cross(present)) {
                if (present.size() == n) {
                    out.add(combo);
                } else {
                    List<Part> outer = combo.stream().filter(Part::outerJoin).toList();
                    if (!outer.isEmpty()) {
                        out.add(outer);
                    }
                }
            }
        }
        return out;
    }

    private static boolean isRoot(String pattern) {
        return pattern.isEmpty() || pattern.chars().allMatch(c -> c == '/');
    }

    private static List<FileInfo> matches(Pfs p, String commit, GlobFn glob) {
        if (isRoot(p.glob())) {
            return List.of(new FileInfo("/", FileInfo.Type.DIR, 0, null));
        }
        return glob.glob(p.repo(), commit, p.glob());
    }

    private static List<DatumFile> filesUnder(Pfs p, String commit, FileInfo matched, GlobFn glob) {
        List<FileInfo> found = matched.type() == FileInfo.Type.FILE ? List.of(matched)
                : glob.glob(p.repo(), commit, isRoot(matched.path()) ? "/**" : escape(matched.path()) + "/**");
        List<DatumFile> out = new ArrayList<>();
        for (FileInfo f : found) {
            if (f.type() == FileInfo.Type.FILE) {
                out.add(new DatumFile(p.name(), p.repo(), commit, f.path(), f.size(), f.hash()));
            }
        }
        return out;
    }

    /** A literal path as a glob: its glob characters escaped. */
    private static String escape(String path) {
        StringBuilder sb = new StringBuilder();
        for (char c : path.toCharArray()) {
            if ("*?[]{}()|\\!".indexOf(c) >= 0) {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    static String id(List<Part> parts) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (Part part : parts) {
            update(md, "input", part.input(), part.matched());
            for (DatumFile f : part.files()) {
                update(md, "file", f.path(), f.hash() == null ? "" : f.hash());
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void update(MessageDigest md, String... fields) {
        for (String f : fields) {
            md.update(f.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
        }
    }
}
