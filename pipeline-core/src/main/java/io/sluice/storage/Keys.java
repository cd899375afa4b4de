package io.sluice.storage;

/** Validates object keys the same way for every backend, so a key valid on one store is valid on all. */
final class Keys {
    private Keys() {
    }

    /** Returns {@code key} if it is a non-empty relative slash-separated name, else throws IllegalArgumentException. */
    static String check(String key) {
        if (key == null || key.isEmpty() || key.endsWith("/")) {
            throw new IllegalArgumentException("invalid object key: '" + key + "'");
        }
        return checkPrefix(key);
    }

    /** Returns {@code prefix} (possibly empty) if it could start a valid key, else throws IllegalArgumentException. */
    static String checkPrefix(String prefix) {
        if (prefix == null) {
            throw new IllegalArgumentException("object key prefix must not be null");
        }
        // Keys become file paths in the local store: anything that could escape its directory, mean
        // different things on different systems, or clash with the store's hidden temp files is refused.
        boolean bad = prefix.startsWith("/") || prefix.contains("..") || prefix.contains("//")
                || prefix.contains("/.") || prefix.startsWith(".")
                || prefix.indexOf('\\') >= 0 || prefix.indexOf('\0') >= 0;
        if (bad) {
            throw new IllegalArgumentException("invalid object key: '" + prefix.replace("\0", "\\0") + "'");
        }
        return prefix;
    }

    /** Checks a read offset or a put length, which must not be negative. */
    static long checkNotNegative(long value, String what) {
        if (value < 0) {
            throw new IllegalArgumentException(what + " must not be negative: " + value);
        }
        return value;
    }
}
