package io.sluice.api.client;

/** A failure talking to the daemon, with the one-line message the CLI shows and the HTTP status (0 if none). */
public final class ClientException extends RuntimeException {
    private final int status;

    public ClientException(int status, String message) {
        super(message);
        this.status = status;
    }

    public ClientException(String message) {
        this(0, message);
    }

    public int status() {
        return status;
    }
}
