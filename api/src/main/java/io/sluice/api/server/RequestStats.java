package io.sluice.api.server;

import io.javalin.http.Handler;

import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Per-endpoint call counts for the current calendar minute and latency percentiles over the most recent
 * calls, kept lock-free so that counting costs the hot {@code /result} path almost nothing.
 */
public final class RequestStats {
    private static final int WINDOW = 4096;

    private final Clock clock;
    private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();

    public RequestStats(Clock clock) {
        this.clock = clock;
    }

    /** Wraps {@code handler} so that each call is counted and timed under {@code name}. */
    public Handler timed(String name, Handler handler) {
        Endpoint endpoint = endpoints.computeIfAbsent(name, n -> new Endpoint());
        return ctx -> {
            long start = System.nanoTime();
            endpoint.count(currentMinute());
            try {
                handler.handle(ctx);
            } finally {
                endpoint.latencies.record(System.nanoTime() - start);
            }
        };
    }

    /** Calls of {@code name} in the current minute, or -1 when no such endpoint exists. */
    public long callsThisMinute(String name) {
        Endpoint endpoint = endpoints.get(name);
        return endpoint == null ? -1 : endpoint.callsIn(currentMinute());
    }

    /** Every endpoint's calls this minute, total calls, and latency percentiles in milliseconds. */
    public Map<String, Object> summary() {
        long minute = currentMinute();
        Map<String, Object> out = new TreeMap<>();
        endpoints.forEach((name, e) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("number of calls in current minute", e.callsIn(minute));
            row.put("total calls", e.total.get());
            double[] ms = e.latencies.percentilesMillis(50, 95, 99);
            row.put("p50 ms", ms[0]);
            row.put("p95 ms", ms[1]);
            row.put("p99 ms", ms[2]);
            out.put(name, row);
        });
        return out;
    }

    private long currentMinute() {
        return clock.millis() / 60_000;
    }

    private static final class Endpoint {
        // minute and count packed in one pair of atomics: the count resets when the minute rolls over.
        private final AtomicLong minute = new AtomicLong(-1);
        private final AtomicLong inMinute = new AtomicLong();
        private final AtomicLong total = new AtomicLong();
        private final LatencyWindow latencies = new LatencyWindow();

        void count(long now) {
            total.incrementAndGet();
            long seen = minute.get();
            if (seen != now && minute.compareAndSet(seen, now)) {
                inMinute.set(0);
            }
            inMinute.incrementAndGet();
        }

        long callsIn(long now) {
            return minute.get() == now ? inMinute.get() : 0;
        }
    }

    /** The latencies of the last {@value #WINDOW} calls in a ring; percentiles are computed on read. */
    private static final class LatencyWindow {
        private final AtomicLongArray ring = new AtomicLongArray(WINDOW);
        private final AtomicLong next = new AtomicLong();

        void record(long nanos) {
            ring.set((int) (next.getAndIncrement() % WINDOW), nanos);
        }

        double[] percentilesMillis(int... percentiles) {
            int n = (int) Math.min(next.get(), WINDOW);
            long[] copy = new long[n];
            for (int i = 0; i < n; i++) {
                copy[i] = ring.get(i);
            }
            Arrays.sort(copy);
            double[] out = new double[percentiles.length];
            for (int i = 0; i < percentiles.length; i++) {
                out[i] = n == 0 ? 0 : copy[Math.min(n - 1, (int) Math.ceil(percentiles[i] / 100.0 * n) - 1)] / 1e6;
            }
            return out;
        }
    }
}
