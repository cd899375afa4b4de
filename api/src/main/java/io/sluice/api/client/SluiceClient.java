package io.sluice.api.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The CLI's HTTP client of a daemon: JSON in and out, file bytes streamed both ways, and every failure
 * turned into a {@link ClientException} whose message is the one line the CLI prints.
 *
 * <p>It speaks HTTP/1.1 through {@link HttpURLConnection}: for an {@code http} address that loads a few
 * dozen classes and no TLS, where the JDK's {@code HttpClient} initialises TLS on every start, and its
 * streams move file bytes at socket speed.
 */
public final class SluiceClient {
    /** The buffer file bytes move through: large enough that a transfer is a few thousand system calls per GiB. */
    public static final int TRANSFER_BUFFER = 1 << 20;
    private static final int CONNECT_TIMEOUT_MS = 5_000;

    private final String base;
    private final String token;
    private ObjectMapper json;

    /**
     * A client of the daemon at {@code address}: {@code http://HOST:PORT} (or https), or {@code HOST:PORT}
     * meaning http, as pachctl takes it; anything else is refused with one line.
     */
    public SluiceClient(String address, String token) {
        this.base = normalise(address);
        this.token = token;
    }

    /** The address as the client uses it: a scheme, a host, an optional port, no trailing slash. */
    public static String normalise(String address) {
        String raw = address == null ? "" : address.strip();
        String withScheme = raw.contains("://") ? raw : "http://" + raw;
        try {
            URI uri = new URI(withScheme);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null
                    || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new URISyntaxException(raw, "not http");
            }
            String path = uri.getRawPath() == null ? "" : uri.getRawPath();
            return scheme + "://" + uri.getRawAuthority() + (path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
        } catch (URISyntaxException e) {
            throw new ClientException("'" + raw + "' is not a daemon address (expected http://HOST:PORT, e.g. "
                    + "http://127.0.0.1:5000)");
        }
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
            String host = URI.create(normalise(address)).getHost();
            return host != null && InetAddress.getByName(host).isLoopbackAddress();
        } catch (IllegalArgumentException | UnknownHostException e) {
            return false;
        }
    }

    public String address() {
        return base;
    }

    /** A mapper for typed bodies (records), made on first use: most commands never need one. */
    public synchronized ObjectMapper json() {
        if (json == null) {
            json = new ObjectMapper();
        }
        return json;
    }

    public JsonNode get(String path, Map<String, ?> query) {
        return exchange("GET", path, query, null);
    }

    /** One page of a paged listing and the cursor of the next page (null on the last). */
    public record Page(JsonNode items, String next) {
    }

    /** A GET of a paged listing: the items and the daemon's next-page cursor header. */
    public Page getPage(String path, Map<String, ?> query) {
        HttpURLConnection c = open("GET", path, query);
        try {
            JsonNode items = answer(c);
            return new Page(items, c.getHeaderField("Sluice-Next-Cursor"));
        } catch (IOException e) {
            throw failure(e);
        }
    }

    public JsonNode delete(String path, Map<String, ?> query) {
        return exchange("DELETE", path, query, null);
    }

    public JsonNode post(String path, Map<String, ?> query, Object body) {
        return exchange("POST", path, query, body instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : writeJson(body));
    }

    public JsonNode put(String path, Map<String, ?> query, String body) {
        return exchange("PUT", path, query, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Streams the bytes {@code data} supplies as the body of a PUT (chunked, constant memory). */
    public JsonNode putStream(String path, Map<String, ?> query, Supplier<InputStream> data) {
        return putStream(path, query, data, -1);
    }

    /**
     * Streams {@code size} bytes (or, for a negative size, all bytes, chunked) from {@code data} as the body
     * of a PUT, in constant memory.
     */
    public JsonNode putStream(String path, Map<String, ?> query, Supplier<InputStream> data, long size) {
        return putStream(path, query, "application/octet-stream", data, size);
    }

    /** As {@link #putStream(String, Map, Supplier, long)} with the body's media type, e.g. application/x-tar. */
    public JsonNode putStream(String path, Map<String, ?> query, String contentType, Supplier<InputStream> data,
                              long size) {
        HttpURLConnection c = open("PUT", path, query);
        try {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", contentType);
            if (size >= 0) {
                c.setFixedLengthStreamingMode(size);
            } else {
                c.setChunkedStreamingMode(TRANSFER_BUFFER);
            }
            try (InputStream in = data.get(); OutputStream out = c.getOutputStream()) {
                copy(in, out);
            }
            return answer(c);
        } catch (IOException e) {
            throw failure(e);
        }
    }

    /** A streamed answer: its status and length (-1 if not known) and its body, which the caller must close. */
    public record Streamed(int status, long length, InputStream body) {
    }

    /** A GET whose body is streamed to the caller, who must close it; an error status is thrown, not returned. */
    public Streamed getStream(String path, Map<String, ?> query) {
        HttpURLConnection c = open("GET", path, query);
        try {
            int status = c.getResponseCode();
            if (status >= 300) {
                throw new ClientException(status, errorMessage(status, c.getErrorStream()));
            }
            return new Streamed(status, c.getContentLengthLong(), c.getInputStream());
        } catch (IOException e) {
            throw failure(e);
        }
    }

    /** Copies all of {@code in} to {@code out} through one transfer buffer; returns the byte count. */
    public static long copy(InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[TRANSFER_BUFFER];
        long total = 0;
        for (int n; (n = in.read(buf)) >= 0; ) {
            out.write(buf, 0, n);
            total += n;
        }
        return total;
    }

    /** One path segment, such as a pipeline's name, encoded so that any name reaches the daemon as typed. */
    public static String segment(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private JsonNode exchange(String method, String path, Map<String, ?> query, byte[] body) {
        HttpURLConnection c = open(method, path, query);
        try {
            if (body != null) {
                c.setDoOutput(true);
                // Not in streaming mode: a small body is buffered, so a 401 answer still has its body to read.
                c.setRequestProperty("Content-Type", "application/json");
                try (OutputStream out = c.getOutputStream()) {
                    out.write(body);
                }
            }
            return answer(c);
        } catch (IOException e) {
            throw failure(e);
        }
    }

    private HttpURLConnection open(String method, String path, Map<String, ?> query) {
        StringBuilder uri = new StringBuilder(base).append(path);
        char sep = '?';
        for (Map.Entry<String, ?> e : (query == null ? Map.<String, Object>of() : query).entrySet()) {
            if (e.getValue() != null) {
                uri.append(sep).append(e.getKey()).append('=')
                        .append(URLEncoder.encode(e.getValue().toString(), StandardCharsets.UTF_8));
                sep = '&';
            }
        }
        try {
            // No proxy, as before: the daemon is addressed directly, and proxy selection costs start-up time.
            HttpURLConnection c = (HttpURLConnection) new URL(uri.toString()).openConnection(Proxy.NO_PROXY);
            c.setRequestMethod(method);
            c.setConnectTimeout(CONNECT_TIMEOUT_MS);
            c.setUseCaches(false);
            if (token != null && !token.isEmpty()) {
                c.setRequestProperty("Authorization", "Bearer " + token);
            }
            return c;
        } catch (IOException e) {
            throw failure(e);
        }
    }

    private JsonNode answer(HttpURLConnection c) throws IOException {
        int status = c.getResponseCode();
        if (status >= 300) {
            throw new ClientException(status, errorMessage(status, c.getErrorStream()));
        }
        try (InputStream in = c.getInputStream()) {
            return JsonTree.parse(in);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ClientException("the daemon answered something that is not JSON (HTTP " + status + ")");
        }
    }

    private ClientException failure(IOException e) {
        if (e instanceof ConnectException || e instanceof UnknownHostException) {
            return new ClientException("no Sluice daemon at " + base + " (start one with ./sluice up, or set --address / SLUICE_ADDRESS)");
        }
        if (e instanceof SocketTimeoutException) {
            return new ClientException("the daemon at " + base + " did not answer in time");
        }
        return new ClientException("lost the connection to the daemon at " + base + ": " + e.getMessage());
    }

    private String errorMessage(int status, InputStream body) {
        if (body != null) {
            try (InputStream in = body) {
                JsonNode node = JsonTree.parse(in);
                if (node != null && node.hasNonNull("error")) {
                    return node.get("error").asText();
                }
            } catch (IOException ignored) {
                // fall through to the status line
            }
        }
        // A refused streamed upload leaves no body to read; say what a 401 always means here.
        return status == 401 ? "the daemon needs a bearer token: set SLUICE_AUTH_TOKEN (HTTP 401)"
                : "the daemon failed with HTTP " + status;
    }

    private byte[] writeJson(Object body) {
        if (JsonTree.writable(body)) {
            return JsonTree.bytes(body);
        }
        try {
            return json().writeValueAsBytes(body);
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
