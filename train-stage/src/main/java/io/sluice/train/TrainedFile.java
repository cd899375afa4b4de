package io.sluice.train;

/**
 * One input file a model was trained on: its path relative to the input root, the SHA-256 of its bytes and how many
 * ratings it held; incremental training treats a file whose (path, sha256) a model does not list as new data.
 */
public record TrainedFile(String path, String sha256, int ratings) {
}
