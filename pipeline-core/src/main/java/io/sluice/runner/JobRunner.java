package io.sluice.runner;

/**
 * Runs a pipeline's user code over one datum whose inputs are already materialised; the local runner
 * does it with a process on this machine, the Kubernetes runner with a pod. Datum selection, retries,
 * skipping and provenance stay in pps, never in a runner.
 */
public interface JobRunner {
    // The pps issue defines the methods; see io.sluice.pps.
}
