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

    @Option(names = "--project", paramLabel = "PROJECT",
            description = "Project of the repos, pipelines and jobs named (default: $SLUICE_PROJECT or default).")
    String project;

    /**
     * The API prefix of the project asked for: {@code /api/v1/projects/P}, or {@code /api/v1} (the default
     * project's routes) when none is.
     */
    String v1(Main main) {
        String p = project != null ? project : main.env().get("SLUICE_PROJECT");
        return p == null || p.isEmpty() ? "/api/v1" : "/api/v1/projects/" + SluiceClient.segment(p);
    }

    SluiceClient client(Main main) {
        String addr = address != null ? address : main.env().getOrDefault("SLUICE_ADDRESS", DEFAULT_ADDRESS);
        String data = main.env().get("SLUICE_DATA");
        Path local = (data != null ? Path.of(data) : main.home().resolve("repos")).resolve(AuthToken.FILE_NAME); // a constant: loads no daemon class
        return new SluiceClient(addr, SluiceClient.token(addr, main.env(), tokenFile, local));
    }
}
