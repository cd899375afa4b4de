package io.sluice.pfs;

import io.sluice.storage.MemObjectStore;
import io.sluice.storage.ObjectStore;

/** Packs on the in-memory store. */
class MemPacksTest extends PackContract {
    @Override
    protected ObjectStore newStore() {
        return new MemObjectStore();
    }
}
