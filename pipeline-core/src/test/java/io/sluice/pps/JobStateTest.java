package io.sluice.pps;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.EnumSet;

import static io.sluice.pps.JobState.*;
import static org.assertj.core.api.Assertions.assertThat;

class JobStateTest {

    @Test
    void terminalStatesAreExactlyTheEndings() {
        assertThat(Arrays.stream(values()).filter(JobState::terminal))
                .containsExactlyInAnyOrder(JOB_SUCCESS, JOB_FAILURE, JOB_KILLED, JOB_UNRUNNABLE);
    }

    @Test
    void aJobMovesForwardAndEndsOnlyOnce() {
        assertThat(JOB_CREATED.canMoveTo(JOB_STARTING)).isTrue();
        assertThat(JOB_STARTING.canMoveTo(JOB_RUNNING)).isTrue();
        assertThat(JOB_RUNNING.canMoveTo(JOB_SUCCESS)).isTrue();
        assertThat(JOB_RUNNING.canMoveTo(JOB_FAILURE)).isTrue();
        assertThat(JOB_CREATED.canMoveTo(JOB_RUNNING)).as("skipping STARTING").isFalse();
        assertThat(JOB_CREATED.canMoveTo(JOB_SUCCESS)).isFalse();
        assertThat(JOB_RUNNING.canMoveTo(JOB_STARTING)).isFalse();
        for (JobState end : EnumSet.of(JOB_SUCCESS, JOB_FAILURE, JOB_KILLED, JOB_UNRUNNABLE)) {
            for (JobState next : values()) {
                assertThat(end.canMoveTo(next)).as(end + " -> " + next).isFalse();
            }
        }
    }

    @Test
    void everyUnfinishedJobCanBeKilledAndOnlyUnstartedOnesBecomeUnrunnable() {
        for (JobState s : EnumSet.of(JOB_CREATED, JOB_STARTING, JOB_RUNNING)) {
            assertThat(s.canMoveTo(JOB_KILLED)).as(s.name()).isTrue();
        }
        assertThat(JOB_CREATED.canMoveTo(JOB_UNRUNNABLE)).isTrue();
        assertThat(JOB_RUNNING.canMoveTo(JOB_UNRUNNABLE)).isFalse();
    }

    @Test
    void aJobInterruptedByARestartGoesBackToCreated() {
        assertThat(JOB_STARTING.canMoveTo(JOB_CREATED)).isTrue();
        assertThat(JOB_RUNNING.canMoveTo(JOB_CREATED)).isTrue();
        assertThat(JOB_SUCCESS.canMoveTo(JOB_CREATED)).isFalse();
    }
}
