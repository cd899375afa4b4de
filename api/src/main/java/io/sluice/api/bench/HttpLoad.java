package io.sluice.api.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small closed-loop HTTP/1.1 load generator: each connection sends the same request over keep-alive
 * as fast as answers come back, so the client costs far less CPU than the server it measures.
 */
public final class HttpLoad {

    /** What a run measured: completed requests, non-200 answers or I/O errors, and latency percentiles. */
    public record Result(long requests, long errors, double seconds, double requestsPerSecond,
                         double p50Millis, double p99Millis) {
    }

    private HttpLoad() {
    }

    /** Posts {@code body} to {@code path} on host:port from {@code connections} connections for {@code seconds}. */
    public static Result post(String host, int port, String path, String body, int connections, double seconds)
            throws InterruptedException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        byte[] request = ("POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
                + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.UTF_8);
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        List<long[]> latencies = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            long[] samples = new long[1 << 16];
            latencies.add(samples);
            Thread t = new Thread(() -> run(host, port, request, end, ok, errors, samples), "load-" + c);
            threads.add(t);
        }
        long start = System.nanoTime();
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long[] all = latencies.stream().flatMapToLong(Arrays::stream).filter(v -> v > 0).sorted().toArray();
        return new Result(ok.get(), errors.get(), elapsed, ok.get() / elapsed,
                percentile(all, 50) / 1e6, percentile(all, 99) / 1e6);
    }

    private static void run(String host, int port, byte[] request, long end, AtomicLong ok, AtomicLong errors,
                            long[] samples) {
        int n = 0;
        while (System.nanoTime() < end) {
            try (Socket socket = new Socket(host, port)) {
                socket.setTcpNoDelay(true);
                OutputStream out = socket.getOutputStream();
                InputStream in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    out.write(request);
                    out.flush();
                    int status = readResponse(in);
                    samples[n++ & (samples.length - 1)] = System.nanoTime() - t0;
                    if (status == 200) {
                        ok.incrementAndGet();
                    } else {
                        errors.incrementAndGet();
                    }
                }
            } catch (IOException e) {
                errors.incrementAndGet();
            }
        }
    }

    /** Reads one response (status line, headers, Content-Length body) and returns its status. */
    private static int readResponse(InputStream in) throws IOException {
        String status = line(in);
        long length = 0;
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            int colon = header.indexOf(':');
            if (colon > 0 && header.substring(0, colon).equalsIgnoreCase("Content-Length")) {
                length = Long.parseLong(header.substring(colon + 1).trim());
            }
        }
        for (long skipped = 0; skipped < length; ) {
            long s = in.skip(length - skipped);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw new IOException("connection closed mid-body");
                }
                s = 1;
            }
            skipped += s;
        }
        String[] parts = status.split(" ");
        if (parts.length < 2) {
            throw new IOException("bad status line: " + status);
        }
        return Integer.parseInt(parts[1]);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("connection closed");
            }
            if (b != '\r') {
                sb.append((char) b);
            }
        }
        return sb.toString();
    }

    static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
