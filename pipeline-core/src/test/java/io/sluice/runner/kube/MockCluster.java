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
            destroyServer(context);
        }
    }

    /**
     * Stops the server. Its close waits a fixed 10 s for the server's event loop, and on a loaded machine that
     * once still ran out with no client left (aJobThatCannotRunFailsEveryDatum, 2 of about 10 full runs). The
     * test's checks had all passed by then, so a close that times out is reported on stderr, with the event
     * loop threads' stacks for whoever looks into it, instead of failing a test about Sluice's runner.
     */
    private void destroyServer(ExtensionContext context) {
        try {
            server.destroy();
        } catch (IllegalStateException e) {
            if (!(e.getCause() instanceof java.util.concurrent.TimeoutException)) {
                throw e;
            }
            StringBuilder dump = new StringBuilder("mock API server's close timed out after " + context.getDisplayName()
                    + "; its threads:\n");
            Thread.getAllStackTraces().forEach((thread, stack) -> {
                if (thread.getName().startsWith("vert.x")) {
                    dump.append(thread.getName()).append(' ').append(thread.getState()).append('\n');
                    for (StackTraceElement frame : stack) {
                        dump.append("    at ").append(frame).append('\n');
                    }
                }
            });
            System.err.print(dump);
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
