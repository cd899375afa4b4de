package io.sluice.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The daemon on a data dir that fills up: a small tmpfs mounted in a mount namespace of the daemon's own
 * (root only, as for the local runner's isolation; skipped elsewhere), so the disk really is full. A put
 * that runs out of space fails with one line saying so and commits nothing; the commits before it read back
 * intact, fsck is clean, gc gives back what the failed put had stored, and the next put succeeds.
 */
class FullDiskIT {
    private static final String MOUNT = "mount -t tmpfs -o size=%dm sluice-full \"$0\" && exec \"$@\"";

    @Test
    void aPutThatFillsTheDiskFailsClearlyAndCorruptsNothing(@TempDir Path dir) throws Exception {
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        assumeTrue(canMountTmpfs(mnt), "mounting a tmpfs in a private mount namespace is not permitted here");
        Path keep = random(dir.resolve("keep.bin"), 4 << 20, 1);
        Path big = random(dir.resolve("big.bin"), 96 << 20, 2);
        List<String> wrapper = List.of("unshare", "--mount", "--propagation", "private", "sh", "-c",
                MOUNT.formatted(48), mnt.toString());
        try (DaemonProcess daemon = DaemonProcess.start(wrapper, mnt.resolve("data"), dir.resolve("daemon.log"))) {
            assertThat(cli(daemon, "create", "repo", "keep").code()).isZero();
            assertThat(cli(daemon, "put", "file", "keep@master:/keep.bin", "-f", keep.toString()).code()).isZero();

            TestDaemon.Run full = cli(daemon, "put", "file", "keep@master:/big.bin", "-f", big.toString());
            assertThat(full.code()).as(full.err()).isEqualTo(1);
            assertThat(full.err().strip().lines()).as(full.err()).hasSize(1);
            assertThat(full.err()).containsIgnoringCase("no space left").doesNotContain("Exception");

            assertThat(cli(daemon, "list", "commit", "keep@master", "-o", "json").out())
                    .as("only the first commit").containsOnlyOnce("\"id\"");
            Path back = dir.resolve("back.bin");
            assertThat(cli(daemon, "get", "file", "keep@master:/keep.bin", "-o", back.toString()).code()).isZero();
            assertThat(Files.mismatch(back, keep)).isEqualTo(-1);
            assertThat(cli(daemon, "list", "file", "keep@master:/").out()).doesNotContain("big.bin");
            TestDaemon.Run fsck = cli(daemon, "fsck");
            assertThat(fsck.code()).as(fsck.out() + fsck.err()).isZero();

            TestDaemon.Run gc = cli(daemon, "gc");
            assertThat(gc.code()).as(gc.err()).isZero();
            Path small = random(dir.resolve("small.bin"), 1 << 20, 3);
            TestDaemon.Run after = cli(daemon, "put", "file", "keep@master:/small.bin", "-f", small.toString());
            assertThat(after.code()).as(after.err()).isZero();
            assertThat(cli(daemon, "list", "commit", "keep@master", "-o", "json").out().split("\"id\"", -1))
                    .hasSize(3);
            assertThat(cli(daemon, "fsck").code()).isZero();
        }
    }

    private static TestDaemon.Run cli(DaemonProcess daemon, String... args) {
        return TestDaemon.cli(Map.of("SLUICE_ADDRESS", daemon.address, "SLUICE_AUTH_TOKEN", daemon.token), new byte[0], args);
    }

    private static boolean canMountTmpfs(Path mnt) throws IOException, InterruptedException {
        try {
            Process p = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c",
                    MOUNT.formatted(1), mnt.toString(), "true").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException noUnshare) {
            return false;
        }
    }

    private static Path random(Path file, int size, long seed) throws IOException {
        Random r = new Random(seed);
        byte[] block = new byte[1 << 16];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int left = size; left > 0; left -= block.length) {
                r.nextBytes(block);
                out.write(block, 0, Math.min(left, block.length));
            }
        }
        return file;
    }
}
