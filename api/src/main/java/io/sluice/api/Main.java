package io.sluice.api;

import io.sluice.SluiceException;
import io.sluice.api.cli.BenchCommand;
import io.sluice.api.cli.EvaluateCommand;
import io.sluice.api.cli.FileVerbs;
import io.sluice.api.cli.MaintenanceCommands;
import io.sluice.api.cli.UpCommand;
import io.sluice.api.cli.Verbs;
import io.sluice.api.cli.WorkerCommand;
import io.sluice.api.client.ClientException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.Map;

/**
 * The {@code sluice} command: {@code up} runs the daemon, the pachctl-style verbs are clients of it, and
 * {@code evaluate}/{@code bench} work on local files. A user's mistake prints one line and exits 1.
 */
@Command(name = "sluice", mixinStandardHelpOptions = true, version = "sluice 0.1.0",
        description = "A versioned data-pipeline framework in the style of Pachyderm.",
        subcommands = {
                UpCommand.class, WorkerCommand.class,
                Verbs.Create.class, Verbs.ListCmd.class, Verbs.Inspect.class, Verbs.Delete.class, Verbs.Update.class,
                Verbs.Start.class, Verbs.Finish.class, Verbs.Wait.class, Verbs.Stop.class, Verbs.Logs.class,
                FileVerbs.Put.class, FileVerbs.Get.class, FileVerbs.Glob.class, FileVerbs.Diff.class, FileVerbs.Copy.class,
                MaintenanceCommands.Fsck.class, MaintenanceCommands.Gc.class,
                EvaluateCommand.class, BenchCommand.class,
        })
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

    public static void main(String[] args) {
        int code = new Main(System.out, System.err, System.in, System.getenv()).run(args);
        System.out.flush();
        if (code != 0 || !"up".equals(args.length > 0 ? args[0] : "")) {
            System.exit(code);
        }
    }

    /** Runs one command line; returns the exit code (0 ok, 1 for any error). */
    public int run(String... args) {
        CommandLine cli = new CommandLine(this);
        withHelp(cli);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("sluice: " + e.getMessage() + " (see '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return 1;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof ClientException || e instanceof SluiceException || e instanceof UsageError) {
                err.println("sluice: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli.execute(args);
    }

    /** {@code -h}/{@code --help} on every command and subcommand, as the errors' "see ... --help" promise. */
    private static void withHelp(CommandLine cli) {
        CommandLine.Model.CommandSpec spec = cli.getCommandSpec();
        if (spec.findOption("--help") == null) {
            spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                    .description("Show this help message and exit.").build());
        }
        cli.getSubcommands().values().forEach(Main::withHelp);
    }

    /** A mistake on the command line found after parsing, shown as one line. */
    public static final class UsageError extends RuntimeException {
        public UsageError(String message) {
            super(message);
        }
    }
}
