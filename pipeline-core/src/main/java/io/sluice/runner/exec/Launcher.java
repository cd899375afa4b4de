package io.sluice.runner.exec;

import io.sluice.runner.JobRunner.LogSink;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Starts user code over a laid-out {@link Workspace} and waits for it: directly as a child process (with
 * {@code /pfs} rewritten to the workspace when it is not really at {@code /pfs}), or through a namespace
 * slot that shows the workspace at {@code /pfs}. A launcher hands out one {@link Session} per datum running
 * at once; each session owns its workspace until it is closed.
 */
public interface Launcher extends AutoCloseable {

    /** One line saying how user code is started and what it sees, logged at start. */
    String describe();

    /** A session for one datum whose own files live under {@code datumDir} (a launcher may use its own). */
    Session open(Path datumDir) throws IOException, InterruptedException;

    /** Stops whatever the launcher keeps running (helpers); sessions still open fail. */
    @Override
    void close();

    /** One datum's use of the launcher. */
    interface Session extends AutoCloseable {
        /** Where the datum's /pfs is laid out. */
        Workspace workspace();

        /**
         * Runs {@code command} to its end, with {@code prev} (a read-only directory, or null) shown at
         * /pfs/prev, every line it prints passed to {@code logs}. When the calling thread is interrupted,
         * the command and everything it started are killed and {@link InterruptedException} is thrown.
         */
        Exit run(DatumCommand command, Path prev, LogSink logs) throws IOException, InterruptedException;

        /** Gives the session back; after an interrupted or broken run its resources are discarded. */
        @Override
        void close();
    }

    /** How user code ended: its exit code and the last lines of its stderr. */
    record Exit(int code, String stderrTail) {
    }
}
