package io.sluice.pfs;

import io.sluice.Waiters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What happens once a commit is finished and its branch has moved: long polls waiting on it complete, and
 * every subscriber is called on one event thread, in finishing order.
 */
final class CommitEvents implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(CommitEvents.class);

    private final ExecutorService events = Executors.newSingleThreadExecutor(Io.daemon("pfs-events"));
    /** Long polls on commits, by "repo@id", completed when the commit is published finished. */
    private final Waiters<String, CommitInfo> finishWaiters = new Waiters<>(10_000);
    private final List<Consumer<CommitInfo>> listeners = new CopyOnWriteArrayList<>();

    /** See {@link PfsService#subscribe(Consumer)}. */
    Closeable subscribe(Consumer<CommitInfo> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Tells waiters and subscribers that {@code info} is finished (call once its branch has moved). */
    void published(CommitInfo info) {
        finishWaiters.complete(info.repo() + "@" + info.id(), info);
        for (Consumer<CommitInfo> l : listeners) {
            events.execute(() -> {
                try {
                    l.accept(info);
                } catch (RuntimeException e) {
                    LOG.warn("commit listener failed on {}", info.ref(), e);
                }
            });
        }
    }

    /**
     * Completes with commit {@code repo@id} once it is published finished, or with {@code current}'s answer
     * when the timeout passes; {@code current} (which may throw) answers what the commit is now.
     */
    CompletableFuture<CommitInfo> awaitFinished(String repo, String id, Duration timeout, Supplier<CommitInfo> current) {
        return finishWaiters.await(repo + "@" + id, timeout, () -> {
            CommitInfo now = current.get();
            return now.isFinished() ? now : null;
        }, current);
    }

    /** Stops the event thread once the events already queued are delivered; later ones are refused. */
    @Override
    public void close() {
        events.shutdown();
    }
}
