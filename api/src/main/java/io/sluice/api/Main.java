package io.sluice.api;

import io.sluice.SluiceException;
import io.sluice.api.cli.BenchCommand;
import io.sluice.api.cli.Cmd;
import io.sluice.api.cli.CompletionCommand;
import io.sluice.api.cli.EvaluateCommand;
import io.sluice.api.cli.FileVerbs;
import io.sluice.api.cli.Group;
import io.sluice.api.cli.MaintenanceCommands;
import io.sluice.api.cli.UpCommand;
import io.sluice.api.cli.Verbs;
import io.sluice.api.cli.WorkerCommand;
import io.sluice.api.client.ClientException;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code sluice} command: {@code up} runs the daemon, the pachctl-style verbs are clients of it, and
 * {@code evaluate}/{@code bench} work on local files. A user's mistake prints one line and exits 1.
 */
public final class Main {
    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;
    private final Map<String, String> env;

    public Main(PrintStream out, PrintStream err, InputStream in, Map<String, String> env) {
        this.out = out;
        this.err = err;
        this.in = in;
        this.env = env;
    }

    public PrintStream out() {
        return out;
    }

    public PrintStream err() {
        return err;
    }

    public InputStream in() {
        return in;
    }

    public Map<String, String> env() {
        return env;
    }

    /** The project root: $SLUICE_HOME (set by ./sluice), else two levels above the api jar. */
    public Path home() {
        String dir = env.get("SLUICE_HOME");
        if (dir != null) {
            return Path.of(dir).toAbsolutePath().normalize();
        }
        try {
            Path jar = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.getParent().getParent().getParent().toAbsolutePath().normalize();
        } catch (URISyntaxException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }

    /** The top-level commands in the order help lists them; each is built only when a command line needs it. */
    public static final List<String> COMMANDS = List.of("up", "worker", "create", "list", "inspect", "delete", "update",
            "start", "run", "finish", "wait", "subscribe", "squash", "stop", "logs", "put", "get", "glob", "diff", "copy", "fsck", "gc", "evaluate",
            "bench", "completion");

    /**
     * A new instance of the top-level command {@code name}. A switch, not a table of constructors, so that
     * only the one a command line names is loaded: a client's start-up pays for its own command only, and
     * the daemon's classes (Javalin, JGit, librec) need not even be on a client's class path.
     */
    static Cmd command(String name) {
        switch (name) {
            case "up": return new UpCommand();
            case "worker": return new WorkerCommand();
            case "create": return new Verbs.Create();
            case "list": return new Verbs.ListCmd();
            case "inspect": return new Verbs.Inspect();
            case "delete": return new Verbs.Delete();
            case "update": return new Verbs.Update();
            case "start": return new Verbs.Start();
            case "run": return new Verbs.Run();
            case "finish": return new Verbs.Finish();
            case "wait": return new Verbs.Wait();
            case "subscribe": return new Verbs.Subscribe();
            case "squash": return new Verbs.Squash();
            case "stop": return new Verbs.Stop();
            case "logs": return new Verbs.Logs();
            case "put": return new FileVerbs.Put();
            case "get": return new FileVerbs.Get();
            case "glob": return new FileVerbs.Glob();
            case "diff": return new FileVerbs.Diff();
            case "copy": return new FileVerbs.Copy();
            case "fsck": return new MaintenanceCommands.Fsck();
            case "gc": return new MaintenanceCommands.Gc();
            case "evaluate": return new EvaluateCommand();
            case "bench": return new BenchCommand();
            case "completion": return new CompletionCommand();
            default: throw new IllegalArgumentException(name);
        }
    }

    public static void main(String[] args) {
        int code = new Main(System.out, System.err, System.in, System.getenv()).run(args);
        System.out.flush();
        if (code != 0 || !"up".equals(args.length > 0 ? args[0] : "")) {
            System.exit(code);
        }
    }

    /** Runs one command line; returns the exit code (0 ok, 1 for any error). */
    public int run(String... args) {
        boolean one = args.length > 0 && COMMANDS.contains(args[0]);
        CommandLine cli = tree(one ? List.of(args[0]) : COMMANDS, one && args.length > 1 ? args[1] : null);
        int code = execute(cli, args);
        if (env.containsKey(RECORDING_ARCHIVE)) {
            renderHelp(cli);
        }
        return code;
    }

    /**
     * Set by the launcher on the run that records the client's class-data archive: the archive keeps the
     * classes that run loaded, and help should not be the one thing every later run loads from the jars.
     */
    static final String RECORDING_ARCHIVE = "SLUICE_RECORDING_ARCHIVE";

    /** Renders the usage help of every command in {@code cli} into nothing (for the archive's sake). */
    private static void renderHelp(CommandLine cli) {
        cli.usage(new PrintWriter(OutputStream.nullOutputStream()));
        for (CommandLine sub : cli.getSubcommands().values()) {
            renderHelp(sub);
        }
    }

    /** The command tree with only {@code names} below the root (all of them for help, completion and typos). */
    public CommandLine tree(List<String> names) {
        return tree(names, null);
    }

    /**
     * The command tree with {@code names} below the root and, below a verb of nouns, only the noun {@code noun}
     * when it has one of that name, else all: {@code list repo} needs the model of {@code list repo} only. A
     * mistyped noun gets every noun, for "did you mean".
     */
    private CommandLine tree(List<String> names, String noun) {
        CommandSpec root = CommandSpec.wrapWithoutInspection(this);
        root.name("sluice").version("sluice 0.1.0");
        root.usageMessage().description("A versioned data-pipeline framework in the style of Pachyderm.");
        root.addOption(Cmd.helpOption());
        root.addOption(OptionSpec.builder("-V", "--version").versionHelp(true)
                .description("Print version information and exit.").build());
        CommandLine cli = new CommandLine(root);
        for (String name : names) {
            Cmd command = command(name);
            CommandLine sub = new CommandLine(command.spec());
            cli.addSubcommand(name, sub);
            if (command instanceof Group group) {
                group.addSubcommands(sub, noun);
            }
        }
        return cli;
    }

    private int execute(CommandLine cli, String... args) {
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        // Handlers as classes, not lambdas: the first lambda would bootstrap method handles on every start.
        cli.setParameterExceptionHandler(new CommandLine.IParameterExceptionHandler() {
            @Override
            public int handleParseException(CommandLine.ParameterException e, String[] a) {
                err.println("sluice: " + e.getMessage() + suggestion(e) + " (see '"
                        + e.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
                return 1;
            }
        });
        cli.setExecutionExceptionHandler(new CommandLine.IExecutionExceptionHandler() {
            @Override
            public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult)
                    throws Exception {
                if (e instanceof ClientException || e instanceof SluiceException || e instanceof UsageError) {
                    err.println("sluice: " + e.getMessage());
                    return 1;
                }
                throw e;
            }
        });
        return cli.execute(args);
    }

    /** "; did you mean 'list job'?" for a mistyped command or noun, as Git says it (nearest by edit distance). */
    private static String suggestion(CommandLine.ParameterException e) {
        if (!(e instanceof CommandLine.UnmatchedArgumentException unmatched) || unmatched.getUnmatched().isEmpty()) {
            return "";
        }
        String typed = unmatched.getUnmatched().get(0);
        List<String> best = new ArrayList<>();
        int bestDistance = typed.length() <= 3 ? 1 : 2;
        for (String name : e.getCommandLine().getSubcommands().keySet()) {
            int d = name.startsWith(typed) ? 1 : distance(typed, name);
            if (d < bestDistance) {
                best.clear();
                bestDistance = d;
            }
            if (d == bestDistance && !best.contains(name)) {
                best.add(name);
            }
        }
        if (best.isEmpty()) {
            return "";
        }
        String parent = e.getCommandLine().getCommandSpec().qualifiedName(" ");
        String prefix = parent.equals("sluice") ? "" : parent.substring("sluice ".length()) + " ";
        List<String> quoted = new ArrayList<>();
        for (String name : best) {
            quoted.add("'" + prefix + name + "'");
        }
        return "; did you mean " + String.join(" or ", quoted) + "?";
    }

    /** Edit distance counting a swap of two neighbours as one edit ("lsit" is one from "list"). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /** A mistake on the command line found after parsing, shown as one line. */
    public static final class UsageError extends RuntimeException {
        public UsageError(String message) {
            super(message);
        }
    }
}
