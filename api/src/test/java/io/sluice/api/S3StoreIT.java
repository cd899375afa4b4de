package io.sluice.api;

import io.sluice.storage.S3ProxyServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The daemon keeping its chunks in a real S3 server (S3Proxy in process, AWS signatures): files round
 * trip, fsck and gc work, an outage mid-put is retried, and a store that stays down fails the put with
 * one line and leaves no commit behind.
 */
class S3StoreIT {

    @Test
    void theDaemonRunsOnS3AndSurvivesAnOutage(@TempDir Path dir) throws Exception {
        try (S3ProxyServer s3 = new S3ProxyServer(Files.createDirectories(dir.resolve("s3")));
             TestDaemon daemon = new TestDaemon(dir.resolve("data"), "s3://sluice/chunks", null, s3.env())) {
            assertThat(daemon.cli("create", "repo", "models").code()).isZero();
            Path blob = dir.resolve("blob.bin");
            byte[] bytes = new byte[12 << 20];
            new Random(1).nextBytes(bytes);
            Files.write(blob, bytes);
            assertThat(daemon.cli("put", "file", "models@master:/blob.bin", "-f", blob.toString()).err()).isEmpty();
            Path back = dir.resolve("back.bin");
            assertThat(daemon.cli("get", "file", "models@master:/blob.bin", "-o", back.toString()).code()).isZero();
            assertThat(Files.readAllBytes(back)).isEqualTo(bytes);
            assertThat(daemon.daemon.store().list("chunks/")).isNotEmpty();

            // A short outage during a put: the store retries and the put lands whole.
            bytes[0] ^= 1;
            Files.write(blob, bytes);
            s3.stop();
            Thread restarter = new Thread(() -> {
                try {
                    Thread.sleep(700);
                    s3.restart();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            restarter.start();
            TestDaemon.Run retried = daemon.cli("put", "file", "models@master:/blob2.bin", "-f", blob.toString());
            restarter.join();
            assertThat(retried.code()).as(retried.err()).isZero();
            assertThat(daemon.cli("get", "file", "models@master:/blob2.bin", "-o", back.toString()).code()).isZero();
            assertThat(Files.readAllBytes(back)).isEqualTo(bytes);

            // The store stays down: one clear line naming it, and no commit appears.
            String before = daemon.cli("list", "commit", "models", "-o", "json").out();
            s3.stop();
            bytes[1] ^= 1;
            Files.write(blob, bytes);
            TestDaemon.Run down = daemon.cli("put", "file", "models@master:/blob3.bin", "-f", blob.toString());
            assertThat(down.code()).isEqualTo(1);
            assertThat(down.err()).contains("s3://sluice/chunks").contains("unavailable");
            assertThat(down.err().strip().lines().count()).isEqualTo(1);
            s3.restart();
            assertThat(daemon.cli("list", "commit", "models", "-o", "json").out()).isEqualTo(before);
            TestDaemon.Run fsck = daemon.cli("fsck");
            assertThat(fsck.code()).as(fsck.out() + fsck.err()).isZero();
        }
    }
}
