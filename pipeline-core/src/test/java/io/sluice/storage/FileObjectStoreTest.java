package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.commons.io.file.PathUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on the local directory store, and what it does about its directories. */
class FileObjectStoreTest extends ObjectStoreContract {
    @TempDir
    Path dir;

    @Override
    protected ObjectStore newStore() {
        return new FileObjectStore(dir.resolve("objects"));
    }

    @Test
    void directoryRemovedBehindItsBackIsMadeAgain() throws IOException {
        FileObjectStore store = new FileObjectStore(dir.resolve("objects"));
        store.put("chunks/ab/one", new byte[] {1});
        // the store remembers it made chunks/ab; someone deletes the whole fan-out by hand
        PathUtils.deleteDirectory(dir.resolve("objects/chunks"));
        store.put("chunks/ab/two", new byte[] {2});
        store.putUnsynced("chunks/ab/three", new java.io.ByteArrayInputStream(new byte[] {3}), 1);
        store.sync();
        assertThat(store.getBytes("chunks/ab/two")).containsExactly(2);
        assertThat(store.getBytes("chunks/ab/three")).containsExactly(3);
        assertThat(store.exists("chunks/ab/one")).isFalse();
        assertThat(Files.isDirectory(dir.resolve("objects/chunks/ab"))).isTrue();
    }
}
