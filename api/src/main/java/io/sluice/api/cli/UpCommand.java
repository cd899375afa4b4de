package io.sluice.api.cli;

import io.javalin.Javalin;
import io.sluice.api.Main;
import io.sluice.api.demo.Demo;
import io.sluice.api.server.ApiServer;
import io.sluice.api.server.AuthToken;
import io.sluice.api.server.Daemon;
import io.sluice.api.server.DaemonConfig;
import io.sluice.storage.DataDirLock;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** {@code sluice up}: runs the daemon in the foreground and, unless {@code --no-demo}, the recommender demo. */
public final class UpCommand extends Cmd {
    private int port;

    private Path dataDir;

    private String store;

    private String bind;

    private Path tokenFile;

    private String runner;

    private String namespace;

    private String workerAddress;

    private String workerSecret;

    private boolean noDemo;

    private Path dataset;

    public UpCommand() {
        super("up", "Run the Sluice daemon in the foreground (and the recommender demo unless --no-demo).");
        option("--port", "PORT", int.class, "" + DaemonConfig.DEFAULT_PORT, "Port (default 5000).");
        option("--data-dir", "DIR", Path.class, null, "Data dir (default $SLUICE_DATA or repos/ in the project).");
        option("--store", "URI", "Chunk store: file:DIR (default: objects/ in the data dir), s3://BUCKET[/PREFIX], mem:.");
        option("--bind", "ADDRESS", String.class, DaemonConfig.DEFAULT_HOST, "Interface to listen on (default 127.0.0.1).");
        option("--token-file", "FILE", Path.class, null, "File holding the API's bearer token, created (mode 0600) if"
                + " missing (default: auth-token in the data dir; $SLUICE_AUTH_TOKEN, when set, is used instead). A token"
                + " is never given on the command line, where every local user could read it.");
        option("--runner", "RUNNER", String.class, "local", "Where jobs run: local (processes on this machine, the"
                + " default) or kubernetes (a batch/v1 Job per job, from KUBECONFIG, ~/.kube/config or the in-cluster"
                + " service account).");
        option("--namespace", "NS", "Kubernetes namespace of the jobs' Jobs (default: the kubeconfig's, else default).");
        option("--worker-address", "URL", "The daemon's address as worker pods reach it, e.g."
                + " http://sluice.NS.svc:5000 (default: $SLUICE_WORKER_ADDRESS).");
        option("--worker-secret", "NAME", "Secret whose keys worker pods get as env (AWS_ACCESS_KEY_ID,"
                + " AWS_SECRET_ACCESS_KEY, SLUICE_AUTH_TOKEN) instead of the daemon's values in the Job spec (default:"
                + " $SLUICE_WORKER_SECRET).");
        flag("--no-demo", "Start an empty daemon.");
        option("--dataset", "FILE", Path.class, null, "Base ratings for the demo (MovieLens u.data format); default: generated.");
    }

    @Override
    protected void run() throws IOException {
        port = value("--port");
        dataDir = value("--data-dir");
        store = value("--store");
        bind = value("--bind");
        tokenFile = value("--token-file");
        runner = value("--runner");
        namespace = value("--namespace");
        workerAddress = value("--worker-address");
        workerSecret = value("--worker-secret");
        noDemo = isSet("--no-demo");
        dataset = value("--dataset");
        Main main = main();
        Path home = home(main);
        Path data = dataDir != null ? dataDir
                : main.env().containsKey("SLUICE_DATA") ? Path.of(main.env().get("SLUICE_DATA")) : home.resolve("repos");
        if (dataset != null && !Files.isRegularFile(dataset)) {
            throw new Main.UsageError("no such dataset file: " + dataset);
        }
        checkBindable(bind);
        checkListenable(bind, port);
        Path absoluteData = data.toAbsolutePath().normalize();
        String envToken = main.env().get("SLUICE_AUTH_TOKEN");
        Path tokens = tokenFile != null ? tokenFile.toAbsolutePath() : absoluteData.resolve(AuthToken.FILE_NAME);
        DaemonConfig.Kubernetes kubernetes = kubernetes();
        // the lock first: a second daemon refused on this dir must not create or re-mode the first one's token file
        DataDirLock lock = Daemon.lock(absoluteData);
        DaemonConfig config;
        try {
            String token = envToken != null && !envToken.isBlank() ? envToken.strip() : AuthToken.loadOrCreate(tokens);
            config = new DaemonConfig(absoluteData, store, bind, port,
                    List.of(home.resolve("train-stage/bin"), home.resolve("predict-stage/bin")), token, kubernetes);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        Daemon daemon = Daemon.open(lock, config, main.env());
        if (!noDemo) {
            daemon.startup().begin("creating the demo's repos and pipelines and training its first model");
        }
        Javalin app = ApiServer.create(daemon);
        try {
            app.start(config.host(), config.port());
        } catch (RuntimeException e) {
            daemon.close();
            throw new Main.UsageError("cannot listen on " + config.host() + ":" + config.port() + " (" + rootMessage(e)
                    + "); is another daemon running? Use --port to pick another port");
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            app.stop();
            try {
                daemon.close();
            } catch (IOException ignored) {
                // the process is ending; nothing left to report to
            }
        }, "sluice-shutdown"));
        String address = "http://" + config.host() + ":" + app.port();
        main.out().println("sluice daemon listening on " + address + " (data " + config.dataDir() + ", store "
                + daemon.store().uri() + (config.kubernetes() == null ? "" : ", runner " + daemon.runner().describe())
                + ", API token " + (envToken != null && !envToken.isBlank() ? "from $SLUICE_AUTH_TOKEN" : "in " + tokens)
                + ")");
        // The console's address with the token after '#': the browser keeps it (and drops it from the address bar)
        // and never sends it in a request line, so one click lets it in, as Jupyter's start-up link does.
        main.out().println("web console: " + address + "/#token="
                + URLEncoder.encode(config.authToken(), StandardCharsets.UTF_8).replace("+", "%20"));
        // The line to paste into another terminal when its CLI would not find this daemon (or its token) by default.
        String exports = (address.equals(ClientCmd.DEFAULT_ADDRESS) ? "" : " SLUICE_ADDRESS=" + shellWord(address))
                + (config.dataDir().equals(home.resolve("repos").toAbsolutePath().normalize()) ? ""
                : " SLUICE_DATA=" + shellWord(config.dataDir().toString()));
        if (!exports.isEmpty()) {
            main.out().println("export" + exports);
        }
        if (!noDemo) {
            new Demo(daemon, main.out()).run(dataset, address);
            daemon.startup().ready();
        }
    }

    private DaemonConfig.Kubernetes kubernetes() {
        if (runner.equals("local")) {
            if (namespace != null || workerAddress != null || workerSecret != null) {
                throw new Main.UsageError("--namespace, --worker-address and --worker-secret need --runner kubernetes");
            }
            return null;
        }
        if (!runner.equals("kubernetes")) {
            throw new Main.UsageError("--runner must be local or kubernetes, not '" + runner + "'");
        }
        String address = workerAddress != null ? workerAddress : main().env().get("SLUICE_WORKER_ADDRESS");
        if (address == null || address.isBlank()) {
            throw new Main.UsageError("--runner kubernetes needs --worker-address URL (or SLUICE_WORKER_ADDRESS): the"
                    + " daemon's address as worker pods reach it, e.g. http://sluice." + (namespace == null ? "NS" : namespace)
                    + ".svc:" + port);
        }
        String secret = workerSecret != null ? workerSecret : main().env().get("SLUICE_WORKER_SECRET");
        return new DaemonConfig.Kubernetes(namespace, address, secret == null || secret.isBlank() ? null : secret,
                DaemonConfig.Kubernetes.DEFAULT_TTL_SECONDS);
    }

    /** The project root: $SLUICE_HOME (set by ./sluice), else two levels above the api jar. */
    static Path home(Main main) {
        return main.home();
    }

    private static void checkBindable(String address) {
        try {
            InetAddress.getByName(address);
        } catch (UnknownHostException e) {
            throw new Main.UsageError("--bind " + address + " is not an address of this machine");
        }
    }

    /**
     * Refuses a port another process listens on before anything is opened or logged, so that mistake reads as
     * one line rather than the web server's error log after the daemon's start-up lines. A port taken in the
     * moment between this probe and the start is still caught there.
     */
    private static void checkListenable(String host, int port) {
        if (port == 0) {
            return; // any free port
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new Main.UsageError("cannot listen on " + host + ":" + port + " (" + e.getMessage()
                    + "); is another daemon running? Use --port to pick another port");
        }
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null) {
            e = e.getCause();
        }
        return e.getMessage();
    }

    /**
     * {@code value} as one word of a POSIX shell line: as it is when it holds only characters no shell treats
     * specially, else in single quotes (a quote inside as {@code '\''}), so that a pasted export line sets
     * exactly this value, spaces, dollars, quotes and all.
     */
    static String shellWord(String value) {
        if (!value.isEmpty() && value.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || "@%+=:,./_-".indexOf(c) >= 0))) {
            return value;
        }
        return "'" + value.replace("'", "'\\''") + "'";
    }
}
