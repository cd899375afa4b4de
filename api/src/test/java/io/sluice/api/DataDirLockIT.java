package io.sluice.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Two real daemon processes on one data dir: the second is refused with one line naming the first's pid. */
class DataDirLockIT {

    @Test
    void aSecondDaemonOnTheSameDataDirIsRefusedUntilTheFirstDies(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data");
        Path log = dir.resolve("daemon.log");
        try (DaemonProcess first = DaemonProcess.start(data, log)) {
            ProcessBuilder pb = new ProcessBuilder(DaemonProcess.upCommand(DaemonProcess.freePort(), data))
                    .redirectErrorStream(true);
            pb.environment().put("SLUICE_AUTH_TOKEN", "a-token-of-its-own"); // nothing but the lock to report
            Process second = pb.start();
            assertThat(second.waitFor(120, TimeUnit.SECONDS)).as("the second daemon exits").isTrue();
            String output = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(second.exitValue()).isEqualTo(1);
            assertThat(output.lines()).as(output).hasSize(1);
            assertThat(output).contains("in use by another sluice daemon (pid " + first.pid() + ")")
                    .doesNotContain("Exception");
            first.kill();
            // the lock dies with its holder, even by SIGKILL: the next daemon starts on the same dir
            try (DaemonProcess next = DaemonProcess.start(data, log)) {
                assertThat(next.pid()).isNotEqualTo(first.pid());
            }
        }
    }
}
