package io.sluice.api.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything a daemon is started with: where its data lives ({@code dataDir} holds the commit graph and
 * pipeline state; {@code storeUri} names where chunks go, null for {@code file:objects} under it), where
 * it listens, the directories put on PATH for local jobs (the stage programs' bin dirs), the bearer token
 * the API requires (null: none), and how to run jobs on
 * Kubernetes ({@code kubernetes}; null: the local runner). {@code sluice up} always has a token; only tests
 * and benchmarks run without one.
 */
public record DaemonConfig(Path dataDir, String storeUri, String host, int port, List<Path> jobPath, String authToken,
                           Kubernetes kubernetes) {

    /**
     * The Kubernetes runner's settings: the namespace of its Jobs (null: the kubeconfig's, else "default"),
     * the daemon's address as worker pods reach it, the Secret worker pods take their store credentials and
     * token from (null: the daemon passes its own values in the Job spec), and how long a finished Job is kept.
     */
    public record Kubernetes(String namespace, String workerAddress, String workerSecret, int ttlSecondsAfterFinished) {
        public static final int DEFAULT_TTL_SECONDS = 600;
    }

    /** Whether {@code host} is a loopback address, so that only processes on this machine can connect. */
    public boolean loopbackOnly() {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 5000;

    /** A daemon with the local runner. */
    public DaemonConfig(Path dataDir, String storeUri, String host, int port, List<Path> jobPath, String authToken) {
        this(dataDir, storeUri, host, port, jobPath, authToken, null);
    }

    /** The same daemon without a token, as tests and benchmarks on loopback run it. */
    public DaemonConfig(Path dataDir, String storeUri, String host, int port, List<Path> jobPath) {
        this(dataDir, storeUri, host, port, jobPath, null);
    }
}
