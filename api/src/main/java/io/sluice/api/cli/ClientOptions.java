package io.sluice.api.cli;

import io.sluice.api.Main;
import io.sluice.api.client.SluiceClient;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options of client commands that print: which daemon, and table or JSON. */
public final class ClientOptions {
    @Mixin
    DaemonAddress daemon;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "Output format: table or json.")
    String output;

    SluiceClient client(Main main) {
        return daemon.client(main);
    }

    boolean json() {
        if (!output.equals("json") && !output.equals("table")) {
            throw new Main.UsageError("--output must be json or table, not '" + output + "'");
        }
        return output.equals("json");
    }
}
