package io.sluice.storage;

import org.junit.jupiter.api.extension.RegisterExtension;

/** The store contract on an {@code s3://} store against a real S3 server (S3Proxy) in process. */
class S3ObjectStoreIT extends ObjectStoreContract {
    @RegisterExtension
    static final S3ProxyServer.PerClass S3 = new S3ProxyServer.PerClass();

    @Override
    protected ObjectStore newStore() throws Exception {
        return S3.newStore();
    }
}
