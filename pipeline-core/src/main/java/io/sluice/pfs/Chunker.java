package io.sluice.pfs;

/**
 * Content-defined chunk boundaries, FastCDC style: a Gear rolling hash ({@code h = (h << 1) + G[byte]})
 * is tested against a stricter mask before the average size and a looser one after it (normalized
 * chunking), so sizes cluster around the average and always stay within [min, max]. Boundaries depend
 * only on the 64 bytes before them, which is why an insertion or append changes only nearby chunks.
 * Stateless and thread-safe.
 */
public final class Chunker {

    /** Default minimum chunk size: 256 KiB. */
    public static final int DEFAULT_MIN = 256 * 1024;
    /** Default target average chunk size: 1 MiB. */
    public static final int DEFAULT_AVG = 1024 * 1024;
    /** Default maximum chunk size: 4 MiB. */
    public static final int DEFAULT_MAX = 4 * 1024 * 1024;

    /** Bytes of history the hash depends on (a 64-bit register shifted once per byte). */
    private static final int WINDOW = 64;

    private static final long[] GEAR = gearTable();

    private final int min;
    private final int avg;
    private final int max;
    private final long maskSmall;
    private final long maskLarge;

    /** A chunker with the defaults (256 KiB, 1 MiB, 4 MiB). */
    public Chunker() {
        this(DEFAULT_MIN, DEFAULT_AVG, DEFAULT_MAX);
    }

    /** A chunker with the given sizes; {@code avg} must be a power of two and min < avg < max. */
    public Chunker(int min, int avg, int max) {
        if (Integer.bitCount(avg) != 1 || min <= WINDOW || min >= avg || avg >= max) {
            throw new IllegalArgumentException("need 64 < min < avg < max and avg a power of two");
        }
        this.min = min;
        this.avg = avg;
        this.max = max;
        int bits = Integer.numberOfTrailingZeros(avg);
        // normalization level 2: two more bits before the average, two fewer after it;
        // mask bits sit at the top of the register so each test sees the whole 64-byte window
        this.maskSmall = topBits(bits + 2);
        this.maskLarge = topBits(bits - 2);
    }

    public int min() {
        return min;
    }

    public int avg() {
        return avg;
    }

    public int max() {
        return max;
    }

    /**
     * Length of the chunk that starts at {@code buf[off]}, given {@code len} available bytes. Returns
     * {@code len} when no boundary lies within it and {@code len < max}: the caller then either has reached
     * the end of its stream (the rest is the last chunk) or must supply more bytes and ask again.
     */
    public int cut(byte[] buf, int off, int len) {
        if (len <= min) {
            return len;
        }
        int end = Math.min(len, max);
        int normal = Math.min(end, avg);
        // the hash needs WINDOW bytes of history to be fully content-defined at position min
        int i = min - WINDOW;
        long h = 0;
        for (; i < min; i++) {
            h = (h << 1) + GEAR[buf[off + i] & 0xff];
        }
        long mask = maskSmall;
        for (; i < normal; i++) {
            h = (h << 1) + GEAR[buf[off + i] & 0xff];
            if ((h & mask) == 0) {
                return i + 1;
            }
        }
        mask = maskLarge;
        for (; i < end; i++) {
            h = (h << 1) + GEAR[buf[off + i] & 0xff];
            if ((h & mask) == 0) {
                return i + 1;
            }
        }
        return end;
    }

    private static long topBits(int n) {
        return n <= 0 ? 0 : -1L << (64 - n);
    }

    /** A fixed pseudo-random table (SplitMix64 from a constant seed), so boundaries never change. */
    private static long[] gearTable() {
        long[] table = new long[256];
        long x = 0x5155_1CE0_C0DE_D0D0L;
        for (int i = 0; i < table.length; i++) {
            x += 0x9E3779B97F4A7C15L;
            long z = x;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            table[i] = z ^ (z >>> 31);
        }
        return table;
    }
}
