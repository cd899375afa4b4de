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
final class TestDaemon implements RunningDaemon, AutoCloseable {
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

    @Override
    public Daemon daemon() {
        return daemon;
    }

    @Override
    public String address() {
        return address;
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

    @Override
    public void close() throws IOException {
        app.stop();
        daemon.close();
    }
}
