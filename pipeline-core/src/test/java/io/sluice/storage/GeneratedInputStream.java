package io.sluice.storage;

import java.io.InputStream;
import java.util.SplittableRandom;

/** A deterministic stream of pseudo-random bytes of a given size, so tests can move large data without holding it. */
final class GeneratedInputStream extends InputStream {
    private final SplittableRandom random;
    private long left;

    GeneratedInputStream(long size, long seed) {
        this.random = new SplittableRandom(seed);
        this.left = size;
    }

    @Override
    public int read() {
        if (left <= 0) {
            return -1;
        }
        left--;
        return random.nextInt(256);
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        if (left <= 0) {
            return -1;
        }
        int n = (int) Math.min(len, left);
        for (int i = 0; i < n; i++) {
            b[off + i] = (byte) random.nextInt(256);
        }
        left -= n;
        return n;
    }
}
