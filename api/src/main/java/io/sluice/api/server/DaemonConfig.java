package io.sluice.api.server;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything a daemon is started with: where its data lives ({@code dataDir} holds the commit graph and
 * pipeline state; {@code storeUri} names where chunks go, null for {@code file:objects} under it), where
 * it listens, and the directories put on PATH for local jobs (the stage programs' bin dirs).
 */
public record DaemonConfig(Path dataDir, String storeUri, String host, int port, List<Path> jobPath) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 5000;
}
