package io.sluice.pfs;

import io.sluice.storage.ObjectStore;
import io.sluice.storage.S3ProxyServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Packs on an {@code s3://} store against a real S3 server (S3Proxy) in process: ranged gets of pack objects. */
class S3PacksIT extends PackContract {
    @RegisterExtension
    static final S3ProxyServer.PerClass S3 = new S3ProxyServer.PerClass();

    @Override
    protected ObjectStore newStore() throws Exception {
        return S3.newStore();
    }

    /** Each ranged read is two requests here (a stat, then the range). */
    @Override
    protected int readStride() {
        return 7;
    }
}
