package io.sluice;

/**
 * A failure the caller can act on, classified so that the REST layer maps it to an HTTP status and the
 * CLI to one readable line: never used for bugs, which stay ordinary runtime exceptions.
 */
public class SluiceException extends RuntimeException {

    /** What kind of failure this is; the API maps each kind to one HTTP status. */
    public enum Kind {
        /** The request is malformed or names something invalid (HTTP 400). */
        INVALID(400),
        /** The caller did not prove who it is (HTTP 401). */
        UNAUTHORIZED(401),
        /** What the request names does not exist (HTTP 404). */
        NOT_FOUND(404),
        /** The request conflicts with the current state, e.g. a name already taken (HTTP 409). */
        CONFLICT(409),
        /** The request is too large (HTTP 413). */
        TOO_LARGE(413),
        /** A backing service (object store, cluster, disk) is unavailable or full (HTTP 503). */
        UNAVAILABLE(503);

        private final int httpStatus;

        Kind(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }

    private final Kind kind;

    public SluiceException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public SluiceException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    public static SluiceException invalid(String message) {
        return new SluiceException(Kind.INVALID, message);
    }

    public static SluiceException notFound(String message) {
        return new SluiceException(Kind.NOT_FOUND, message);
    }

    public static SluiceException conflict(String message) {
        return new SluiceException(Kind.CONFLICT, message);
    }

    public static SluiceException unavailable(String message, Throwable cause) {
        return new SluiceException(Kind.UNAVAILABLE, message, cause);
    }
}
