package io.sluice.storage;

import io.sluice.SluiceException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import org.apache.commons.io.input.BoundedInputStream;

/**
 * An {@link ObjectStore} in a local directory ({@code file:DIR}): each key is a relative file path under
 * the directory, and every finished put survives a crash (temp file, fsync, atomic rename, fsync of the
 * directory), so a reader sees either nothing or the whole object.
 */
public final class FileObjectStore implements ObjectStore {
    private static final int BUFFER = 64 * 1024;
    private final Path root;
    /** Objects put unsynced and not yet made durable by {@link #sync()}. */
    private final Set<Path> unsynced = ConcurrentHashMap.newKeySet();
    private final Object syncLock = new Object();
    /** False once {@code sync -f} failed here: then {@link #sync()} fsyncs file by file. */
    private boolean syncfs = true;
    /**
     * Directories this store made or found, so a put into one costs no stat: a small object's put is a handful
     * of system calls, and that stat was one of them. One that vanished (removed by hand) is made again.
     */
    private final Set<Path> madeDirs = ConcurrentHashMap.newKeySet();

    /** Opens (creating if needed) the store rooted at {@code root}. */
    public FileObjectStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.root);
        } catch (IOException e) {
            throw unavailable(e);
        }
    }

    @Override
    public void put(String key, InputStream data, long length) throws IOException {
        write(key, data, length, true);
    }

    @Override
    public void putUnsynced(String key, InputStream data, long length) throws IOException {
        write(key, data, length, false);
    }

    /**
     * Makes every unsynced put durable with one {@code syncfs(2)} of the store's file system ({@code sync -f},
     * coreutils), which costs about as much as a single fsync; where that is missing, fsyncs each file and
     * directory. Held under a lock, so a caller that found another batch's unsynced object in place returns
     * only after that object is durable too.
     */
    @Override
    public void sync() throws IOException {
        synchronized (syncLock) {
            if (unsynced.isEmpty()) {
                return;
            }
            List<Path> batch = new ArrayList<>(unsynced);
            try {
                if (!syncFileSystem()) {
                    Set<Path> dirs = new HashSet<>();
                    for (Path p : batch) {
                        try (FileChannel channel = FileChannel.open(p, StandardOpenOption.READ)) {
                            channel.force(true);
                        } catch (NoSuchFileException gone) {
                            // its put failed, or gc deleted it since: nothing to make durable
                        }
                        dirs.add(p.getParent());
                    }
                    for (Path d : dirs) {
                        fsync(d);
                    }
                }
            } catch (IOException e) {
                throw unavailable(e);
            }
            batch.forEach(unsynced::remove);
        }
    }

    /** One syncfs(2) through coreutils' {@code sync -f}; false where it cannot run, so the caller fsyncs instead. */
    private boolean syncFileSystem() throws IOException {
        if (!syncfs) {
            return false;
        }
        try {
            Process p = new ProcessBuilder("sync", "-f", root.toString()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor() == 0) {
                return true;
            }
        } catch (IOException e) {
            // no sync program on this system
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while syncing " + root);
        }
        syncfs = false;
        return false;
    }

    private void write(String key, InputStream data, long length, boolean durable) throws IOException {
        Path target = root.resolve(Keys.check(key));
        Keys.checkNotNegative(length, "length");
        Path dir = target.getParent();
        Path temp = null;
        try {
            if (!madeDirs.contains(dir)) {
                makeDirectories(dir);
            }
            // Hidden name next to the target: the rename stays inside one directory and list() skips it.
            // one open that creates the temp file (createTempFile and a second open would be two); a random
            // 64-bit name, and CREATE_NEW refuses the clash that is all but impossible
            Path fresh = dir.resolve("." + target.getFileName() + "."
                    + Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
            try (FileChannel out = createNew(fresh)) {
                temp = fresh; // ours to delete on failure from here on, never another put's
                copy(data, length, out, key);
                if (durable) {
                    out.force(true);
                }
            }
            if (!durable) {
                unsynced.add(target); // before the rename: whoever sees the object in place also sees it here
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            temp = null;
            if (durable) {
                fsync(dir);
            }
        } catch (InputFailure e) {
            throw e.getCause();
        } catch (IOException e) {
            throw unavailable(e);
        } finally {
            if (temp != null) {
                Files.deleteIfExists(temp);
            }
        }
    }

    @Override
    public InputStream get(String key, long offset, long length) throws IOException {
        Path file = root.resolve(Keys.check(key));
        Keys.checkNotNegative(offset, "offset");
        // one stat that tells both a missing key (it throws NoSuchFileException) and a directory
        if (Files.readAttributes(file, BasicFileAttributes.class).isDirectory()) {
            throw new NoSuchFileException(key);
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        channel.position(offset);
        InputStream in = Channels.newInputStream(channel);
        return length < 0 ? in : BoundedInputStream.builder().setInputStream(in).setMaxCount(length).get();
    }

    @Override
    public boolean exists(String key) {
        return Files.isRegularFile(root.resolve(Keys.check(key)));
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        Keys.checkPrefix(prefix);
        Path start = root.resolve(prefix.substring(0, prefix.lastIndexOf('/') + 1));
        List<String> keys = new ArrayList<>();
        if (!Files.isDirectory(start)) {
            return keys;
        }
        Files.walkFileTree(start, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String key = root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
                if (attrs.isRegularFile() && !file.getFileName().toString().startsWith(".") && key.startsWith(prefix)) {
                    keys.add(key);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                // A concurrent put renames its temp file away while we walk: that is not an error.
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
        Collections.sort(keys);
        return keys;
    }

    @Override
    public void delete(String key) throws IOException {
        Files.deleteIfExists(root.resolve(Keys.check(key)));
    }

    @Override
    public String uri() {
        return "file:" + root;
    }

    /** Opens a new file for writing; if its directory vanished since it was remembered, makes it again first. */
    private FileChannel createNew(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            madeDirs.remove(file.getParent());
            makeDirectories(file.getParent());
            return FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }
    }

    /**
     * Creates {@code dir} and any missing parents below the root, fsyncing each new entry's parent, and
     * remembers it made or found {@code dir}.
     */
    private void makeDirectories(Path dir) throws IOException {
        if (dir.equals(root)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            makeDirectories(dir.getParent());
            try {
                Files.createDirectory(dir);
                fsync(dir.getParent());
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(dir)) {
                    return; // a file is in the way: the open in it will say so, every time
                }
                // another put created it
            }
        }
        madeDirs.add(dir);
    }

    private static void fsync(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** Copies exactly {@code length} bytes; failures of the caller's stream come out as {@link InputFailure}. */
    private static void copy(InputStream in, long length, FileChannel out, String key) throws IOException {
        // no bigger than the object: a small chunk's put otherwise allocates and zeroes 64 KiB for a few KiB
        byte[] buffer = new byte[(int) Math.max(1, Math.min(BUFFER, length))];
        long left = length;
        while (left > 0) {
            int n;
            try {
                n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            } catch (IOException e) {
                throw new InputFailure(e);
            }
            if (n < 0) {
                throw new InputFailure(new EOFException("object " + key + ": expected " + length
                        + " bytes, the stream ended after " + (length - left)));
            }
            ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, n);
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            left -= n;
        }
    }

    private SluiceException unavailable(IOException e) {
        String cause = e.getMessage();
        if (e instanceof FileSystemException fse) {
            cause = (fse.getReason() != null ? fse.getReason() : e.getClass().getSimpleName()) + " (" + fse.getFile() + ")";
        }
        return SluiceException.unavailable("object store " + uri() + " is unavailable: " + cause, e);
    }

    /** Marks an IOException thrown by the caller's input stream, which is not the store's fault. */
    private static final class InputFailure extends IOException {
        InputFailure(IOException cause) {
            super(cause);
        }

        @Override
        public synchronized IOException getCause() {
            return (IOException) super.getCause();
        }
    }
}
