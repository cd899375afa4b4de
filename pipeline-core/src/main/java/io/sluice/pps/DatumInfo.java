package io.sluice.pps;

import java.util.List;

/** One datum of a job: its id (a hash of its inputs), the input paths it covers, and how it ended. */
public record DatumInfo(String id, String jobId, DatumState state, List<String> files, int attempts, String error) {
}
