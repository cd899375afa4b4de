package io.sluice.pps;

import java.time.Instant;

/** One line a job's user code printed, on stdout or stderr, tagged with its job and datum. */
public record LogLine(String pipeline, String jobId, String datumId, Instant time, String stream, String message) {
}
