package io.sluice.storage;

/** The store contract on the in-memory store. */
class MemObjectStoreTest extends ObjectStoreContract {
    @Override
    protected ObjectStore newStore() {
        return new MemObjectStore();
    }
}
