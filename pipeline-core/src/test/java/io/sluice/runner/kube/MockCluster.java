package io.sluice.runner.kube;

import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * fabric8's mock Kubernetes API server in CRUD mode, one per test, registered with {@code @RegisterExtension}.
 * <p>
 * The mock's watches can deadlock its Vert.x event loop: when a client closes a watch, the mock's
 * {@code WatchEventsListener.onClosed} runs on the connection's event loop and waits (up to a minute) for the
 * watch's sender thread to finish, while that thread may be sending an event and waiting (up to 30 s) for the
 * write to complete, which only the blocked event loop can do. When the runner closed a Job's watches before
 * deleting the Job, the deletion's events met the closing watch; on a loaded machine the event loop then stayed
 * blocked for 30 s and the server's close gave up after its fixed 10 s ("Unable to close MockWebServer"). The
 * runner now deletes first, but an event sent just before a close still meets it, so this cluster hands every
 * WebSocket's close and failure to a thread of its own and the event loop is never the one that waits. The
 * client is closed before the server.
 */
public final class MockCluster implements BeforeEachCallback, AfterEachCallback {
    private KubernetesMockServer server;
    private NamespacedKubernetesClient client;
    private ExecutorService closes;

    @Override
    public void beforeEach(ExtensionContext context) {
        closes = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "mock-watch-close");
            t.setDaemon(true);
            return t;
        });
        // the server records expectations in the map the dispatcher answers from
        var responses = new HashMap<ServerRequest, Queue<ServerResponse>>();
        server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), responses,
                new ClosesOffTheEventLoop(new KubernetesMixedDispatcher(responses), closes), false);
        server.init();
        client = server.createClient();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            client.close();
            server.destroy();
        } finally {
            closes.shutdownNow();
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

    /** The mock's dispatcher, with each WebSocket's listener wrapped in {@link OffLoopClose}. */
    private static final class ClosesOffTheEventLoop extends Dispatcher {
        private final Dispatcher dispatcher;
        private final ExecutorService closes;

        ClosesOffTheEventLoop(Dispatcher dispatcher, ExecutorService closes) {
            this.dispatcher = dispatcher;
            this.closes = closes;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            MockResponse response = dispatcher.dispatch(request);
            WebSocketListener listener = response.getWebSocketListener();
            if (listener != null && !(listener instanceof OffLoopClose)) {
                response.withWebSocketUpgrade(new OffLoopClose(listener, closes));
            }
            return response;
        }

        @Override
        public void shutdown() {
            dispatcher.shutdown();
        }

        @Override
        public void releaseResources() {
            dispatcher.releaseResources();
        }
    }

    /**
     * A WebSocket listener whose {@code onClosed} and {@code onFailure}, the calls that wait for the watch's
     * sender, run on {@code closes} instead of the event loop that delivers them; {@code onClosing}, which only
     * queues the close behind pending events, stays where it is, so it still comes first.
     */
    private static final class OffLoopClose extends WebSocketListener {
        private final WebSocketListener listener;
        private final ExecutorService closes;

        OffLoopClose(WebSocketListener listener, ExecutorService closes) {
            this.listener = listener;
            this.closes = closes;
        }

        @Override
        public void onBeforeAccept(WebSocket webSocket, Response response) {
            listener.onBeforeAccept(webSocket, response);
        }

        @Override
        public void onOpen(WebSocket webSocket, Response response) {
            listener.onOpen(webSocket, response);
        }

        @Override
        public void onMessage(WebSocket webSocket, String text) {
            listener.onMessage(webSocket, text);
        }

        @Override
        public void onMessage(WebSocket webSocket, ByteString bytes) {
            listener.onMessage(webSocket, bytes);
        }

        @Override
        public void onMessage(WebSocket webSocket, byte[] bytes) {
            listener.onMessage(webSocket, bytes);
        }

        @Override
        public void onPing(WebSocket webSocket, byte[] bytes) {
            listener.onPing(webSocket, bytes);
        }

        @Override
        public void onClosing(WebSocket webSocket, int code, String reason) {
            listener.onClosing(webSocket, code, reason);
        }

        @Override
        public void onClosed(WebSocket webSocket, int code, String reason) {
            closes.execute(() -> listener.onClosed(webSocket, code, reason));
        }

        @Override
        public void onFailure(WebSocket webSocket, Throwable t, Response response) {
            closes.execute(() -> listener.onFailure(webSocket, t, response));
        }
    }
}
