package io.sluice.storage;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * A real S3 server (S3Proxy, AWS v4 signatures) running in this JVM on a free loopback port, keeping
 * its objects under a directory; tests point an {@code s3://} store at it through {@link #env()}, and can
 * {@link #stop()} and {@link #restart()} it on the same port to play an outage.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String ACCESS_KEY = "sluice-access";
    public static final String SECRET_KEY = "sluice-secret-key";

    private final BlobStore blobStore;
    private S3Proxy proxy;
    private int port;

    /** Starts a server keeping its buckets under {@code dir}, which must exist. */
    public S3ProxyServer(Path dir) throws Exception {
        blobStore = new FilesystemNio2BlobStore(dir.toAbsolutePath().toString());
        start(0);
    }

    private void start(int wantedPort) throws Exception {
        proxy = S3Proxy.builder()
                .blobStore(blobStore)
                .endpoint(URI.create("http://127.0.0.1:" + wantedPort))
                .awsAuthentication(AuthenticationType.AWS_V4, ACCESS_KEY, SECRET_KEY)
                // Tests stop the server mid-request on purpose; do not wait for open connections to drain.
                .stopTimeout(0)
                .build();
        proxy.start();
        while (!"STARTED".equals(proxy.getState())) {
            Thread.sleep(10);
        }
        port = proxy.getPort();
    }

    /** The server's base URL, such as {@code http://127.0.0.1:41234}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The environment an {@code s3://} store needs to reach this server. */
    public Map<String, String> env() {
        return Map.of(
                "AWS_ENDPOINT_URL_S3", endpoint(),
                "AWS_ACCESS_KEY_ID", ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY", SECRET_KEY,
                "AWS_REGION", "us-east-1");
    }

    /** Stops serving; connections are refused until {@link #restart()}. Stored objects are kept. */
    public void stop() throws Exception {
        proxy.stop();
    }

    /** Serves the same objects again on the same port. */
    public void restart() throws Exception {
        start(port);
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        blobStore.close();
    }

    /**
     * One server for a whole test class, kept under a temp directory: register it as a static
     * {@code @RegisterExtension} field; {@link #newStore()} gives each test a store of its own prefix.
     */
    public static final class PerClass implements org.junit.jupiter.api.extension.BeforeAllCallback,
            org.junit.jupiter.api.extension.AfterAllCallback {
        private Path dir;
        private S3ProxyServer server;

        @Override
        public void beforeAll(org.junit.jupiter.api.extension.ExtensionContext context) throws Exception {
            dir = java.nio.file.Files.createTempDirectory("s3proxy");
            server = new S3ProxyServer(dir);
        }

        @Override
        public void afterAll(org.junit.jupiter.api.extension.ExtensionContext context) throws Exception {
            server.close();
            try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.delete(f);
                }
            }
        }

        /** An empty {@code s3://} store on this server (a fresh prefix in its one bucket keeps tests apart). */
        public ObjectStore newStore() throws java.io.IOException {
            return S3ObjectStore.open("s3://sluice-test/" + java.util.UUID.randomUUID(), server.env());
        }
    }

    /**
     * Serves a directory as S3 on a free loopback port until killed, printing the environment that reaches
     * it; for measuring {@code sluice bench ingest --store s3://...} by hand (see the README).
     */
    public static void main(String[] args) throws Exception {
        Path dir = java.nio.file.Files.createDirectories(Path.of(args.length > 0 ? args[0] : "s3proxy-data"));
        S3ProxyServer server = new S3ProxyServer(dir);
        server.env().forEach((k, v) -> System.out.println("export " + k + "=" + v));
        System.out.flush();
        Thread.currentThread().join();
    }
}
