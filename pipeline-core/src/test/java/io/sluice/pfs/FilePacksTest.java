package io.sluice.pfs;

import io.sluice.storage.FileObjectStore;
import io.sluice.storage.ObjectStore;

/** Packs on the local directory store. */
class FilePacksTest extends PackContract {
    @Override
    protected ObjectStore newStore() {
        return new FileObjectStore(dir.resolve("objects"));
    }
}
