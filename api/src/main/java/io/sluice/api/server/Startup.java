package io.sluice.api.server;

/**
 * Whether the daemon is still setting up what its API promises (the demo's repos, pipelines and first model):
 * health answers 503 {@code starting} until {@link #ready()}, so a client that waits for health never meets
 * a missing repo. Thread-safe.
 */
public final class Startup {
    /** What the daemon is still doing; null once ready. */
    private volatile String waitingFor;

    /** From now until {@link #ready()}, health answers 503 saying the daemon is {@code doing} this. */
    public void begin(String doing) {
        waitingFor = doing;
    }

    public void ready() {
        waitingFor = null;
    }

    /** What the daemon is still doing, or null once it is ready. */
    public String waitingFor() {
        return waitingFor;
    }
}
