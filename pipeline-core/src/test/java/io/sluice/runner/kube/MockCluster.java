package io.sluice.runner.kube;

import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.HashMap;

/**
 * fabric8's mock Kubernetes API server in CRUD mode, one per test, registered with {@code @RegisterExtension}.
 * fabric8's own extension stops the server while its client still holds connections and watches open; on a
 * loaded machine the server's close then once gave up after its fixed 10 s ("Unable to close MockWebServer")
 * and failed a test whose checks had passed. This one closes the client first, so no connection is left for
 * the server's close to wait on.
 */
public final class MockCluster implements BeforeEachCallback, AfterEachCallback {
    private KubernetesMockServer server;
    private NamespacedKubernetesClient client;

    @Override
    public void beforeEach(ExtensionContext context) {
        // the server records expectations in the map the dispatcher answers from
        var responses = new HashMap<io.fabric8.mockwebserver.ServerRequest, java.util.Queue<io.fabric8.mockwebserver.ServerResponse>>();
        server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), responses,
                new KubernetesMixedDispatcher(responses), false);
        server.init();
        client = server.createClient();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            client.close();
        } finally {
            server.destroy();
        }
    }

    /** The API server, for expectations beyond CRUD (such as a pod's log). */
    public KubernetesMockServer server() {
        return server;
    }

    /** A client of the API server, closed after the test. */
    public NamespacedKubernetesClient client() {
        return client;
    }
}
