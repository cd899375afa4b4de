package io.sluice.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.sluice.api.Main;
import io.sluice.api.client.ClientException;
import io.sluice.api.client.SluiceClient;
import io.sluice.pfs.Projects;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.sluice.api.cli.Output.Column;
import static io.sluice.api.client.SluiceClient.query;

/** pachctl's file verbs: put, get, glob, diff and copy, streaming file bytes in constant memory. */
public final class FileVerbs {
    private static final long PROGRESS_THRESHOLD = 4L << 20;

    private FileVerbs() {
    }

    static final Column[] FILE = {
            Column.field("NAME", "path"), Column.field("TYPE", "type"),
            Column.size("SIZE", "size")};
    private static final Column[] DIFF = {
            new Column("CHANGE") {
                @Override
                String value(JsonNode row) {
                    return change(row);
                }
            }, Column.field("PATH", "path"), new Column("SIZE") {
                @Override
                String value(JsonNode row) {
                    return Output.bytes(row.path("newFile").get("size"));
                }
            }};

    /** put file. */
    public static final class Put extends Group {
        public Put() {
            super("put", "Put a file into a repo.", "file");
        }

        @Override
        protected Cmd subcommand(String noun) {
            return new PutFile();
        }
    }

    /** put file: one file, a directory's files in one commit, or stdin. */
    static final class PutFile extends ClientCmd {
        PutFile() {
            super("file", "Put LOCAL (or a directory with -r, or stdin with -f -) at REPO@BRANCH:/PATH.");
            param("REPO@BRANCH:/PATH", "Where it goes (a directory's files go under PATH).");
            requiredOption("-f,--file", "LOCAL", String.class, "The local file or directory, or - for stdin.");
            flag("-r,--recursive", "Put a directory's files.");
            flag("-a,--append", "Append instead of overwriting.");
        }

        @Override
        protected void run() {
            String arg = positional(0);
            String local = value("--file");
            boolean append = isSet("--append");
            RefArg ref = RefArg.parse(arg, v1());
            SluiceClient client = client();
            // Asked first because the daemon refuses a put into a missing repo before reading the body, and
            // Java's HTTP client, still sending a large one, then loses that answer to the closed connection.
            client.get(ref.repoPath(), null);
            if (local.equals("-")) {
                put(client, ref, ref.requirePath(arg), () -> main().in(), -1, append);
                return;
            }
            Path source = Path.of(local);
            if (Files.isDirectory(source)) {
                if (!isSet("--recursive")) {
                    throw new Main.UsageError(local + " is a directory; use -r to put its files");
                }
                putTree(client, ref, source, ref.pathOr("/"), append);
            } else if (Files.isRegularFile(source)) {
                String path = ref.path() == null || ref.path().isEmpty() ? "/" + source.getFileName() : ref.requirePath(arg);
                put(client, ref, path, () -> open(source), size(source), append);
            } else {
                throw new Main.UsageError("no such file: " + local);
            }
        }

        /**
         * All files of a directory in one commit (into the open commit if there is one, else a new one), sent
         * as one streamed tar request that lands all of them or none; appends go file by file.
         */
        private void putTree(SluiceClient client, RefArg ref, Path dir, String target, boolean append) {
            List<Path> files;
            try (Stream<Path> walk = Files.walk(dir)) {
                files = walk.filter(Files::isRegularFile).sorted().toList();
            } catch (IOException e) {
                throw new Main.UsageError("cannot read " + dir + ": " + e.getMessage());
            }
            if (!append) {
                TarSender sender = new TarSender(dir, files);
                try {
                    client.putStream(ref.repoPath() + "/files", query("branch", ref.branch(), "path", target),
                            "application/x-tar", sender::open, -1);
                    sender.rethrowLocalFailure();
                } catch (ClientException e) {
                    sender.rethrowLocalFailure();
                    throw e;
                } finally {
                    sender.close(); // unblocks the writer thread if the daemon stopped reading early
                }
                return;
            }
            boolean opened = true;
            try {
                client.post(ref.repoPath() + "/commits/start", null, Map.of("branch", ref.branch(), "description", "put file -r " + dir));
            } catch (ClientException e) {
                if (e.status() != 409) { // 409: a commit is already open; the files go into it
                    throw e;
                }
                opened = false;
            }
            String base = target.endsWith("/") ? target : target + "/";
            for (Path file : files) {
                String rel = dir.relativize(file).toString().replace('\\', '/');
                put(client, ref, base + rel, () -> open(file), size(file), append);
            }
            if (opened) {
                client.post(ref.repoPath() + "/commits/finish", null, Map.of("branch", ref.branch()));
            }
        }

        private void put(SluiceClient client, RefArg ref, String path, java.util.function.Supplier<InputStream> data,
                         long size, boolean append) {
            client.putStream(ref.repoPath() + "/files", query("branch", ref.branch(), "path", path, "append", append),
                    () -> Progress.wrap(data.get(), size, "put " + path, main().err(), showProgress(size)), size);
        }
    }

    /** get file. */
    public static final class Get extends Group {
        public Get() {
            super("get", "Get a file out of a repo.", "file");
        }

        @Override
        protected Cmd subcommand(String noun) {
            return new GetFile();
        }
    }

    /** get file: one file to stdout or a local file, or a directory's files into a local directory. */
    static final class GetFile extends ClientCmd {
        GetFile() {
            super("file", "Write REPO@REF:/PATH to stdout or to -o LOCAL; with -r a directory into -o DIR.", false);
            param("REPO@REF:/PATH", "The file, or with -r the directory.");
            option("-o,--output-file", "LOCAL", "Where to write it (default, or -: stdout).");
            option("--offset", "BYTES", long.class, "0", "Start this many bytes into the file.");
            flag("-r,--recursive", "Get every file under a directory into -o DIR.");
        }

        @Override
        protected void run() throws IOException {
            String arg = positional(0);
            String target = value("--output-file");
            long offset = value("--offset");
            RefArg ref = RefArg.parse(arg, v1());
            SluiceClient client = client();
            if (isSet("--recursive")) {
                if (target == null || target.equals("-")) {
                    throw new Main.UsageError("get file -r writes a directory: name it with -o DIR");
                }
                getTree(client, ref, ref.pathOr("/"), Path.of(target));
                return;
            }
            String path = ref.requirePath(arg);
            download(client, ref, path, offset, target == null || target.equals("-") ? null : Path.of(target));
        }

        /**
         * Every file under {@code dir} to the same relative path under {@code local}, from one streamed tar
         * answer; an answer cut short (a damaged chunk on the daemon) fails with one line.
         */
        private void getTree(SluiceClient client, RefArg ref, String dir, Path local) throws IOException {
            SluiceClient.Streamed response = client.getStream(ref.repoPath() + "/files/tar", query("ref", ref.ref(), "path", dir));
            Path root = local.toAbsolutePath().normalize();
            try (InputStream body = new java.io.BufferedInputStream(response.body(), 1 << 16)) {
                io.sluice.pfs.Tar.Reader tar = new io.sluice.pfs.Tar.Reader(body);
                for (io.sluice.pfs.Tar.Entry e; (e = tar.next()) != null; ) {
                    Path to = root.resolve(e.path()).normalize();
                    if (e.directory() || !to.startsWith(root) || to.equals(root)) {
                        continue; // a repo path never climbs out; refuse to write outside DIR all the same
                    }
                    Files.createDirectories(to.getParent());
                    save(tar.data(), to);
                }
            } catch (io.sluice.SluiceException e) {
                throw new ClientException("get file -r " + ref.repo() + "@" + ref.ref() + ":" + dir + " broke off: "
                        + e.getMessage().replace(": nothing was put", ""));
            } catch (IOException e) {
                throw new ClientException("get file -r " + ref.repo() + "@" + ref.ref() + ":" + dir + " broke off: " + e.getMessage());
            }
        }

        /** One file's bytes to {@code target}, or to stdout when it is null. */
        private void download(SluiceClient client, RefArg ref, String path, long offset, Path target) throws IOException {
            SluiceClient.Streamed response = client.getStream(ref.repoPath() + "/files",
                    query("ref", ref.ref(), "path", path, "offset", offset));
            long size = response.length();
            Received body = new Received(response.body(), size);
            try (InputStream in = Progress.wrap(body, size, "get " + path, main().err(), showProgress(size))) {
                save(in, target);
            } catch (IOException e) {
                if (!body.failed) {
                    throw e; // writing the local file failed, not the daemon
                }
                throw brokenOff(client, ref, path, offset + body.count, size, e);
            }
        }

        /**
         * Why the daemon broke a download off: it checks each chunk before sending any of its bytes and sends
         * everything before it, so asked for the file from where the bytes stopped it names the damaged chunk.
         */
        private static ClientException brokenOff(SluiceClient client, RefArg ref, String path, long at, long size,
                                                 IOException e) {
            try (InputStream rest = client.getStream(ref.repoPath() + "/files",
                    query("ref", ref.ref(), "path", path, "offset", at, "length", 1)).body()) {
                rest.readAllBytes();
            } catch (ClientException named) {
                return named;
            } catch (IOException ignored) {
                // no better reason to give than the first one
            }
            return new ClientException("get file " + ref.repo() + "@" + ref.ref() + ":" + path + " broke off after "
                    + at + (size < 0 ? "" : " of " + size) + " bytes: " + e.getMessage());
        }

        /** The daemon's bytes, counted; fails (and remembers it) if they stop short of the expected size. */
        private static final class Received extends io.sluice.BlockInputStream {
            private final InputStream in;
            private final long expected;
            long count;
            boolean failed;

            Received(InputStream in, long expected) {
                this.in = in;
                this.expected = expected;
            }

            @Override
            public void close() throws IOException {
                in.close();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                try {
                    int n = in.read(b, off, len);
                    if (n < 0 && expected >= 0 && count < expected) {
                        throw new java.io.EOFException("the connection closed early");
                    }
                    count += Math.max(0, n);
                    return n;
                } catch (IOException e) {
                    failed = true;
                    throw e;
                }
            }
        }

        private void save(InputStream in, Path target) throws IOException {
            if (target == null) {
                SluiceClient.copy(in, main().out());
                main().out().flush();
                return;
            }
            // Write beside the target and rename, so an interrupted get never leaves a truncated file.
            Path parent = target.toAbsolutePath().getParent();
            Path tmp = Files.createTempFile(parent, ".sluice-get-", ".part");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                SluiceClient.copy(in, out);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** glob file. */
    public static final class Glob extends Group {
        public Glob() {
            super("glob", "Match files against a glob pattern.", "file");
        }

        @Override
        protected Cmd subcommand(String noun) {
            return new ClientCmd("file", "List the files of REPO@REF matching PATTERN, e.g. 'repo@master:/*/*.csv'.") {
                {
                    param("REPO@REF:PATTERN", "The commit and the pattern (default /*).");
                    pageOptions(this, "Show at most N matches (a page).");
                }

                @Override
                protected void run() {
                    RefArg ref = RefArg.parse(positional(0), v1());
                    printPages(this, ref.repoPath() + "/files/glob", query("ref", ref.ref(), "pattern", ref.pathOr("/*")), FILE);
                }
            };
        }
    }

    /** diff file. */
    public static final class Diff extends Group {
        public Diff() {
            super("diff", "Show what changed between two commits.", "file");
        }

        @Override
        protected Cmd subcommand(String noun) {
            return new ClientCmd("file", "List paths that differ between REPO@NEW[:/DIR] and REPO@OLD.") {
                {
                    param("REPO@NEW", "The newer commit (with :/DIR, only under DIR).");
                    param("REPO@OLD", "The older commit.");
                    pageOptions(this, "Show at most N paths (a page).");
                }

                @Override
                protected void run() {
                    RefArg newRef = RefArg.parse(positional(0), v1());
                    RefArg oldRef = RefArg.parse(positional(1), v1());
                    if (!newRef.repo().equals(oldRef.repo())) {
                        throw new Main.UsageError("diff file compares two commits of one repo");
                    }
                    printPages(this, newRef.repoPath() + "/diff",
                            query("new", newRef.ref(), "old", oldRef.ref(), "path", newRef.pathOr("/")), DIFF);
                }
            };
        }
    }

    /** copy file. */
    public static final class Copy extends Group {
        public Copy() {
            super("copy", "Copy a file between commits without re-uploading its bytes.", "file");
        }

        @Override
        protected Cmd subcommand(String noun) {
            return new ClientCmd("file", "Copy SRC_REPO@REF:/PATH to DST_REPO@BRANCH:/PATH.") {
                {
                    param("SRC_REPO@REF:/PATH", "The file to copy.");
                    param("DST_REPO@BRANCH:/PATH", "Where the copy goes (in a new commit).");
                    option("--src-project", "PROJECT", "Project of the source repo (default: the one --project names).");
                }

                @Override
                protected void run() {
                    String srcArg = positional(0);
                    String dstArg = positional(1);
                    RefArg src = RefArg.parse(srcArg, v1());
                    RefArg dst = RefArg.parse(dstArg, v1());
                    String srcProject = value("--src-project");
                    // the daemon reads a "project/repo" source in that project ("default/x" too), a bare name in the
                    // destination's
                    String srcRepo = srcProject == null ? src.repo() : Projects.checkName(srcProject) + "/" + src.repo();
                    client().post(dst.repoPath() + "/files/copy", null, Map.of("srcRepo", srcRepo, "srcRef", src.ref(),
                            "srcPath", src.requirePath(srcArg), "branch", dst.ref(), "path", dst.requirePath(dstArg)));
                }
            };
        }
    }

    /** Adds the paging options --limit (helped by {@code limitHelp}) and --cursor, which {@link #printPages} reads. */
    static void pageOptions(Cmd cmd, String limitHelp) {
        cmd.option("--limit", "N", Integer.class, null, limitHelp);
        cmd.option("--cursor", "CURSOR", "Start after this cursor (from the previous page).");
    }

    /** Entries asked for per request when the CLI gathers a whole listing. */
    private static final int PAGE = 1000;

    /**
     * Prints a paged listing: with {@code limit}, that one page after {@code cursor} and then on stderr how to
     * ask for the next one; without, every page, following the daemon's cursors to the end (a page can end
     * short when the daemon bounds the work of one request, so only the cursor says whether more remain).
     */
    static void printPages(ClientCmd cmd, String path, Map<String, Object> query, Column... columns) {
        Integer limit = cmd.value("--limit");
        String cursor = cmd.value("--cursor");
        SluiceClient client = cmd.client();
        ArrayNode items = JsonNodeFactory.instance.arrayNode();
        String next = cursor;
        do {
            Map<String, Object> q = new java.util.LinkedHashMap<>(query);
            q.put("limit", limit != null ? limit : PAGE);
            if (next != null) {
                q.put("after", next);
            }
            SluiceClient.Page page = client.getPage(path, q);
            items.addAll((ArrayNode) page.items());
            next = page.next();
        } while (limit == null && next != null);
        cmd.print(items, columns);
        if (next != null) {
            cmd.main().err().println("more: --cursor '" + next.replace("'", "'\\''") + "'");
        }
    }

    private static String change(JsonNode row) {
        boolean hasNew = row.hasNonNull("newFile");
        boolean hasOld = row.hasNonNull("oldFile");
        return hasNew && hasOld ? "modified" : hasNew ? "added" : "deleted";
    }

    /**
     * A directory's files as a tar stream written by a thread of its own into a pipe; a local read failure
     * ends the stream without its end-of-archive block, so the daemon lands nothing, and is reported after.
     */
    private static final class TarSender {
        private final Path dir;
        private final List<Path> files;
        private volatile IOException failure;
        private volatile InputStream opened;

        TarSender(Path dir, List<Path> files) {
            this.dir = dir;
            this.files = files;
        }

        InputStream open() {
            java.io.PipedInputStream in = new java.io.PipedInputStream(1 << 16);
            java.io.PipedOutputStream pipe;
            try {
                pipe = new java.io.PipedOutputStream(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Thread t = new Thread(() -> {
                try (OutputStream out = new java.io.BufferedOutputStream(pipe, 1 << 16)) {
                    io.sluice.pfs.Tar.Writer tar = new io.sluice.pfs.Tar.Writer(out);
                    for (Path file : files) {
                        String rel = dir.relativize(file).toString().replace('\\', '/');
                        try (InputStream data = Files.newInputStream(file)) {
                            tar.file(rel, Files.size(file), data);
                        }
                    }
                    tar.finish();
                } catch (IOException e) {
                    failure = e;
                }
            }, "put-file-tar");
            t.setDaemon(true);
            t.start();
            opened = in;
            return in;
        }

        void close() {
            try {
                if (opened != null) {
                    opened.close();
                }
            } catch (IOException ignored) {
                // nothing more to send either way
            }
        }

        void rethrowLocalFailure() {
            if (failure != null) {
                throw new Main.UsageError("cannot read " + dir + ": " + failure.getMessage() + " (nothing was put)");
            }
        }
    }

    private static boolean showProgress(long size) {
        return stderrIsTerminal() && (size < 0 || size >= PROGRESS_THRESHOLD);
    }

    /**
     * Whether stderr, where the bar goes, is a terminal, even when stdin or stdout is redirected (which makes
     * {@code System.console()} null); read from /proc on Linux, else the console test.
     */
    private static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException e) {
            return System.console() != null;
        }
    }

    private static InputStream open(Path file) {
        try {
            return Files.newInputStream(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new Main.UsageError("cannot read " + file + ": " + e.getMessage());
        }
    }
}
