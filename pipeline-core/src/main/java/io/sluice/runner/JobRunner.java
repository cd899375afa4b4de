package io.sluice.runner;

import java.io.Closeable;

/**
 * Runs a pipeline's user code over one datum; the local runner does it with a process on this machine,
 * the Kubernetes runner with a pod. Datum selection, retries, skipping, output commits and provenance
 * stay in pps, never in a runner: a runner gets one {@link DatumTask}, runs it once, and reports a
 * {@link DatumResult} whose outputs pps then commits.
 *
 * <p>Implementations are thread-safe: pps calls {@link #run} from up to {@code parallelism_spec.constant}
 * threads at once. Stopping is by interruption: when the calling thread is interrupted, {@link #run} stops
 * the user code (every process or pod it started) and throws {@link InterruptedException}.
 */
public interface JobRunner extends Closeable {

    /** One line saying how this runner runs user code, logged by the daemon at start. */
    String describe();

    /** Whether user code runs on the daemon's host rather than in the container {@code transform.image} names. */
    default boolean runsOnHost() {
        return false;
    }

    /** One line on what this runner cannot keep apart between datums and from the host; empty when nothing. */
    default String isolationGap() {
        return "";
    }

    /**
     * Why this runner cannot show user code secret files at their {@code mount_path}, in one clause; empty
     * when it can.
     */
    default String secretFilesGap() {
        return "";
    }

    /**
     * Runs {@code task}'s command once and blocks until it ends, passing each line it prints to
     * {@code logs}. A failing command is an unsuccessful result, never an exception; an exception means
     * the runner itself could not work (disk full, cluster gone).
     */
    DatumResult run(DatumTask task, LogSink logs) throws InterruptedException;

    /** Frees whatever the runner kept for a job (work directories, outputs); called once the job ended. */
    void release(String jobId);

    @Override
    void close();

    /** Receives user code's output lines as they are printed; {@code stream} is "stdout" or "stderr". */
    @FunctionalInterface
    interface LogSink {
        void line(String stream, String message);
    }
}
