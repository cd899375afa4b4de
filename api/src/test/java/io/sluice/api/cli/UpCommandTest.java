package io.sluice.api.cli;

import io.sluice.api.Main;
import io.sluice.api.server.AuthToken;
import io.sluice.storage.DataDirLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code sluice up} refused by the data-dir lock leaves the holder's files alone, its token file first. */
class UpCommandTest {

    private record Outcome(int code, String err) {
    }

    private static Outcome up(Path data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Main main = new Main(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                new ByteArrayInputStream(new byte[0]), Map.of("SLUICE_HOME", Path.of("").toAbsolutePath().getParent().toString()));
        int code = main.run("up", "--no-demo", "--port", "0", "--data-dir", data.toString());
        return new Outcome(code, err.toString(StandardCharsets.UTF_8).strip());
    }

    @Test
    void aRefusedDaemonCreatesNoTokenFile(@TempDir Path data) throws Exception {
        try (DataDirLock held = DataDirLock.acquire(data)) {
            Outcome refused = up(data);
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.err()).contains("in use by another sluice daemon").doesNotContain("Exception");
            assertThat(data.resolve(AuthToken.FILE_NAME)).as("the holder's token file, not the refused one's").doesNotExist();
        }
    }

    @Test
    void aRefusedDaemonLeavesTheHoldersTokenFileAsItIs(@TempDir Path data) throws Exception {
        Path token = data.resolve(AuthToken.FILE_NAME);
        Files.writeString(token, "the-holders-token\n");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r-----"));
        try (DataDirLock held = DataDirLock.acquire(data)) {
            assertThat(up(data).code()).isEqualTo(1);
            // re-moding (or rewriting) it is the holder's business, done at its own start
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(token))).isEqualTo("rw-r-----");
            assertThat(Files.readString(token)).isEqualTo("the-holders-token\n");
        }
    }
}
