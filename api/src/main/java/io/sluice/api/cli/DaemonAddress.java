package io.sluice.api.cli;

import io.sluice.api.Main;
import io.sluice.api.client.SluiceClient;
import picocli.CommandLine.Option;

/** The option naming which daemon a client command talks to. */
public final class DaemonAddress {
    public static final String DEFAULT_ADDRESS = "http://127.0.0.1:5000";

    @Option(names = "--address", paramLabel = "URL",
            description = "Daemon address (default: $SLUICE_ADDRESS or " + DEFAULT_ADDRESS + ").")
    String address;

    SluiceClient client(Main main) {
        String addr = address != null ? address : main.env().getOrDefault("SLUICE_ADDRESS", DEFAULT_ADDRESS);
        return new SluiceClient(addr, main.env().get("SLUICE_AUTH_TOKEN"));
    }
}
