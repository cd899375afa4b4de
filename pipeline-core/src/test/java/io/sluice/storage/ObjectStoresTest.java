package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.SluiceException;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The URI schemes {@link ObjectStores#open} understands and how it resolves local paths. */
class ObjectStoresTest {
    @TempDir
    Path dataDir;

    @Test
    void blankUriIsTheObjectsDirectoryUnderTheDataDir() throws IOException {
        for (String uri : new String[] {null, "", "  "}) {
            try (ObjectStore store = ObjectStores.open(uri, dataDir)) {
                assertThat(store.uri()).isEqualTo("file:" + dataDir.resolve("objects"));
                store.put("chunks/ab/abc", new byte[] {1});
            }
        }
        assertThat(dataDir.resolve("objects/chunks/ab/abc")).isRegularFile();
    }

    @Test
    void fileUrisResolveRelativePathsAgainstTheDataDir() throws IOException {
        assertThat(ObjectStores.open("file:store", dataDir).uri()).isEqualTo("file:" + dataDir.resolve("store"));
        Path elsewhere = dataDir.resolve("abs").toAbsolutePath();
        assertThat(ObjectStores.open("file:" + elsewhere, dataDir).uri()).isEqualTo("file:" + elsewhere);
        assertThat(ObjectStores.open("file://" + elsewhere, dataDir).uri()).isEqualTo("file:" + elsewhere);
    }

    @Test
    void memSchemeIsTheMemoryStore() throws IOException {
        assertThat(ObjectStores.open("mem:", dataDir)).isInstanceOf(MemObjectStore.class);
    }

    @Test
    void unknownSchemesAreRefusedInOneLine() {
        for (String uri : new String[] {"ftp://x", "file:", "s3://", "gs://bucket"}) {
            assertThatThrownBy(() -> ObjectStores.open(uri, dataDir)).as(uri)
                    .isInstanceOfSatisfying(SluiceException.class,
                            e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.INVALID));
        }
    }
}
