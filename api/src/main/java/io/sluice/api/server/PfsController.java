package io.sluice.api.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.sluice.SluiceException;
import io.sluice.pfs.ChunkStream;
import io.sluice.pfs.FileInfo;
import io.sluice.pfs.PfsService;
import io.sluice.pfs.Projects;
import io.sluice.pfs.Ref;
import io.sluice.pps.PpsService;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/** REST access to the versioned file system under {@code /api/v1/repos}; only translation, no logic. */
public final class PfsController {
    private static final int MAX_JSON = 1 << 20;
    static final String TAR = "application/x-tar";
    private final PfsService pfs;
    /** Guards what pipelines depend on: their repos' deletion, user writes to their output repos. */
    private final PpsService pps;
    private final ObjectMapper json;

    public PfsController(PfsService pfs, PpsService pps, ObjectMapper json) {
        this.pfs = pfs;
        this.pps = pps;
        this.json = json;
    }

    /** The path's repo, once pps has said a user may change it. */
    private String writableRepo(Context ctx) {
        String repo = Requests.repo(ctx);
        pps.checkUserWrite(repo);
        return repo;
    }

    public void createRepo(Context ctx) {
        JsonNode body = Requests.jsonObject(ctx, json, MAX_JSON, "name", "description");
        String name = Ref.checkRepoName(text(body, "name", null));
        ctx.status(201).json(pfs.createRepo(Projects.qualify(Requests.project(ctx), name), text(body, "description", "")));
    }

    public void listRepos(Context ctx) {
        ctx.json(pfs.listRepos(Requests.project(ctx)));
    }

    public void inspectRepo(Context ctx) {
        ctx.json(pfs.inspectRepo(Requests.repo(ctx)));
    }

    public void deleteRepo(Context ctx) {
        pps.deleteRepo(Requests.repo(ctx));
        ctx.json(Map.of("deleted", ctx.pathParam("repo")));
    }

    public void listCommits(Context ctx) {
        ctx.json(Requests.page(ctx, n -> pfs.listCommit(Requests.repo(ctx), ctx.queryParam("branch"), n, true)));
    }

    /** GET .../commit?ref=R[&wait=SECONDS]: inspect, or wait until finished. */
    public void inspectCommit(Context ctx) {
        String repo = Requests.repo(ctx);
        String ref = Requests.required(ctx, "ref");
        Requests.inspectOrAwait(ctx, () -> pfs.inspectCommit(repo, ref), wait -> pfs.awaitCommit(repo, ref, wait));
    }

    public void startCommit(Context ctx) {
        JsonNode body = Requests.jsonObject(ctx, json, MAX_JSON, "branch", "description");
        ctx.status(201).json(pfs.startCommit(writableRepo(ctx), text(body, "branch", "master"),
                text(body, "description", ""), List.of()));
    }

    public void finishCommit(Context ctx) {
        JsonNode body = Requests.jsonObject(ctx, json, MAX_JSON, "branch");
        ctx.json(pfs.finishCommit(writableRepo(ctx), text(body, "branch", "master")));
    }

    public void listBranches(Context ctx) {
        ctx.json(pfs.listBranch(Requests.repo(ctx)));
    }

    public void createBranch(Context ctx) {
        JsonNode body = Requests.jsonObject(ctx, json, MAX_JSON, "name", "head");
        ctx.status(201).json(pfs.createBranch(Requests.repo(ctx), text(body, "name", null),
                body.hasNonNull("head") ? text(body, "head", null) : null));
    }

    public void deleteBranch(Context ctx) {
        String branch = Requests.required(ctx, "name");
        pfs.deleteBranch(Requests.repo(ctx), branch);
        ctx.json(Map.of("deleted", branch));
    }

    /**
     * PUT .../files?branch=B&path=P[&append=true] with the file's bytes as the body, streamed; with
     * {@code Content-Type: application/x-tar} the body is a tar stream whose files all go under directory P
     * (default "/") in one step.
     */
    public void putFile(Context ctx) throws IOException {
        LazyBody body = new LazyBody(ctx);
        try (body) {
            String repo = writableRepo(ctx);
            String branch = Requests.optional(ctx, "branch", "master");
            boolean append = Requests.flag(ctx, "append");
            if (isTar(ctx)) {
                if (append) {
                    throw SluiceException.invalid("append=true does not apply to a tar upload");
                }
                ctx.json(pfs.putTar(repo, branch, Requests.optional(ctx, "path", "/"), body));
                return;
            }
            ctx.json(pfs.putFile(repo, branch, Requests.required(ctx, "path"), body, append));
        } catch (SluiceException e) {
            boolean unread = !body.opened() && !"100-continue".equalsIgnoreCase(ctx.header("Expect"));
            // a full disk or a store outage stops the read mid-body: take the rest too, so the client
            // finishes sending and reads the answer instead of a connection reset
            boolean cutShort = body.opened() && e.kind() == SluiceException.Kind.UNAVAILABLE;
            if (unread || cutShort) {
                Requests.drain(ctx); // the client sends the body anyway: take it, so that it reads the answer
            }
            throw e;
        }
    }

    private static boolean isTar(Context ctx) {
        String type = ctx.header("Content-Type");
        return type != null && type.split(";")[0].trim().equalsIgnoreCase(TAR);
    }

    /**
     * The request body, opened at its first read: pfs refuses a missing repo or a bad path before reading,
     * so a client that sent "Expect: 100-continue" (curl, for large files) gets the refusal instead of
     * "100 Continue" and sends no byte of a body that would be thrown away.
     */
    private static final class LazyBody extends InputStream {
        private final Context ctx;
        private InputStream in;

        LazyBody(Context ctx) {
            this.ctx = ctx;
        }

        boolean opened() {
            return in != null;
        }

        private InputStream in() {
            if (in == null) {
                in = ctx.bodyInputStream();
            }
            return in;
        }

        @Override
        public int read() throws IOException {
            try {
                return in().read();
            } catch (IOException e) {
                throw refused(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in().read(b, off, len);
            } catch (IOException e) {
                throw refused(e);
            }
        }

        /**
         * A body that sent nothing for the connection's idle timeout (Jetty's, 30 s) is cut off: a 408 naming
         * the cause instead of a 503 that leaks Jetty's exception (the client is at fault, not the store).
         */
        private static IOException refused(IOException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof java.util.concurrent.TimeoutException) {
                    throw new io.javalin.http.RequestTimeoutResponse(
                            "the request body stalled: no bytes arrived within the idle timeout");
                }
            }
            // any other failure to read the body is the connection's: cut short, or broken chunked framing
            throw SluiceException.invalid("the request body broke off before its end (shorter than its "
                    + "Content-Length, or bad chunked encoding); nothing was written");
        }

        @Override
        public void close() throws IOException {
            if (in != null) {
                in.close();
            }
        }
    }

    /**
     * GET .../files?ref=R&path=P[&offset=N&length=N]: the bytes, streamed. The file is resolved once and its
     * first chunk checked before the headers go out, so a directory, a bad offset or a damaged first chunk
     * get an error answer; damage further on breaks the connection off short of Content-Length, after every
     * byte before the damaged chunk went out (so a client asking again from there gets the error answer).
     */
    public void getFile(Context ctx) {
        ChunkStream in = pfs.getFile(Requests.repo(ctx), Requests.optional(ctx, "ref", "master"),
                Requests.required(ctx, "path"), Requests.number(ctx, "offset", 0), Requests.number(ctx, "length", -1));
        ctx.header("Content-Length", Long.toString(in.remaining()));
        ctx.contentType("application/octet-stream");
        ctx.result(new FlushAtChunkEnds(in, ctx));
    }

    /**
     * The file's bytes as the answer's body, flushing the answer before each new chunk is read: Javalin
     * writes all it read before reading again, so a chunk found damaged cuts the body exactly at its start.
     */
    private static final class FlushAtChunkEnds extends InputStream {
        private final ChunkStream in;
        private final Context ctx;

        FlushAtChunkEnds(ChunkStream in, Context ctx) {
            this.in = in;
            this.ctx = ctx;
        }

        @Override
        public int read() throws IOException {
            flushAtChunkEnd();
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            flushAtChunkEnd();
            return in.read(b, off, len);
        }

        private void flushAtChunkEnd() throws IOException {
            if (in.atChunkEnd() && in.remaining() > 0) {
                ctx.outputStream().flush();
            }
        }

        @Override
        public void close() {
            in.close();
        }
    }

    /**
     * GET .../files/tar?ref=R&path=DIR: every file under DIR (default "/") as one streamed tar body, names
     * relative to DIR; cut short (no end-of-archive block) if a chunk turns out damaged on the way.
     */
    public void getTree(Context ctx) throws IOException {
        String repo = Requests.repo(ctx);
        String ref = Requests.optional(ctx, "ref", "master");
        String path = Requests.optional(ctx, "path", "/");
        ctx.contentType(TAR); // pfs refuses a missing path or a file before it writes a byte
        pfs.getTree(repo, ref, path, new io.sluice.pfs.Tar.Writer(new java.io.BufferedOutputStream(ctx.outputStream(), 1 << 16)));
    }

    public void deleteFile(Context ctx) {
        ctx.json(pfs.deleteFile(writableRepo(ctx), Requests.optional(ctx, "branch", "master"),
                Requests.required(ctx, "path")));
    }

    public void inspectFile(Context ctx) {
        ctx.json(pfs.inspectFile(Requests.repo(ctx), Requests.optional(ctx, "ref", "master"),
                Requests.required(ctx, "path")));
    }

    /**
     * GET .../files/list?ref=R&path=DIR[&limit=N&after=CURSOR]: the entries of DIR in tree order. Without a
     * limit the answer is streamed as it is read; with one, a page, and the header {@value #NEXT_CURSOR}
     * carries the cursor to pass as {@code after} for the next page when more remain.
     */
    public void listFiles(Context ctx) throws IOException {
        String repo = Requests.repo(ctx);
        String ref = Requests.optional(ctx, "ref", "master");
        String path = Requests.optional(ctx, "path", "/");
        this.<FileInfo>paged(ctx, 0, (after, limit, out) -> pfs.listFile(repo, ref, path, after, limit, out));
    }

    /**
     * GET .../files/glob?ref=R&pattern=P[&limit=N&after=CURSOR]: matches in tree order, always one page (of
     * {@value #MAX_PAGE} without a limit), since a pattern that matches little would otherwise walk the whole
     * tree in one request; a page that looked at its share of entries ends short, with a cursor.
     */
    public void globFiles(Context ctx) throws IOException {
        String repo = Requests.repo(ctx);
        String ref = Requests.optional(ctx, "ref", "master");
        String pattern = Requests.required(ctx, "pattern");
        this.<FileInfo>paged(ctx, MAX_PAGE, (after, limit, out) -> pfs.globFile(repo, ref, pattern, after, limit, out));
    }

    /** GET .../diff?new=A&old=B[&path=DIR&limit=N&after=CURSOR]: the paths that differ, paged as glob. */
    public void diffFiles(Context ctx) throws IOException {
        String repo = Requests.repo(ctx);
        String newRef = Requests.required(ctx, "new");
        String oldRef = Requests.required(ctx, "old");
        String path = Requests.optional(ctx, "path", "/");
        this.<io.sluice.pfs.FileDiff>paged(ctx, MAX_PAGE, (after, limit, out) -> pfs.diffFile(repo, newRef, oldRef, path, after, limit, out));
    }

    static final String NEXT_CURSOR = "Sluice-Next-Cursor";

    private interface Listing<T> {
        String run(String after, int limit, java.util.function.Consumer<T> out);
    }

    /** Answers one page ({@code limit}, else {@code pageByDefault}) or, when both are 0, the whole listing streamed. */
    private <T> void paged(Context ctx, int pageByDefault, Listing<T> listing) throws IOException {
        String after = ctx.queryParam("after");
        long limit = Requests.number(ctx, "limit", 0);
        if (limit < 0) {
            throw SluiceException.invalid("limit must not be negative");
        }
        if (limit > 0 || pageByDefault > 0) {
            List<T> page = new java.util.ArrayList<>();
            String next = listing.run(after, (int) Math.min(limit > 0 ? limit : pageByDefault, MAX_PAGE), page::add);
            if (next != null) {
                ctx.header(NEXT_CURSOR, next);
            }
            ctx.json(page);
            return;
        }
        // streamed: the array opens at the first entry, so an error found before it is still a clean 4xx
        com.fasterxml.jackson.core.JsonGenerator[] gen = {null};
        listing.run(after, 0, f -> {
            try {
                if (gen[0] == null) {
                    ctx.contentType("application/json");
                    gen[0] = json.createGenerator(ctx.outputStream());
                    gen[0].writeStartArray();
                }
                gen[0].writeObject(f);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        if (gen[0] == null) {
            ctx.json(List.of());
            return;
        }
        gen[0].writeEndArray();
        gen[0].close();
    }

    private static final int MAX_PAGE = 100_000;

    public void copyFile(Context ctx) {
        JsonNode body = Requests.jsonObject(ctx, json, MAX_JSON, "srcRepo", "srcRef", "srcPath", "branch", "path");
        // the source is in the path's project unless named "project/repo"
        String src = text(body, "srcRepo", null);
        ctx.json(pfs.copyFile(src.indexOf('/') >= 0 ? Projects.checkQualified(src)
                        : Projects.qualify(Requests.project(ctx), Ref.checkRepoName(src)), text(body, "srcRef", "master"), text(body, "srcPath", null),
                writableRepo(ctx), text(body, "branch", "master"), text(body, "path", null)));
    }

    public void fsck(Context ctx) {
        List<String> problems = new java.util.ArrayList<>(pfs.damaged()); // repos too damaged to open at start
        problems.addAll(pfs.fsck());
        ctx.json(Map.of("ok", problems.isEmpty(), "problems", problems));
    }

    public void gc(Context ctx) {
        ctx.json(Map.of("deletedChunks", pfs.gc()));
    }

    /** A string field of a JSON body; {@code fallback == null} makes it required. */
    static String text(JsonNode body, String field, String fallback) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            if (fallback == null) {
                throw SluiceException.invalid("missing field '" + field + "'");
            }
            return fallback;
        }
        if (!node.isTextual()) {
            throw SluiceException.invalid("field '" + field + "' must be a string");
        }
        return node.asText();
    }
}
