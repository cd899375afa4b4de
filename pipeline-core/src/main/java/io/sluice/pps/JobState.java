package io.sluice.pps;

import java.util.EnumSet;
import java.util.Set;

/**
 * Pachyderm's job states and the only transitions between them: CREATED, STARTING and RUNNING move
 * forward; each of them may end KILLED; a job ends UNRUNNABLE only before it starts; and an unfinished
 * job found after a daemon restart goes back to CREATED to run again.
 */
public enum JobState {
    JOB_CREATED, JOB_STARTING, JOB_RUNNING, JOB_SUCCESS, JOB_FAILURE, JOB_KILLED, JOB_UNRUNNABLE;

    /** Whether the job has ended for good. */
    public boolean terminal() {
        return this == JOB_SUCCESS || this == JOB_FAILURE || this == JOB_KILLED || this == JOB_UNRUNNABLE;
    }

    /** Whether a job in this state may move to {@code next}. */
    public boolean canMoveTo(JobState next) {
        return allowedNext().contains(next);
    }

    private Set<JobState> allowedNext() {
        return switch (this) {
            case JOB_CREATED -> EnumSet.of(JOB_STARTING, JOB_KILLED, JOB_UNRUNNABLE, JOB_FAILURE);
            case JOB_STARTING -> EnumSet.of(JOB_RUNNING, JOB_FAILURE, JOB_KILLED, JOB_CREATED);
            case JOB_RUNNING -> EnumSet.of(JOB_SUCCESS, JOB_FAILURE, JOB_KILLED, JOB_CREATED);
            default -> EnumSet.noneOf(JobState.class);
        };
    }

}
