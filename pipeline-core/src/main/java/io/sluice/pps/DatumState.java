package io.sluice.pps;

/**
 * How a datum of a job stands: PENDING until it runs, RUNNING, then SUCCESS or FAILED (an attempt failed;
 * another may follow), SKIPPED when an earlier job already produced it, KILLED when its job ended before
 * it finished, RECOVERED when its last attempt failed but {@code transform.err_cmd} then exited 0 (as in
 * Pachyderm: it fails no job and contributes no output). When a job ends, every datum is in a
 * {@link #terminal} state.
 */
public enum DatumState {
    PENDING, RUNNING, SUCCESS, FAILED, SKIPPED, KILLED, RECOVERED;

    /** Whether the datum will not change any more. */
    public boolean terminal() {
        return this != PENDING && this != RUNNING;
    }
}
