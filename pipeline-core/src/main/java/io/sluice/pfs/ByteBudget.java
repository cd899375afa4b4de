package io.sluice.pfs;

import io.sluice.SluiceException;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A bound on the bytes of upload buffers held at once by all streams being chunked; a stream that cannot get
 * more within the wait is refused as UNAVAILABLE rather than waiting forever on streams that wait in turn.
 */
final class ByteBudget {
    /** @param bytes at most 2 GiB */
    private final Semaphore permits;
    private final Duration wait;

    ByteBudget(long bytes, Duration wait) {
        this.permits = new Semaphore((int) Math.min(Integer.MAX_VALUE, bytes), true);
        this.wait = wait;
    }

    void acquire(long bytes) throws IOException {
        int units = (int) bytes;
        try {
            if (!permits.tryAcquire(units, wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw SluiceException.unavailable("the daemon has no upload buffer memory free for "
                        + wait.toSeconds() + " s (too many uploads at once); try again", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for upload buffer memory", e);
        }
    }

    /** Takes {@code bytes} if they are free now; false, taking nothing, if not. */
    boolean tryAcquire(long bytes) {
        return permits.tryAcquire((int) bytes);
    }

    void release(long bytes) {
        permits.release((int) bytes);
    }
}
