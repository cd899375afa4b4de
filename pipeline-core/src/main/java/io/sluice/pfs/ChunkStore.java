package io.sluice.pfs;

import io.sluice.SluiceException;
import io.sluice.storage.ObjectStore;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.NoSuchFileException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import static io.sluice.pfs.Io.io;

/**
 * The file bytes of every repo in the {@link ObjectStore}: the pool that chunks and stores writes within one
 * upload memory budget, the pins that keep a write's chunks from gc until it lands, and fsck and gc, which
 * walk every manifest that a repo's refs reach.
 */
final class ChunkStore implements Closeable {
    private static final Pattern CHUNK_KEY = Pattern.compile("chunks/[0-9a-f]{2}/[0-9a-f]{64}");
    private static final Pattern PACK_KEY = Pattern.compile("packs/[0-9a-f]{2}/[0-9a-f]{32}");
    /**
     * Upload buffer memory for all streams being chunked at once: what four streams at full speed hold
     * (two buffers of twice the maximum chunk size each); slow or small streams hold only what they sent.
     */
    private static final int STREAMS_AT_FULL_SPEED = 4;

    private final ObjectStore store;
    private final Chunker chunker;
    private final MetaCache cache;
    private final ExecutorService hashers;
    private final ByteBudget uploadMemory;
    private final AtomicLong storedBytes = new AtomicLong();
    /** The chunks of writes not yet committed, which gc leaves alone without waiting for the writes. */
    private final ChunkPins pins = new ChunkPins();
    /**
     * Where packed chunks are, a hint for deduplicating small files (see {@link PackIndex}); its slots (20
     * bytes each) take at most a sixteenth of the heap: ~260,000 chunks at -Xmx256m.
     */
    private final PackIndex packIndex = new PackIndex(Integer.highestOneBit(
            (int) Math.max(1024, Math.min(1 << 30, Runtime.getRuntime().maxMemory() / 16 / 20))));
    private final SecureRandom random = new SecureRandom();
    private volatile boolean closed;
    /** One gc at a time. */
    private final Object gcTurn = new Object();

    ChunkStore(ObjectStore store, Chunker chunker, MetaCache cache) {
        this.store = store;
        this.chunker = chunker;
        this.cache = cache;
        // twice the cores: a durable chunk put spends most of its time waiting on fsync, so more puts in
        // flight keep both the disk and the gear loop busy (1 GiB put: ~140 -> ~500 MiB/s on 2 cores)
        int threads = 2 * Math.max(1, Runtime.getRuntime().availableProcessors());
        this.hashers = Executors.newFixedThreadPool(threads, Io.daemon("pfs-hash"));
        this.uploadMemory = new ByteBudget(STREAMS_AT_FULL_SPEED * 4L * chunker.max(), Duration.ofSeconds(60));
    }

    ObjectStore store() {
        return store;
    }

    /** Bytes of chunks written to the store (deduplicated chunks do not count). */
    long storedBytes() {
        return storedBytes.get();
    }

    /** A new set of pins for one write; close it once the write has landed or been dropped. */
    ChunkPins.Holder pinHolder() {
        return pins.holder();
    }

    /** See {@link ChunkPins#quietMark()}: unchanged between two reads when no gc ran in between. */
    long quietMark() {
        return pins.quietMark();
    }

    /** Files up to this size are read whole and stored as one chunk (see {@link #storeSmall}). */
    int smallFileLimit() {
        return chunker.min();
    }

    /** Takes {@code bytes} of upload memory, waiting for other uploads to give some back if needed. */
    void reserve(long bytes) throws IOException {
        uploadMemory.acquire(bytes);
    }

    /** Takes {@code bytes} of upload memory if they are free now; false, taking nothing, if not. */
    boolean tryReserve(long bytes) {
        return uploadMemory.tryAcquire(bytes);
    }

    /** Gives back memory taken by {@link #reserve(long)}. */
    void release(long bytes) {
        uploadMemory.release(bytes);
    }

    /**
     * A small file's chunk as {@link #hashSmall} found it: {@code stored} if the store already holds those bytes
     * where {@code chunk} says (a loose chunk or a pack range, checked byte for byte), else a loose-looking chunk
     * whose bytes still have to go into the batch's pack.
     */
    record Small(FileManifest.Chunk chunk, boolean stored) {
    }

    /**
     * Hashes a small file's bytes (one chunk) on the pool and looks for them in the store, pinning what it
     * finds before checking it; null for no bytes. Writes nothing: new bytes go into the batch's
     * {@link PackWriter}, in the order the files came.
     */
    CompletableFuture<Small> hashSmall(byte[] bytes, ChunkPins.Holder pinned) {
        if (bytes.length == 0) {
            return CompletableFuture.completedFuture(null);
        }
        return CompletableFuture.supplyAsync(() -> {
            MessageDigest md = FileManifest.sha256();
            md.update(bytes);
            String id = HexFormat.of().formatHex(md.digest());
            long crc = ChunkCheck.crc32c(bytes, 0, bytes.length);
            // the index is only a hint: a range is trusted once its bytes are compared, as a loose chunk is
            try {
                FileManifest.Chunk packed = packIndex.find(id, bytes.length, crc);
                if (packed != null) {
                    pinned.pin(packed.pinName());
                    if (ChunkCheck.storedIntact(store, packed, bytes, 0, bytes.length)) {
                        return new Small(packed, true);
                    }
                }
                FileManifest.Chunk loose = new FileManifest.Chunk(id, bytes.length, crc);
                // bytes a single put stored loose are not stored again; pinned only when there to check, so
                // the pins of a big upload do not grow by one per new file (a chunk that goes after the
                // look is simply packed)
                if (!store.exists(loose.key())) {
                    return new Small(loose, false);
                }
                pinned.pin(loose.pinName());
                return new Small(loose, ChunkCheck.storedIntact(store, loose, bytes, 0, bytes.length));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, hashers);
    }

    /**
     * Refills the pack index from every manifest of {@code repos}, in the background: until it is done, puts
     * of bytes already packed by an earlier run write them again (space, never correctness). Returns when the
     * refill started; the future completes when it ended.
     */
    CompletableFuture<Void> indexPacks(List<DataRepo> repos) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread t = Io.daemon("pfs-pack-index").newThread(() -> {
            try {
                for (DataRepo r : repos) {
                    walkManifests(r, false, new ArrayList<>(), (where, c) -> {
                        if (closed) {
                            throw new java.util.concurrent.CancellationException("the store closed");
                        }
                        if (c.packed()) {
                            packIndex.add(c.pack(), c.id(), c.offset(), c.size());
                        }
                    });
                }
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e); // a hint less: puts only dedup less
            }
        });
        t.start();
        return done;
    }

    /** A pack writer for one batch, its packs pinned for {@code pinned}; close it with the batch. */
    PackWriter packWriter(ChunkPins.Holder pinned) {
        return new PackWriter(store, uploadMemory, pinned, packIndex, storedBytes, random);
    }

    /**
     * Chunks {@code data} into the store, pinning every chunk for {@code pinned}; with a basis, re-chunks from
     * its last chunk so only new chunks are stored.
     */
    List<FileManifest.Chunk> write(FileManifest basis, InputStream data, ChunkPins.Holder pinned) throws IOException {
        ChunkWriter w = new ChunkWriter(chunker, store, hashers, storedBytes, uploadMemory);
        if (basis == null || basis.chunks().isEmpty()) {
            return w.write(data, pinned);
        }
        List<FileManifest.Chunk> old = basis.chunks();
        FileManifest.Chunk last = old.get(old.size() - 1);
        List<FileManifest.Chunk> out = new ArrayList<>(old.subList(0, old.size() - 1));
        out.forEach(c -> pinned.pin(c.pinName()));
        // checked like any read: re-chunking a damaged last chunk would give its damage a valid checksum
        out.addAll(w.write(new SequenceInputStream(new ChunkStream(store, List.of(last), 0, -1), data), pinned));
        return out;
    }

    /**
     * Re-reads every chunk reachable from any commit of {@code repos} and checks its SHA-256; returns the
     * problems found. It waits for no write and no gc (gc only deletes what no ref reached when it looked).
     */
    List<String> fsck(List<DataRepo> repos) {
        List<String> problems = new ArrayList<>();
        Map<String, String> verdicts = new HashMap<>();
        for (DataRepo r : repos) {
            walkManifests(r, false, problems, (where, chunk) -> {
                // per place, not per id: the same bytes may be intact loose and damaged in a pack
                String verdict = verdicts.computeIfAbsent(chunk.key() + "@" + chunk.offset(), k -> verify(chunk));
                if (verdict != null) {
                    problems.add(where + ": chunk " + chunk.id() + " " + verdict + (chunk.packed()
                            ? " (bytes " + chunk.offset() + "-" + (chunk.offset() + chunk.size()) + " of pack " + chunk.pack() + ")"
                            : ""));
                }
            });
        }
        return problems;
    }

    /** Null when the chunk is intact, else "missing", "truncated (...)" or "corrupt". */
    private String verify(FileManifest.Chunk chunk) {
        try (InputStream in = ChunkCheck.open(store, chunk)) {
            MessageDigest md = FileManifest.sha256();
            byte[] buf = new byte[1 << 16];
            long n = 0;
            for (int k; (k = in.read(buf)) > 0; ) {
                md.update(buf, 0, k);
                n += k;
            }
            if (n < chunk.size()) {
                return "truncated (" + n + " of " + chunk.size() + " bytes)";
            }
            return n == chunk.size() && HexFormat.of().formatHex(md.digest()).equals(chunk.id()) ? null : "corrupt";
        } catch (NoSuchFileException e) {
            return "missing";
        } catch (IOException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
    }

    /**
     * Deletes the chunks that no ref of {@code repos} reaches (branch heads, open commits, and the kept heads
     * of deleted or moved branches) and that no write in progress has pinned; returns how many were deleted.
     * A repo that is no longer {@code current} when read (deleted meanwhile) keeps nothing. It never waits
     * for a write, however slow: a slow upload's chunks are pinned, not waited for.
     */
    long gc(List<DataRepo> repos, Predicate<DataRepo> current) {
        synchronized (gcTurn) {
            pins.gcStarted();
            try {
                Set<String> live = new HashSet<>();
                List<String> problems = new ArrayList<>();
                for (DataRepo r : repos) {
                    List<String> found = new ArrayList<>();
                    walkManifests(r, true, found, (where, chunk) -> live.add(chunk.key()));
                    if (current.test(r)) {
                        problems.addAll(found); // a repo deleted while it was read keeps nothing: not damage
                    }
                }
                if (!problems.isEmpty()) {
                    // never sweep on a partial mark: an unreadable manifest could hide live chunks
                    throw SluiceException.unavailable("gc stopped, run fsck: " + problems.get(0), null);
                }
                return io(() -> {
                    long deleted = 0;
                    for (String key : store.list("chunks/")) {
                        if (CHUNK_KEY.matcher(key).matches() && !live.contains(key)
                                && pins.deleteUnlessPinned(key.substring(key.lastIndexOf('/') + 1), () -> store.delete(key))) {
                            deleted++;
                        }
                    }
                    // a pack stays whole while any live manifest names it; one nobody names is a batch's that never landed
                    for (String key : store.list("packs/")) {
                        String pack = key.substring(key.lastIndexOf('/') + 1);
                        if (PACK_KEY.matcher(key).matches() && !live.contains(key)
                                && pins.deleteUnlessPinned(FileManifest.PACK_PIN + pack, () -> store.delete(key))) {
                            packIndex.dropPack(pack);
                            deleted++;
                        }
                    }
                    return deleted;
                });
            } finally {
                pins.gcEnded();
            }
        }
    }

    /** What a walk over manifests is given: each chunk with the file (repo@commit:path) that holds it. */
    interface ChunkVisitor {
        void visit(String where, FileManifest.Chunk chunk);
    }

    /**
     * Visits every chunk of every manifest reachable from any ref of {@code r}, each manifest once; with
     * {@code stable}, the refs are read while no commit can move from one ref to another (what gc needs).
     */
    private void walkManifests(DataRepo r, boolean stable, List<String> problems, ChunkVisitor visitor) {
        Set<ObjectId> seen = new HashSet<>();
        try {
            r.read(reader -> {
                try (RevWalk walk = new RevWalk(reader)) {
                    for (ObjectId tip : stable ? r.stableTips() : r.tips()) {
                        walk.markStart(walk.parseCommit(tip));
                    }
                    for (RevCommit c : walk) {
                        String where = r.name + "@" + r.atCommit(c).meta().id();
                        walkTree(reader, c.getTree(), "", where, seen, problems, visitor);
                    }
                }
                return null;
            });
        } catch (IOException e) {
            problems.add(r.name + ": git repository unreadable (" + e.getMessage() + ")");
        }
    }

    /**
     * Visits every chunk of the manifests under {@code tree} not in {@code seen}, adding each tree and manifest
     * to it; an unreadable manifest is added to {@code problems} and skipped.
     */
    void walkTree(ObjectReader reader, ObjectId tree, String dir, String where, Set<ObjectId> seen,
                  List<String> problems, ChunkVisitor visitor) throws IOException {
        if (!seen.add(tree.copy())) {
            return;
        }
        for (CanonicalTreeParser t = new CanonicalTreeParser(null, reader, tree); !t.eof(); t.next()) {
            String path = dir + "/" + t.getEntryPathString();
            ObjectId id = t.getEntryObjectId();
            if (t.getEntryFileMode() == FileMode.TREE) {
                walkTree(reader, id, path, where, seen, problems, visitor);
            } else if (seen.add(id)) {
                FileManifest m;
                try {
                    m = cache.manifest(reader, id);
                } catch (IOException e) {
                    problems.add(where + ":" + path + ": manifest unreadable (" + e.getMessage() + ")");
                    continue;
                }
                for (FileManifest.Chunk chunk : m.chunks()) {
                    visitor.visit(where + ":" + path, chunk);
                }
            }
        }
    }

    /** Stops the writer pool; writes still running fail. */
    @Override
    public void close() {
        closed = true;
        hashers.shutdown();
    }
}
