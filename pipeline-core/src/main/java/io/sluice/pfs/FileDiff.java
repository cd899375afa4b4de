package io.sluice.pfs;

/** One path that differs between two commits; {@code oldFile} is null when added, {@code newFile} when deleted. */
public record FileDiff(String path, FileInfo newFile, FileInfo oldFile) {
}
