package io.sluice.api;

import io.javalin.Javalin;
import io.sluice.api.server.ApiServer;
import io.sluice.api.server.Daemon;
import io.sluice.api.server.DaemonConfig;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A real daemon on a free loopback port over a temp data dir, plus a way to run CLI commands against it. */
final class TestDaemon implements AutoCloseable {
    /** The project root, found from the api module's working directory during the build. */
    static final Path HOME = Path.of("").toAbsolutePath().getParent();

    final Daemon daemon;
    final Javalin app;
    final String address;

    TestDaemon(Path dataDir) throws IOException {
        this(dataDir, null);
    }

    TestDaemon(Path dataDir, String storeUri) throws IOException {
        this(dataDir, storeUri, null);
    }

    TestDaemon(Path dataDir, String storeUri, String token) throws IOException {
        this(dataDir, storeUri, token, System.getenv());
    }

    TestDaemon(Path dataDir, String storeUri, String token, Map<String, String> env) throws IOException {
        DaemonConfig config = new DaemonConfig(dataDir, storeUri, "127.0.0.1", 0,
                List.of(HOME.resolve("train-stage/bin"), HOME.resolve("predict-stage/bin")), token);
        daemon = Daemon.open(config, env);
        app = ApiServer.create(daemon).start("127.0.0.1", 0);
        address = "http://127.0.0.1:" + app.port();
    }

    /** The outcome of one CLI run. */
    record Run(int code, String out, String err) {
    }

    Run cli(String... args) {
        return cli(new byte[0], args);
    }

    Run cli(byte[] stdin, String... args) {
        return cli(address, stdin, args);
    }

    static Run cli(String address, byte[] stdin, String... args) {
        return cli(Map.of("SLUICE_ADDRESS", address), stdin, args);
    }

    static Run cli(Map<String, String> environment, byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> env = new HashMap<>(environment);
        InputStream in = new ByteArrayInputStream(stdin);
        int code = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                in, env).run(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** One commit on {@code repo@branch} (the repo made when missing) putting {@code files} and deleting {@code gone}. */
    io.sluice.pfs.CommitInfo commit(String repo, String branch, Map<String, String> files, String... gone) {
        io.sluice.pfs.PfsService pfs = daemon.pfs();
        if (pfs.listRepos().stream().noneMatch(r -> r.name().equals(repo))) {
            pfs.createRepo(repo, "");
        }
        try (io.sluice.pfs.FileBatch b = pfs.openBatch(repo, branch)) {
            for (String g : gone) {
                b.delete(g);
            }
            files.forEach((p, c) -> b.put(p, new ByteArrayInputStream(c.getBytes(StandardCharsets.UTF_8)), false));
            return b.commit();
        }
    }

    /** Every file of the head of {@code repo@master}: path -> content. */
    Map<String, String> output(String repo) throws IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        for (var f : daemon.pfs().globFile(repo, "master", "/**")) {
            if (f.type() == io.sluice.pfs.FileInfo.Type.FILE) {
                try (InputStream in = daemon.pfs().getFile(repo, "master", f.path(), 0, -1)) {
                    out.put(f.path(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        app.stop();
        daemon.close();
    }
}
