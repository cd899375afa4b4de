package io.sluice.pfs;

import io.sluice.SluiceException;

import java.io.IOException;
import java.util.concurrent.ThreadFactory;

/** What every part of pfs shares: the one translation of storage failures into errors, and daemon threads. */
final class Io {
    private Io() {
    }

    /** A step that reads or writes storage. */
    interface IoCall<T> {
        T call() throws IOException;
    }

    /** Runs {@code call}, turning a storage failure into UNAVAILABLE with a readable message. */
    static <T> T io(IoCall<T> call) {
        try {
            return call.call();
        } catch (ChunkStream.DamagedChunkException e) {
            throw SluiceException.unavailable(e.getMessage(), e);
        } catch (IOException e) {
            throw SluiceException.unavailable("pfs storage failed: " + e.getMessage(), e);
        }
    }

    /** Threads that do not keep the JVM alive, all named {@code name}. */
    static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
