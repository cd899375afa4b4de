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

    private static final int MAX_MESSAGE = 1000;

    public SluiceException(Kind kind, String message) {
        super(oneLine(message));
        this.kind = kind;
    }

    public SluiceException(Kind kind, String message, Throwable cause) {
        super(oneLine(message), cause);
        this.kind = kind;
    }

    /**
     * Messages often echo what the user sent; control characters (newlines, NUL, bidi overrides) and
     * unbounded length would break the promise of one readable line, so they are neutralised here, once.
     */
    static String oneLine(String message) {
        if (message == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder(Math.min(message.length(), MAX_MESSAGE + 3));
        for (int i = 0; i < message.length() && sb.length() < MAX_MESSAGE; i++) {
            char c = message.charAt(i);
            int type = Character.getType(c);
            boolean unsafe = Character.isISOControl(c) || type == Character.FORMAT || type == Character.SURROGATE
                    || type == Character.UNASSIGNED || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
            sb.append(unsafe ? '?' : c);
        }
        if (message.length() > MAX_MESSAGE) {
            sb.append("...");
        }
        return sb.toString();
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
