package io.sluice.pps;

import io.sluice.pfs.CommitRef;

import java.time.Instant;
import java.util.List;

/**
 * A job: one run of a pipeline version over one set of exact input commits. {@code state} is one of
 * Pachyderm's JOB_CREATED, JOB_STARTING, JOB_RUNNING, JOB_SUCCESS, JOB_FAILURE, JOB_KILLED,
 * JOB_UNRUNNABLE; {@code output} is null until the output commit is finished.
 */
public record JobInfo(String id, String pipeline, int pipelineVersion, String state, String reason,
                      List<CommitRef> inputs, CommitRef output, Instant created, Instant started,
                      Instant finished, long datumsProcessed, long datumsSkipped, long datumsFailed,
                      long datumsTotal) {
}
