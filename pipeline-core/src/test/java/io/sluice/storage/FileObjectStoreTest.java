package io.sluice.storage;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on the local directory store. */
class FileObjectStoreTest extends ObjectStoreContract {
    @TempDir
    Path dir;

    @Override
    protected ObjectStore newStore() {
        return new FileObjectStore(dir.resolve("objects"));
    }
}
