package io.sluice.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Slow uploads over real sockets (issue 12, item 7): clients that trickle a byte every two seconds hold no
 * shared chunk writer, so other puts go through meanwhile, and a body that stops arriving is cut off with a
 * 408 that lands nothing.
 */
class SlowUploadIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** More slow clients than the old fixed pool had chunk writers (4). */
    private static final int SLOW = 8;

    @Test
    void slowClientsDoNotStopOtherWritesAndStalledBodiesAreCutOff(@TempDir Path dir) throws Exception {
        try (TestDaemon daemon = new TestDaemon(dir)) {
            HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address + "/api/v1/repos"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"up\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).isEqualTo(201);
            int port = URI.create(daemon.address).getPort();
            AtomicBoolean trickling = new AtomicBoolean(true);
            List<Socket> slow = new ArrayList<>();
            List<Thread> tricklers = new ArrayList<>();
            try (Socket stalled = open(port, "/stalled", 1000)) {
                stalled.getOutputStream().write("abc".getBytes(StandardCharsets.US_ASCII));
                stalled.getOutputStream().flush();
                CompletableFuture<String> stalledAnswer = CompletableFuture.supplyAsync(() -> readAll(stalled));
                for (int i = 0; i < SLOW; i++) {
                    Socket s = open(port, "/slow-" + i, 1000);
                    slow.add(s);
                    Thread t = new Thread(() -> {
                        try {
                            OutputStream out = s.getOutputStream();
                            while (trickling.get()) {
                                out.write('x');
                                out.flush();
                                Thread.sleep(2000);
                            }
                        } catch (IOException | InterruptedException e) {
                            // the test is over or the daemon closed the connection
                        }
                    });
                    t.setDaemon(true);
                    t.start();
                    tricklers.add(t);
                }
                Thread.sleep(3000); // let every slow request reach the chunker
                for (int i = 0; i < 3; i++) {
                    HttpResponse<String> put = HTTP.sendAsync(HttpRequest.newBuilder(URI.create(daemon.address
                                    + "/api/v1/repos/up/files?branch=master&path=/fast-" + i))
                            .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[64 << 10])).build(),
                            HttpResponse.BodyHandlers.ofString()).get(40, TimeUnit.SECONDS);
                    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                }
                for (Socket s : slow) {
                    assertThat(s.isClosed()).isFalse();
                }
                for (Thread t : tricklers) {
                    assertThat(t.isAlive()).as("slow clients were still sending while the fast puts landed").isTrue();
                }
                String answer = stalledAnswer.get(120, TimeUnit.SECONDS);
                assertThat(answer).startsWith("HTTP/1.1 408").contains("\"error\"").contains("stalled")
                        .doesNotContain("Exception");
            } finally {
                trickling.set(false);
                for (Socket s : slow) {
                    s.close();
                }
            }
            HttpResponse<String> missing = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address
                    + "/api/v1/repos/up/files/inspect?ref=master&path=/stalled")).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(missing.statusCode()).as("a cut-off body lands nothing: " + missing.body()).isEqualTo(404);
        }
    }

    private static Socket open(int port, String path, int length) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout((int) Duration.ofSeconds(120).toMillis());
        String head = "PUT /api/v1/repos/up/files?branch=master&path=" + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Length: " + length + "\r\n\r\n";
        s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return s;
    }

    private static String readAll(Socket s) {
        try (InputStream in = s.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "read failed: " + e;
        }
    }
}
