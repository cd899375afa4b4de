package io.sluice.api.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The CLI's HTTP client of a daemon: JSON in and out, file bytes streamed both ways, and every failure
 * turned into a {@link ClientException} whose message is the one line the CLI prints.
 */
public final class SluiceClient {
    private final URI base;
    private final String token;
    private final HttpClient http;
    private final ObjectMapper json = Json.mapper();

    public SluiceClient(String address, String token) {
        this.base = URI.create(address.endsWith("/") ? address.substring(0, address.length() - 1) : address);
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    /**
     * The bearer token to send: the contents of {@code tokenFile} when given, else {@code $SLUICE_AUTH_TOKEN},
     * else, for a daemon on this machine ({@code address} on loopback), the contents of {@code localTokenFile}
     * (the token file in the default data dir) if this user can read it; null when there is none. The token
     * file a local daemon wrote is never sent to another host.
     */
    public static String token(String address, Map<String, String> env, Path tokenFile, Path localTokenFile) {
        if (tokenFile != null) {
            try {
                String token = Files.readString(tokenFile).strip();
                if (token.isEmpty()) {
                    throw new ClientException("token file " + tokenFile + " is empty");
                }
                return token;
            } catch (IOException e) {
                throw new ClientException("cannot read token file " + tokenFile + ": " + e.getMessage());
            }
        }
        String fromEnv = env.get("SLUICE_AUTH_TOKEN");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.strip();
        }
        if (localTokenFile == null || !isLoopback(address)) {
            return null;
        }
        try {
            String token = Files.readString(localTokenFile).strip();
            return token.isEmpty() ? null : token;
        } catch (IOException | SecurityException e) {
            return null; // no daemon has run here yet, or it is another user's: the daemon says what is missing
        }
    }

    private static boolean isLoopback(String address) {
        try {
            String host = URI.create(address).getHost();
            return host != null && InetAddress.getByName(host).isLoopbackAddress();
        } catch (IllegalArgumentException | UnknownHostException e) {
            return false;
        }
    }

    public ObjectMapper json() {
        return json;
    }

    public JsonNode get(String path, Map<String, ?> query) {
        return parse(send(request(path, query).GET(), HttpResponse.BodyHandlers.ofByteArray()));
    }

    public JsonNode delete(String path, Map<String, ?> query) {
        return parse(send(request(path, query).DELETE(), HttpResponse.BodyHandlers.ofByteArray()));
    }

    public JsonNode post(String path, Map<String, ?> query, Object body) {
        byte[] bytes = body instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : writeJson(body);
        return parse(send(request(path, query).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)), HttpResponse.BodyHandlers.ofByteArray()));
    }

    public JsonNode put(String path, Map<String, ?> query, String body) {
        return parse(send(request(path, query).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(body)), HttpResponse.BodyHandlers.ofByteArray()));
    }

    /** Streams the bytes {@code data} supplies as the body of a PUT (chunked, constant memory). */
    public JsonNode putStream(String path, Map<String, ?> query, Supplier<InputStream> data) {
        return parse(send(request(path, query).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofInputStream(data)), HttpResponse.BodyHandlers.ofByteArray()));
    }

    /** A GET whose body is streamed to the caller, who must close it. */
    public HttpResponse<InputStream> getStream(String path, Map<String, ?> query) {
        HttpResponse<InputStream> response = send(request(path, query).GET(), HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() >= 300) {
            try (InputStream in = response.body()) {
                throw new ClientException(response.statusCode(), errorMessage(response.statusCode(), in.readAllBytes()));
            } catch (IOException e) {
                throw new ClientException("the daemon failed with HTTP " + response.statusCode());
            }
        }
        return response;
    }

    private HttpRequest.Builder request(String path, Map<String, ?> query) {
        StringBuilder uri = new StringBuilder(base.toString()).append(path);
        char sep = '?';
        for (Map.Entry<String, ?> e : (query == null ? Map.<String, Object>of() : query).entrySet()) {
            if (e.getValue() != null) {
                uri.append(sep).append(e.getKey()).append('=')
                        .append(URLEncoder.encode(e.getValue().toString(), StandardCharsets.UTF_8));
                sep = '&';
            }
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(uri.toString()));
        if (token != null && !token.isEmpty()) {
            builder.header("Authorization", "Bearer " + token);
        }
        return builder;
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request.build(), handler);
        } catch (ConnectException e) {
            throw new ClientException("no Sluice daemon at " + base + " (start one with ./sluice up, or set --address / SLUICE_ADDRESS)");
        } catch (HttpTimeoutException e) {
            throw new ClientException("the daemon at " + base + " did not answer in time");
        } catch (IOException e) {
            throw new ClientException("lost the connection to the daemon at " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClientException("interrupted");
        }
    }

    private JsonNode parse(HttpResponse<byte[]> response) {
        if (response.statusCode() >= 300) {
            throw new ClientException(response.statusCode(), errorMessage(response.statusCode(), response.body()));
        }
        try {
            return json.readTree(response.body());
        } catch (IOException e) {
            throw new ClientException("the daemon answered something that is not JSON (HTTP " + response.statusCode() + ")");
        }
    }

    private String errorMessage(int status, byte[] body) {
        try {
            JsonNode node = json.readTree(body);
            if (node != null && node.hasNonNull("error")) {
                return node.get("error").asText();
            }
        } catch (IOException ignored) {
            // fall through to the status line
        }
        return "the daemon failed with HTTP " + status;
    }

    private byte[] writeJson(Object body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A query map that keeps insertion order and skips nulls. */
    public static Map<String, Object> query(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            if (keyValues[i + 1] != null) {
                map.put((String) keyValues[i], keyValues[i + 1]);
            }
        }
        return map;
    }
}
