package io.sluice.api.cli;

import io.sluice.api.Main;
import io.sluice.api.client.SluiceClient;
import io.sluice.api.server.AuthToken;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options naming which daemon a client command talks to, and the token it proves itself with. */
public final class DaemonAddress {
    public static final String DEFAULT_ADDRESS = "http://127.0.0.1:5000";
    @Option(names = "--address", paramLabel = "URL",
            description = "Daemon address (default: $SLUICE_ADDRESS or " + DEFAULT_ADDRESS + ").")
    String address;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File holding the daemon's API token (default: $SLUICE_AUTH_TOKEN, else, for a daemon on"
                    + " this machine, auth-token in $SLUICE_DATA or the project's repos/).")
    Path tokenFile;

    SluiceClient client(Main main) {
        String addr = address != null ? address : main.env().getOrDefault("SLUICE_ADDRESS", DEFAULT_ADDRESS);
        String data = main.env().get("SLUICE_DATA");
        Path local = (data != null ? Path.of(data) : main.home().resolve("repos")).resolve(AuthToken.FILE_NAME); // a constant: loads no daemon class
        return new SluiceClient(addr, SluiceClient.token(addr, main.env(), tokenFile, local));
    }
}
