package io.sluice.pfs;

import io.sluice.storage.ObjectStore;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * The integrity checks of chunk bytes: the cheap CRC32C every read verifies (the SHA-256 of the chunk id
 * for chunks without one, and always in fsck), and the byte-for-byte check a put makes before trusting a
 * chunk that is already stored, so that putting the same bytes again repairs a damaged one.
 */
final class ChunkCheck {
    private static final int BLOCK = 64 * 1024;

    private ChunkCheck() {
    }

    /** The CRC32C of {@code len} bytes of {@code b} from {@code off}. */
    static long crc32c(byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, len);
        return crc.getValue();
    }

    /**
     * Null when the first {@code length} bytes of {@code b} are what {@code chunk} describes (the stream they
     * came from ended exactly there), else what is wrong with them.
     */
    static String damage(FileManifest.Chunk chunk, byte[] b, int length, boolean longer) {
        if (length < chunk.size()) {
            return "truncated (" + length + " of " + chunk.size() + " bytes)";
        }
        if (longer) {
            return "longer than its " + chunk.size() + " bytes";
        }
        if (chunk.crc() != FileManifest.NO_CRC) {
            return crc32c(b, 0, length) == chunk.crc() ? null : "corrupt (CRC32C mismatch)";
        }
        MessageDigest md = FileManifest.sha256();
        md.update(b, 0, length);
        return HexFormat.of().formatHex(md.digest()).equals(chunk.id()) ? null : "corrupt (SHA-256 mismatch)";
    }

    /**
     * The stored bytes of {@code chunk}: a loose chunk's whole object (so one that grew is told by its extra
     * bytes), a packed chunk's range of its pack (a pack cut short gives fewer bytes). Throws
     * {@link NoSuchFileException} when the object holding it is gone.
     */
    static InputStream open(ObjectStore store, FileManifest.Chunk chunk) throws IOException {
        return chunk.packed() ? store.get(chunk.key(), chunk.offset(), chunk.size()) : store.get(chunk.key(), 0, -1);
    }

    /**
     * Whether the place {@code at} names holds exactly {@code len} bytes of {@code b} from {@code off}: false
     * when it is missing, shorter, longer or different, so the caller writes it again instead of
     * deduplicating against it.
     */
    static boolean storedIntact(ObjectStore store, FileManifest.Chunk at, byte[] b, int off, int len) throws IOException {
        byte[] block = new byte[Math.min(BLOCK, len + 1)];
        int read = 0;
        try (InputStream in = open(store, at)) {
            for (int n; (n = in.read(block, 0, block.length)) > 0; read += n) {
                if (read + n > len || !Arrays.equals(block, 0, n, b, off + read, off + read + n)) {
                    return false;
                }
            }
        } catch (NoSuchFileException e) {
            return false;
        }
        return read == len;
    }
}
