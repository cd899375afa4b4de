package io.sluice.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Main;
import io.sluice.api.client.SluiceClient;
import io.sluice.api.server.AuthToken;

import java.nio.file.Path;

import static io.sluice.api.cli.Output.Column;

/**
 * A client command of the daemon: {@code --address} and {@code --token-file} say which daemon and how it
 * knows us, and a command that prints takes {@code -o/--output table|json|yaml}.
 */
public abstract class ClientCmd extends Cmd {
    public static final String DEFAULT_ADDRESS = "http://127.0.0.1:5000";
    private final boolean printing;

    /** A client command that prints (it takes --output). */
    protected ClientCmd(String name, String description) {
        this(name, description, true);
    }

    /** A client command; with {@code printing} false it has no --output (get file's -o is its output file). */
    protected ClientCmd(String name, String description, boolean printing) {
        super(name, description);
        this.printing = printing;
        option("--address", "URL", "Daemon address (default: $SLUICE_ADDRESS or " + DEFAULT_ADDRESS + ").");
        option("--token-file", "FILE", Path.class, null, "File holding the daemon's API token (default: "
                + "$SLUICE_AUTH_TOKEN, else, for a daemon on this machine, auth-token in $SLUICE_DATA or the project's repos/).");
        option("--project", "PROJECT", "Project of the repos, pipelines and jobs named (default: $SLUICE_PROJECT or default).");
        if (printing) {
            option("-o,--output", "FORMAT", String.class, "table", "Output format: table, json or yaml (default table).");
        }
    }

    /** A client of the daemon the options and the environment name. */
    protected final SluiceClient client() {
        Main main = main();
        String address = value("--address");
        String addr = address != null ? address : main.env().getOrDefault("SLUICE_ADDRESS", DEFAULT_ADDRESS);
        String data = main.env().get("SLUICE_DATA");
        Path local = (data != null ? Path.of(data) : main.home().resolve("repos")).resolve(AuthToken.FILE_NAME); // a constant: loads no daemon class
        return new SluiceClient(addr, SluiceClient.token(addr, main.env(), value("--token-file"), local));
    }

    /**
     * The API prefix of the project asked for: {@code /api/v1/projects/P}, or {@code /api/v1} (the default
     * project's routes) when none is.
     */
    protected final String v1() {
        String option = value("--project");
        String p = option != null ? option : main().env().get("SLUICE_PROJECT");
        return p == null || p.isEmpty() ? "/api/v1" : "/api/v1/projects/" + SluiceClient.segment(p);
    }

    /** table, json or yaml; anything else is a usage error. */
    protected final String format() {
        String output = printing ? value("--output") : "table";
        if (!output.equals("json") && !output.equals("table") && !output.equals("yaml")) {
            throw new Main.UsageError("--output must be table, json or yaml, not '" + output + "'");
        }
        return output;
    }

    /** Whether a machine-readable document (JSON or YAML) is wanted instead of the table. */
    protected final boolean json() {
        return !format().equals("table");
    }

    /** Prints {@code node} as the table of {@code columns} (an object: its keys and values), or as the JSON or YAML asked for. */
    protected final void print(JsonNode node, Column... columns) {
        Output.print(out(), node, format(), columns);
    }
}
