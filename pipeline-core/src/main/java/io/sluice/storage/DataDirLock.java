package io.sluice.storage;

import io.sluice.SluiceException;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a data dir, held by one daemon from its start to its close: a second daemon on the
 * same dir would remove the first one's Git lock files at start and race it on every ref and job record.
 * The lock is the operating system's (released when the process dies, even by SIGKILL), on the file
 * {@value #FILE} in the data dir, which names the holder's pid so a refused daemon can say who holds it.
 */
public final class DataDirLock implements Closeable {

    /** The lock file's name inside the data dir. */
    public static final String FILE = "daemon.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock on {@code dataDir} or fails (CONFLICT) with one line naming the process that holds it. */
    public static DataDirLock acquire(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot open the lock file " + file + ": " + e.getMessage(), e);
        }
        try {
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // this very process holds it (a second daemon opened in one JVM)
            }
            if (lock == null) {
                String holder = holder(channel);
                channel.close();
                throw SluiceException.conflict("data dir " + dataDir + " is in use by another sluice daemon ("
                        + (holder.isEmpty() ? "pid unknown" : "pid " + holder)
                        + "); stop it first or give this one another --data-dir");
            }
            byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(pid), 0);
            channel.force(true);
            return new DataDirLock(channel, lock);
        } catch (IOException e) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the failure below is what matters
            }
            throw SluiceException.unavailable("cannot lock the data dir " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /** The pid the holder wrote, or "" if it has not written it yet. */
    private static String holder(FileChannel channel) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(32);
        channel.read(buf, 0);
        String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).trim();
        return text.matches("[0-9]{1,19}") ? text : "";
    }

    /** Releases the lock; the file stays (deleting it would let a third daemon lock a different inode). */
    @Override
    public void close() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
