package io.sluice.fuzz;

import java.util.Random;

/** Seeded generators of hostile strings for the parsers' property tests; a failure names its seed. */
public final class Fuzz {
    /** Characters that parsers of refs, paths, globs and lines treat specially, plus a few oddities. */
    private static final String SPECIAL = "@:^~/\\.*?[]{}!-_ \t\n\r\0,'\"é中\u202e\uffff0123456789";
    private static final String PLAIN = "abcxyzABC";

    private Fuzz() {
    }

    /** A random string of up to {@code maxLength} characters, mostly parser-significant ones. */
    public static String string(Random random, int maxLength) {
        int length = random.nextInt(maxLength + 1);
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            String pool = random.nextInt(3) == 0 ? PLAIN : SPECIAL;
            sb.append(pool.charAt(random.nextInt(pool.length())));
        }
        return sb.toString();
    }

    /** Joins random fragments with a separator, to get structurally plausible inputs. */
    public static String joined(Random random, String separator, int parts, int maxPart) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < parts; i++) {
            if (i > 0) {
                sb.append(separator);
            }
            sb.append(string(random, maxPart));
        }
        return sb.toString();
    }
}
