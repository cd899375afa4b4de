package io.sluice.api.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The system's headless Chromium, driven through its {@code chromedriver} over the W3C WebDriver protocol (plain
 * HTTP and JSON), with the flags the console's tests use: enough to load pages, run scripts in them and clear the
 * browser's cache, and nothing of a test framework in the daemon's jar.
 */
final class Chromium implements AutoCloseable {
    private static final ObjectMapper JSON = Json.mapper();
    private static final Pattern PORT = Pattern.compile("on port (\\d+)");

    private final HttpClient http = HttpClient.newHttpClient();
    private final Process driver;
    private final String session;

    private Chromium(Process driver, String session) {
        this.driver = driver;
        this.session = session;
    }

    /** Starts chromedriver on a free port and one headless browser window of {@code width}x{@code height}. */
    static Chromium start(Path profile, int width, int height) throws IOException, InterruptedException {
        Path browser = onPath("chromium");
        Path chromedriver = onPath("chromedriver");
        if (browser == null || chromedriver == null) {
            throw new IllegalStateException("bench console needs chromium and chromedriver on PATH"
                    + " (apt-get install chromium chromium-driver)");
        }
        Process driver = new ProcessBuilder(chromedriver.toString(), "--port=0").redirectErrorStream(true).start();
        try {
            String base = "http://127.0.0.1:" + driverPort(driver);
            ObjectNode options = JSON.createObjectNode().put("binary", browser.toString());
            for (String arg : List.of("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--no-first-run", "--disable-component-update", "--disable-sync", "--window-size=" + width + "," + height,
                    "--user-data-dir=" + Files.createDirectories(profile))) {
                options.withArray("args").add(arg);
            }
            ObjectNode caps = JSON.createObjectNode();
            caps.withObject("capabilities").withObject("alwaysMatch").put("browserName", "chrome")
                    .set("goog:chromeOptions", options);
            caps.withObject("capabilities").withObject("alwaysMatch").withObject("timeouts").put("script", 120_000)
                    .put("pageLoad", 120_000);
            JsonNode answer = call(HttpClient.newHttpClient(), "POST", base + "/session", caps);
            return new Chromium(driver, base + "/session/" + answer.get("sessionId").asText());
        } catch (IOException | RuntimeException e) {
            driver.destroyForcibly();
            throw e;
        }
    }

    /** Loads {@code url} and returns once its load event has fired. */
    void navigate(String url) throws IOException, InterruptedException {
        call(http, "POST", session + "/url", JSON.createObjectNode().put("url", url));
    }

    /** Runs {@code script} (a function body; {@code arguments} holds {@code args}) and answers its value, awaiting a promise. */
    JsonNode script(String script, Object... args) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("script", script);
        body.set("args", JSON.valueToTree(args));
        return call(http, "POST", session + "/execute/sync", body);
    }

    /** Empties the browser's HTTP cache (and the compiled code kept with it), as on a first visit. */
    void clearCache() throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode().put("cmd", "Network.clearBrowserCache");
        body.putObject("params");
        call(http, "POST", session + "/goog/cdp/execute", body);
    }

    @Override
    public void close() throws InterruptedException {
        try {
            call(http, "DELETE", session, null); // quits the browser
        } catch (IOException | RuntimeException ignored) {
            // the driver's end below takes the browser with it
        } finally {
            driver.destroy();
            if (!driver.waitFor(10, TimeUnit.SECONDS)) {
                driver.destroyForcibly();
            }
        }
    }

    private static JsonNode call(HttpClient http, String method, String url, JsonNode body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(3))
                .header("Content-Type", "application/json; charset=utf-8")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
                .build();
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        JsonNode value = JSON.readTree(r.body()).path("value");
        if (r.statusCode() != 200) {
            throw new IOException("chromedriver: " + value.path("error").asText() + ": "
                    + value.path("message").asText().lines().findFirst().orElse(""));
        }
        return value;
    }

    /** chromedriver prints the port it picked for {@code --port=0}; the rest of its output is drained. */
    private static int driverPort(Process driver) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    Matcher m = PORT.matcher(line);
                    if (line.contains("started successfully") && m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // the driver ended
            }
            port.complete(-1);
        }, "chromedriver-output");
        reader.setDaemon(true);
        reader.start();
        try {
            int p = port.get(60, TimeUnit.SECONDS);
            if (p < 0) {
                throw new IOException("chromedriver ended before it listened");
            }
            return p;
        } catch (Exception e) {
            throw new IOException("chromedriver did not start: " + e.getMessage(), e);
        }
    }

    private static Path onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return Path.of(dir, program);
            }
        }
        return null;
    }
}
