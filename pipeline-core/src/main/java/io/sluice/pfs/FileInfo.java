package io.sluice.pfs;

/**
 * A file or directory in a commit. {@code hash} is the file's content hash (hex SHA-256 over its chunk
 * ids, so equal bytes give equal hashes) and is null for directories; a directory's size is the sum of
 * its files.
 */
public record FileInfo(String path, Type type, long size, String hash) {
    /** File or directory. */
    public enum Type { FILE, DIR }
}
