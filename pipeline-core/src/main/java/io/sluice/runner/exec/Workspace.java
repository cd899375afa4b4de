package io.sluice.runner.exec;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The {@code /pfs} of one datum on disk: one directory per input name holding the datum's files at their
 * repo paths, an empty {@code out}, and, for incremental pipelines, {@code prev} (the previous output,
 * read-only); and the rule by which what user code left in {@code out} becomes the datum's output. A
 * workspace is reused datum after datum ({@link #reset}); the directory holding {@code pfs} is user code's
 * working directory.
 */
public final class Workspace {
    private static final int MAX_LINKS = 40;
    private final Path pfs;
    private final Map<Path, InputFile> fetched = new HashMap<>();

    /** A workspace whose {@code /pfs} is the directory {@code pfs} (created when missing). */
    public Workspace(Path pfs) {
        this.pfs = pfs.toAbsolutePath().normalize();
    }

    /** The directory shown as {@code /pfs}. */
    public Path pfs() {
        return pfs;
    }

    /** {@code /pfs/out}. */
    public Path out() {
        return pfs.resolve("out");
    }

    /** {@code /pfs/prev}. */
    public Path prev() {
        return pfs.resolve("prev");
    }

    /** User code's working directory: the one holding {@code pfs}. */
    public Path workingDir() {
        return pfs.getParent();
    }

    /**
     * Empties the workspace but for {@code keep} (a prev directory kept across the datums of a job) and
     * lays out an empty {@code out} and one empty directory per name in {@code inputs}.
     */
    public void reset(Collection<String> inputs, Path keep) throws IOException {
        fetched.clear();
        Files.createDirectories(pfs);
        try (Stream<Path> children = Files.list(pfs)) {
            for (Path c : children.toList()) {
                if (!c.equals(keep)) {
                    deleteTree(c);
                }
            }
        }
        Files.createDirectories(out());
        for (String input : inputs) {
            Files.createDirectories(pfs.resolve(input));
        }
    }

    /** Copies each file from {@code source} to {@code /pfs/<input>/<path>}. */
    public void fetch(FileSource source, List<InputFile> files) throws IOException {
        for (InputFile f : files) {
            fetched.put(copy(source, f, pfs.resolve(f.input())), f);
        }
    }

    /** Copies {@code f} to {@code root}/its path, refusing a path that would leave {@code root}; the target. */
    public static Path copy(FileSource source, InputFile f, Path root) throws IOException {
        Path target = root.resolve(f.path().replaceFirst("^/+", "")).normalize();
        if (!target.startsWith(root) || target.equals(root)) {
            throw new IOException("input path escapes its directory: " + f.path());
        }
        Files.createDirectories(target.getParent());
        try (InputStream in = source.open(f)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
    }

    /**
     * One file user code left in {@code /pfs/out}: its repo path ("/a/b"), the file holding its bytes, and
     * the input file it is (a symlink or hard link to a file under {@code /pfs/<input>}), or null.
     */
    public record OutputFile(String path, Path file, InputFile source) {
    }

    /**
     * What user code left in {@code /pfs/out}, sorted by path: regular files, symlinks that resolve (read as
     * user code sees {@code /pfs}) to a regular file inside {@code /pfs/out}, and symlinks or hard links to an
     * input file under {@code /pfs/<input>} (kept as that input file, as Pachyderm passes a file through).
     * Any other symlink, a hard link to a file outside {@code /pfs}, and a file that cannot be read, is a
     * {@link Refused refusal}: the datum fails with its reason.
     */
    public List<OutputFile> collect() throws Refused {
        List<OutputFile> files = new ArrayList<>();
        Path out = out();
        try (Stream<Path> walk = Files.walk(out)) {
            List<Path> regular = new ArrayList<>();
            for (Path p : (Iterable<Path>) walk::iterator) {
                String rel = "/" + out.relativize(p).toString().replace(File.separatorChar, '/');
                if (Files.isSymbolicLink(p)) {
                    Path target = resolve(p);
                    InputFile source = target == null ? null : fetched.get(target);
                    if (source == null && (target == null || !target.startsWith(out)
                            || !Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS))) {
                        throw new Refused("output " + rel + " is a symlink to " + Files.readSymbolicLink(p)
                                + ", which is neither a regular file inside /pfs/out nor an input file under"
                                + " /pfs/<input>; refusing to follow it");
                    }
                    files.add(new OutputFile(rel, target, source));
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    regular.add(p);
                }
            }
            files.addAll(regularFiles(out, regular));
        } catch (IOException e) {
            throw new Refused("cannot read /pfs/out: " + e.getMessage());
        }
        files.sort(Comparator.comparing(OutputFile::path));
        return files;
    }

    /**
     * The regular files of {@code out}; one with several links is an input file when one link is, fine when
     * all its links are in {@code out}, and refused otherwise: its other name is outside /pfs.
     */
    private List<OutputFile> regularFiles(Path out, List<Path> regular) throws IOException, Refused {
        Map<Object, InputFile> inputs = new HashMap<>();
        Map<Object, Integer> linksInOut = new HashMap<>();
        Map<Path, Object> keys = new HashMap<>();
        for (Path p : regular) {
            if ((Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS) > 1) {
                Object key = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS).fileKey();
                keys.put(p, key);
                linksInOut.merge(key, 1, Integer::sum);
            }
        }
        if (!keys.isEmpty()) {
            for (Map.Entry<Path, InputFile> e : fetched.entrySet()) {
                Object key = Files.readAttributes(e.getKey(), java.nio.file.attribute.BasicFileAttributes.class,
                        LinkOption.NOFOLLOW_LINKS).fileKey();
                if (linksInOut.containsKey(key)) {
                    inputs.put(key, e.getValue());
                }
            }
        }
        List<OutputFile> files = new ArrayList<>();
        for (Path p : regular) {
            String rel = "/" + out.relativize(p).toString().replace(File.separatorChar, '/');
            Object key = keys.get(p);
            InputFile source = key == null ? null : inputs.get(key);
            if (key != null && source == null
                    && linksInOut.get(key) < (Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS)) {
                throw new Refused("output " + rel + " is a hard link to a file outside /pfs/out and the inputs;"
                        + " refusing it (copy the file instead)");
            }
            files.add(new OutputFile(rel, p, source));
        }
        return files;
    }

    /**
     * Where symlink {@code link} leads, as user code sees it: an absolute target under {@code /pfs} means
     * this workspace's directory; null when the chain is too long or leaves every known place.
     */
    private Path resolve(Path link) throws IOException {
        Path p = link;
        for (int i = 0; i < MAX_LINKS && Files.isSymbolicLink(p); i++) {
            String target = Files.readSymbolicLink(p).toString();
            Path next;
            if (target.equals("/pfs") || target.startsWith("/pfs/")) {
                next = pfs.resolve(target.substring(4).replaceFirst("^/+", ""));
            } else if (target.startsWith("/")) {
                next = Path.of(target);
            } else {
                next = p.getParent().resolve(target);
            }
            p = next.normalize();
            if (!p.startsWith(pfs)) {
                return null;
            }
        }
        return Files.isSymbolicLink(p) ? null : p;
    }

    /** Why a datum's output is not accepted. */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message);
        }
    }

    /** Takes write permission off everything under {@code dir} (the previous output shown at /pfs/prev). */
    public static void makeReadOnly(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.forEach(p -> p.toFile().setWritable(false, false));
        }
    }

    /** Deletes {@code dir} and everything under it, read-only directories included; a missing dir is fine. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                // prev directories are read-only; without write permission a non-root user cannot empty them
                p.getParent().toFile().setWritable(true, true);
                Files.deleteIfExists(p);
            }
        }
    }
}
