package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.sluice.SluiceException;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the local store fails: one UNAVAILABLE line naming the store, and never a temp file left behind. */
class FileObjectStoreFailureTest {
    @TempDir
    Path dir;

    @Test
    void directoryThatCannotBeCreatedIsUnavailable() throws IOException {
        FileObjectStore store = new FileObjectStore(dir);
        Files.write(dir.resolve("chunks"), new byte[] {0}); // a file where the fan-out directory should go
        assertThatThrownBy(() -> store.put("chunks/ab/abc", new byte[] {1, 2}))
                .isInstanceOfSatisfying(SluiceException.class, e -> {
                    assertThat(e.kind()).isEqualTo(SluiceException.Kind.UNAVAILABLE);
                    assertThat(e.getMessage()).startsWith("object store file:" + dir + " is unavailable: ");
                });
        assertThat(files()).containsExactly(dir.resolve("chunks"));
    }

    @Test
    void readOnlyDirectoryIsUnavailable() throws IOException {
        assumeFalse("root".equals(System.getProperty("user.name")), "root may write to a read-only directory");
        FileObjectStore store = new FileObjectStore(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assertThatThrownBy(() -> store.put("key", new byte[] {1}))
                    .isInstanceOfSatisfying(SluiceException.class,
                            e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.UNAVAILABLE));
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
        assertThat(files()).isEmpty();
    }

    @Test
    void failingInputIsTheCallersErrorAndLeavesNoTempFile() throws IOException {
        FileObjectStore store = new FileObjectStore(dir);
        IOException broken = new IOException("client went away");
        InputStream data = new SequenceInputStream(new GeneratedInputStream(100_000, 3), new InputStream() {
            @Override
            public int read() throws IOException {
                throw broken;
            }
        });
        assertThatThrownBy(() -> store.put("chunks/cd/cdef", data, 200_000)).isSameAs(broken);
        assertThat(files()).isEmpty();
        assertThat(store.exists("chunks/cd/cdef")).isFalse();
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).toList();
        }
    }
}
