package io.sluice.pfs;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The chunks in-flight writes will reference, which gc must not delete although no ref reaches them yet.
 * A write pins each chunk before it checks whether the chunk is stored (and writes it if not); gc deletes a
 * chunk only while holding the same per-chunk lock and only if nobody pins it, so either the write sees the
 * chunk gone and stores it again, or gc sees the pin and keeps it. A write's pins go when it closes, except
 * while a gc runs: that gc may have read the refs before the write's commit moved one, so they go when it ends.
 * Nothing here waits for a write to finish: a slow upload holds pins, never gc.
 */
final class ChunkPins {
    private static final int STRIPES = 64;

    private final Object[] stripes = new Object[STRIPES];
    private final Map<String, Integer> pinned = new ConcurrentHashMap<>();
    private final Object state = new Object();
    private int gcsRunning;
    private long gcsStarted;
    private final List<Holder> deferred = new ArrayList<>();

    ChunkPins() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Object();
        }
    }

    /** The pins of one write; closing it releases them (once no gc that started before is still running). */
    final class Holder implements Closeable {
        private final Set<String> ids = ConcurrentHashMap.newKeySet();
        private boolean closed;

        /** Pins chunk {@code id} until this holder closes; call before checking or storing the chunk. */
        void pin(String id) {
            synchronized (stripe(id)) {
                if (ids.add(id)) {
                    pinned.merge(id, 1, Integer::sum);
                }
            }
        }

        @Override
        public void close() {
            synchronized (state) {
                if (closed) {
                    return;
                }
                closed = true;
                if (gcsRunning > 0) {
                    deferred.add(this);
                    return;
                }
            }
            release();
        }

        private void release() {
            for (String id : ids) {
                synchronized (stripe(id)) {
                    pinned.computeIfPresent(id, (k, n) -> n == 1 ? null : n - 1);
                }
            }
            ids.clear();
        }
    }

    Holder holder() {
        return new Holder();
    }

    /** How many chunks are pinned now. */
    int size() {
        return pinned.size();
    }

    /** Marks the start of a gc: pins released from now on stay until {@link #gcEnded()}. */
    void gcStarted() {
        synchronized (state) {
            gcsRunning++;
            gcsStarted++;
        }
    }

    /**
     * A mark that is the same at two moments only if no gc ran between them (-1 while one runs): pins taken
     * on chunks of a readable commit in such a span need no check that the chunks are still stored.
     */
    long quietMark() {
        synchronized (state) {
            return gcsRunning > 0 ? -1 : gcsStarted;
        }
    }

    /** Marks the end of a gc; releases the pins whose holders closed while it ran. */
    void gcEnded() {
        List<Holder> release;
        synchronized (state) {
            if (--gcsRunning > 0) {
                return;
            }
            release = new ArrayList<>(deferred);
            deferred.clear();
        }
        release.forEach(Holder::release);
    }

    /** The deletion of one chunk, run only while the chunk is unpinned and nobody can pin it. */
    interface Deletion {
        void run() throws IOException;
    }

    /** Runs {@code delete} unless chunk {@code id} is pinned; returns whether it ran. */
    boolean deleteUnlessPinned(String id, Deletion delete) throws IOException {
        synchronized (stripe(id)) {
            if (pinned.containsKey(id)) {
                return false;
            }
            delete.run();
            return true;
        }
    }

    private Object stripe(String id) {
        return stripes[Math.floorMod(id.hashCode(), STRIPES)];
    }
}
