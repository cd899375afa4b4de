package io.sluice.api.server;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything a daemon is started with: where its data lives ({@code dataDir} holds the commit graph and
 * pipeline state; {@code storeUri} names where chunks go, null for {@code file:objects} under it), where
 * it listens, the directories put on PATH for local jobs (the stage programs' bin dirs), and the bearer
 * token every endpoint but health requires (null: none, allowed only on loopback).
 */
public record DaemonConfig(Path dataDir, String storeUri, String host, int port, List<Path> jobPath, String authToken) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 5000;

    /** The same daemon without a token, as tests and benchmarks on loopback run it. */
    public DaemonConfig(Path dataDir, String storeUri, String host, int port, List<Path> jobPath) {
        this(dataDir, storeUri, host, port, jobPath, null);
    }
}
