package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.SluiceException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An {@code s3://} store against a server each test controls: opened by URI, and with the server going away
 * in the middle of a put, where it retries, then fails in one clear line.
 */
class S3ObjectStoreServerIT {
    private static final long PART = 5L * 1024 * 1024;
    private static final long SIZE = 4 * PART + 1234;

    @TempDir
    Path dir;
    S3ProxyServer server;

    @BeforeEach
    void start() throws Exception {
        server = new S3ProxyServer(dir);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void s3UrisOpenAnS3StoreWithTheGivenEnvironment() throws Exception {
        try (ObjectStore store = ObjectStores.open("s3://factory/pre/fix/", dir, server.env())) {
            assertThat(store).isInstanceOf(S3ObjectStore.class);
            assertThat(store.uri()).isEqualTo("s3://factory/pre/fix");
            store.put("k", new byte[] {7});
            assertThat(store.list("")).containsExactly("k");
        }
    }

    @Test
    void putRidesOutAShortOutage() throws Exception {
        RetryPolicy patient = new RetryPolicy(8, Duration.ofMillis(100), Duration.ofSeconds(10));
        try (S3ObjectStore store = new S3ObjectStore("s3://outage/short", server.env(), patient, PART)) {
            MessageDigest sent = MessageDigest.getInstance("SHA-256");
            long began = System.nanoTime();
            // While the second part is being read the server goes down, and comes back 500 ms later.
            InputStream data = new DigestInputStream(whenRead(new GeneratedInputStream(SIZE, 1), PART, () -> {
                stopServer();
                CompletableFuture.runAsync(this::restartServer, CompletableFuture.delayedExecutor(500, TimeUnit.MILLISECONDS));
            }), sent);
            store.put("chunks/ab/big", data, SIZE);
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isGreaterThan(Duration.ofMillis(500));

            MessageDigest got = MessageDigest.getInstance("SHA-256");
            try (InputStream in = new DigestInputStream(store.get("chunks/ab/big", 0, -1), got)) {
                assertThat(in.transferTo(OutputStream.nullOutputStream())).isEqualTo(SIZE);
            }
            assertThat(got.digest()).isEqualTo(sent.digest());
        }
    }

    @Test
    void putFailsInOneLineWhenTheStoreStaysDownAndLeavesNothing() throws Exception {
        RetryPolicy brief = new RetryPolicy(4, Duration.ofMillis(50), Duration.ofSeconds(5));
        try (S3ObjectStore store = new S3ObjectStore("s3://outage/down", server.env(), brief, PART)) {
            store.put("chunks/00/small", new byte[] {1, 2, 3});
            long began = System.nanoTime();
            InputStream data = whenRead(new GeneratedInputStream(SIZE, 2), PART, this::stopServer);

            assertThatThrownBy(() -> store.put("chunks/ab/big", data, SIZE))
                    .isInstanceOfSatisfying(SluiceException.class, e -> {
                        assertThat(e.kind()).isEqualTo(SluiceException.Kind.UNAVAILABLE);
                        assertThat(e.getMessage()).startsWith("object store s3://outage/down is unavailable: ")
                                .doesNotContain("\n");
                    });
            // Three waits of 50, 100 and 200 ms between the four tries.
            assertThat(Duration.ofNanos(System.nanoTime() - began)).isGreaterThanOrEqualTo(Duration.ofMillis(350));
            assertThatThrownBy(() -> store.exists("chunks/00/small"))
                    .isInstanceOfSatisfying(SluiceException.class,
                            e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.UNAVAILABLE));

            server.restart();
            assertThat(store.exists("chunks/ab/big")).isFalse();
            assertThat(store.list("chunks/")).containsExactly("chunks/00/small");
            assertThat(store.getBytes("chunks/00/small")).containsExactly(1, 2, 3);
        }
    }

    @Test
    void openingAStoreThatIsDownFailsInOneLine() throws Exception {
        server.stop();
        RetryPolicy brief = new RetryPolicy(3, Duration.ofMillis(20), Duration.ofSeconds(2));
        assertThatThrownBy(() -> new S3ObjectStore("s3://outage", server.env(), brief, PART))
                .isInstanceOfSatisfying(SluiceException.class, e -> {
                    assertThat(e.kind()).isEqualTo(SluiceException.Kind.UNAVAILABLE);
                    assertThat(e.getMessage()).startsWith("object store s3://outage is unavailable: ")
                            .doesNotContain("\n");
                });
        server.restart();
    }

    private void stopServer() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void restartServer() {
        try {
            server.restart();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Passes {@code in} through and runs {@code action} once, before reading past byte {@code at}. */
    private static InputStream whenRead(InputStream in, long at, Runnable action) {
        return new FilterInputStream(in) {
            private long count;
            private boolean fired;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (!fired && count >= at) {
                    fired = true;
                    action.run();
                }
                int n = super.read(b, off, len);
                count += Math.max(n, 0);
                return n;
            }
        };
    }
}
