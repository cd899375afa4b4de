package io.sluice.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Main;
import io.sluice.api.client.SluiceClient;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;

/** The options of client commands that print: which daemon, and table, JSON or YAML. */
public final class ClientOptions {
    @Mixin
    DaemonAddress daemon;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "Output format: table, json or yaml (default table).")
    String output;

    SluiceClient client(Main main) {
        return daemon.client(main);
    }

    /** The API prefix of the project asked for ({@link DaemonAddress#v1}). */
    String v1(Main main) {
        return daemon.v1(main);
    }

    /** table, json or yaml; anything else is a usage error. */
    String format() {
        if (!output.equals("json") && !output.equals("table") && !output.equals("yaml")) {
            throw new Main.UsageError("--output must be table, json or yaml, not '" + output + "'");
        }
        return output;
    }

    /** Whether a machine-readable document (JSON or YAML) is wanted instead of the table. */
    boolean json() {
        return !format().equals("table");
    }

    /** Prints {@code node} as the JSON or YAML document asked for. */
    void printDocument(PrintStream out, JsonNode node) {
        Output.print(out, node, format());
    }
}
