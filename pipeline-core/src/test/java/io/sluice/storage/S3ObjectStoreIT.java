package io.sluice.storage;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on an {@code s3://} store against a real S3 server (S3Proxy) in process. */
class S3ObjectStoreIT extends ObjectStoreContract {
    @TempDir
    static Path dir;
    static S3ProxyServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = new S3ProxyServer(dir);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @Override
    protected ObjectStore newStore() throws Exception {
        // A prefix per test keeps tests apart in the one shared bucket.
        return S3ObjectStore.open("s3://sluice-test/" + java.util.UUID.randomUUID(), server.env());
    }
}
