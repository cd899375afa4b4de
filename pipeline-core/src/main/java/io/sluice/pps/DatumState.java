package io.sluice.pps;

/**
 * How a datum of a job stands: PENDING until it runs, RUNNING, then SUCCESS or FAILED (an attempt failed;
 * another may follow), SKIPPED when an earlier job already produced it, KILLED when its job ended before
 * it finished. When a job ends, every datum is in a {@link #terminal} state.
 */
public enum DatumState {
    PENDING, RUNNING, SUCCESS, FAILED, SKIPPED, KILLED;

    /** Whether the datum will not change any more. */
    public boolean terminal() {
        return this != PENDING && this != RUNNING;
    }
}
