package io.sluice.pps;

import io.sluice.pfs.FileInfo;
import io.sluice.pps.PipelineSpec.Cross;
import io.sluice.pps.PipelineSpec.Input;
import io.sluice.pps.PipelineSpec.Pfs;
import io.sluice.pps.PipelineSpec.RepoBranch;
import io.sluice.pps.PipelineSpec.Union;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Splits a pipeline's inputs into datums as Pachyderm does: each pfs input's glob, matched against its
 * commit, gives one datum per matching file or directory (a directory brings every file under it, and
 * glob "/" the whole commit); {@code cross} is the product and {@code union} the concatenation of its
 * inputs' datums. A datum's id is a SHA-256 over the input name, matched path, and the path and content
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

    /** What one pfs input contributes to a datum: the path its glob matched and the files under it. */
    record Part(String input, String repo, String commit, String matched, List<DatumFile> files) {
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
        if (input instanceof Pfs p) {
            String commit = commits.get(new RepoBranch(p.repo(), p.branch()));
            List<List<Part>> out = new ArrayList<>();
            for (FileInfo matched : matches(p, commit, glob)) {
                out.add(List.of(new Part(p.name(), p.repo(), commit, matched.path(),
                        filesUnder(p, commit, matched, glob))));
            }
            return out;
        }
        if (input instanceof Union u) {
            List<List<Part>> out = new ArrayList<>();
            for (Input child : u.inputs()) {
                out.addAll(parts(child, commits, glob));
            }
            return out;
        }
        List<List<Part>> out = List.of(List.of());
        for (Input child : ((Cross) input).inputs()) {
            List<List<Part>> next = new ArrayList<>();
            List<List<Part>> childParts = parts(child, commits, glob);
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
            if ("*?[]{}\\!".indexOf(c) >= 0) {
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
