package io.sluice.pps;

import io.sluice.pfs.CommitRef;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A job: one run of a pipeline version over one set of exact input commits, in one of Pachyderm's
 * {@link JobState}s; {@code output} is null until the output commit is finished. Records are made only by
 * {@link #newJob} and changed only by {@link #moveTo} (the state machine of {@link JobState}) and
 * {@link #withCounts}, so started/finished times always agree with the state. As in Pachyderm's JobInfo,
 * recovered datums ({@code datumsRecovered}, its data_recovered: err_cmd exited 0) are counted apart from
 * processed ones.
 */
public record JobInfo(String id, String pipeline, int pipelineVersion, JobState state, String reason,
                      List<CommitRef> inputs, CommitRef output, Instant created, Instant started,
                      Instant finished, long datumsProcessed, long datumsSkipped, long datumsFailed,
                      long datumsTotal, long datumsRecovered) {

    public JobInfo {
        inputs = List.copyOf(inputs);
    }

    /** A new job of version {@code version} of {@code pipeline} over {@code inputs}, JOB_CREATED at {@code at}. */
    public static JobInfo newJob(String pipeline, int version, List<CommitRef> inputs, Instant at) {
        return new JobInfo(UUID.randomUUID().toString().replace("-", ""), pipeline, version, JobState.JOB_CREATED,
                null, inputs, null, at, null, null, 0, 0, 0, 0, 0);
    }

    /**
     * This job moved to {@code next} at {@code at} with {@code reason} (null: none) and, when not null, its
     * output commit; IllegalStateException when {@link JobState#canMoveTo} forbids it. Back to JOB_CREATED
     * (to run again after a restart) forgets everything of the earlier run but when it first started, so
     * that job_timeout counts from then and a restart does not give a job its whole time again.
     */
    public JobInfo moveTo(JobState next, String reason, Instant at, CommitRef out) {
        if (!state.canMoveTo(next)) {
            throw new IllegalStateException("job " + id + " cannot move from " + state + " to " + next);
        }
        if (next == JobState.JOB_CREATED) {
            return new JobInfo(id, pipeline, pipelineVersion, next, null, inputs, null, created, started, null, 0, 0, 0,
                    0, 0);
        }
        return new JobInfo(id, pipeline, pipelineVersion, next, reason, inputs, out != null ? out : output, created,
                next == JobState.JOB_STARTING && started == null ? at : started, next.terminal() ? at : finished,
                datumsProcessed, datumsSkipped, datumsFailed, datumsTotal, datumsRecovered);
    }

    /** This job with its datum counts replaced. */
    public JobInfo withCounts(long processed, long skipped, long failed, long total, long recovered) {
        return new JobInfo(id, pipeline, pipelineVersion, state, reason, inputs, output, created, started, finished,
                processed, skipped, failed, total, recovered);
    }
}
