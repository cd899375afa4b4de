package io.sluice;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Futures waiting for something to happen to a key (a commit to finish, a job to end), completed by whoever
 * makes it happen: a waiter holds no thread, only a future, and there are at most {@code max} of them, so a
 * crowd of long polls can neither starve the server's threads nor its memory. Thread-safe.
 */
public final class Waiters<K, V> {
    private final Map<K, List<CompletableFuture<V>>> byKey = new HashMap<>();
    private final int max;
    private int count;

    public Waiters(int max) {
        this.max = max;
    }

    /**
     * A future of what happens to {@code key}, or of {@code now} when {@code timeout} passes first. The
     * caller registers first and then checks whether it already happened ({@code now} answers; null: not yet),
     * so that nothing happening in between is missed. UNAVAILABLE when {@code max} waiters are waiting.
     */
    public CompletableFuture<V> await(K key, Duration timeout, Supplier<V> now, Supplier<V> current) {
        CompletableFuture<V> f = new CompletableFuture<>();
        synchronized (this) {
            if (count >= max) {
                throw SluiceException.unavailable(max + " requests are waiting already; try again later", null);
            }
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
            count++;
        }
        f.whenComplete((v, e) -> forget(key, f));
        try {
            V done = now.get();
            if (done != null) {
                f.complete(done);
            }
        } catch (RuntimeException e) {
            f.completeExceptionally(e);
        }
        return f.completeOnTimeout(null, timeout.toMillis(), TimeUnit.MILLISECONDS)
                .thenApply(v -> v != null ? v : current.get());
    }

    /** Completes every future waiting on {@code key} with {@code value}. */
    public void complete(K key, V value) {
        List<CompletableFuture<V>> waiting;
        synchronized (this) {
            waiting = byKey.remove(key);
            if (waiting == null) {
                return;
            }
            count -= waiting.size();
        }
        waiting.forEach(f -> f.complete(value));
    }

    /** The keys something is waiting on now. */
    public synchronized List<K> keys() {
        return List.copyOf(byKey.keySet());
    }

    private synchronized void forget(K key, CompletableFuture<V> f) {
        List<CompletableFuture<V>> waiting = byKey.get(key);
        if (waiting != null && waiting.remove(f)) {
            count--;
            if (waiting.isEmpty()) {
                byKey.remove(key);
            }
        }
    }

    /** Waits for {@code f} on this thread, rethrowing the failure it completed with as it was thrown. */
    public static <V> V join(CompletableFuture<V> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }
}
