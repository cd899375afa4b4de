package io.sluice.pps;

import io.sluice.pfs.PfsService;

import java.io.Closeable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Pipelines and jobs: keeps pipeline specs (every version), watches the branches they read, and runs one
 * job per new input head through a {@link io.sluice.runner.JobRunner}, recording provenance on each
 * output commit. Errors the caller can act on are {@link io.sluice.SluiceException}s.
 */
public final class PpsService implements Closeable {

    public PpsService(Path dataDir, PfsService pfs, io.sluice.runner.JobRunner runner) {
        throw new UnsupportedOperationException("pps is not written yet");
    }

    /** Starts watching input branches and resumes any job that was running when the daemon stopped. */
    public void start() {
        throw new UnsupportedOperationException();
    }

    /** Creates a pipeline from a Pachyderm-format JSON spec (its output repo too). */
    public PipelineInfo createPipeline(String specJson) {
        throw new UnsupportedOperationException();
    }

    /** Stores a new version of an existing pipeline's spec; {@code reprocess} ignores earlier datum results. */
    public PipelineInfo updatePipeline(String specJson, boolean reprocess) {
        throw new UnsupportedOperationException();
    }

    public List<PipelineInfo> listPipeline() {
        throw new UnsupportedOperationException();
    }

    public PipelineInfo inspectPipeline(String name) {
        throw new UnsupportedOperationException();
    }

    public void deletePipeline(String name) {
        throw new UnsupportedOperationException();
    }

    public PipelineInfo stopPipeline(String name) {
        throw new UnsupportedOperationException();
    }

    public PipelineInfo startPipeline(String name) {
        throw new UnsupportedOperationException();
    }

    /** Jobs newest first, of one pipeline or of all when {@code pipeline} is null. */
    public List<JobInfo> listJob(String pipeline) {
        throw new UnsupportedOperationException();
    }

    public JobInfo inspectJob(String id) {
        throw new UnsupportedOperationException();
    }

    /** Blocks until the job has ended (success, failure, killed, unrunnable) or the timeout passes. */
    public JobInfo waitJob(String id, Duration timeout) {
        throw new UnsupportedOperationException();
    }

    public JobInfo stopJob(String id) {
        throw new UnsupportedOperationException();
    }

    public List<DatumInfo> listDatum(String jobId) {
        throw new UnsupportedOperationException();
    }

    /** Log lines of a pipeline's jobs or of one job, optionally of one datum, oldest first. */
    public List<LogLine> logs(String pipeline, String jobId, String datumId) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {
    }
}
