package io.sluice.api.cli;

import io.sluice.api.Main;
import io.sluice.api.client.SluiceClient;
import picocli.CommandLine.Option;

/** The options every client command shares: which daemon, and how to print. */
public final class ClientOptions {
    public static final String DEFAULT_ADDRESS = "http://127.0.0.1:5000";

    @Option(names = "--address", paramLabel = "URL",
            description = "Daemon address (default: $SLUICE_ADDRESS or " + DEFAULT_ADDRESS + ").")
    String address;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "Output format: table or json.")
    String output;

    SluiceClient client(Main main) {
        String addr = address != null ? address : main.env().getOrDefault("SLUICE_ADDRESS", DEFAULT_ADDRESS);
        return new SluiceClient(addr, main.env().get("SLUICE_AUTH_TOKEN"));
    }

    boolean json() {
        if (!output.equals("json") && !output.equals("table")) {
            throw new Main.UsageError("--output must be json or table, not '" + output + "'");
        }
        return output.equals("json");
    }
}
