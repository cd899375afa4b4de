package io.sluice.api.server;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.sluice.SluiceException;
import io.sluice.pfs.Projects;
import io.sluice.pfs.Ref;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Set;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/** Reading requests with one clear message per mistake: required parameters, numbers, bounded JSON bodies. */
final class Requests {
    /** How much of a refused body is still read so that the client sees the refusal. */
    static final long MAX_DRAIN = 64L << 20;

    private Requests() {
    }

    /**
     * Refuses a query string whose percent-escapes are not well-formed UTF-8: the router would otherwise
     * turn them into U+FFFD silently, and a file or branch would be named after bytes nobody sent.
     */
    static void checkQueryEncoding(Context ctx) {
        String query = ctx.queryString();
        if (query == null || query.indexOf('%') < 0) {
            return;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(query.length());
        for (int i = 0; i < query.length(); i++) {
            char c = query.charAt(i);
            if (c != '%') {
                bytes.write(c < 0x80 ? c : '?');
                continue;
            }
            int hi = i + 2 < query.length() ? Character.digit(query.charAt(i + 1), 16) : -1;
            int lo = hi < 0 ? -1 : Character.digit(query.charAt(i + 2), 16);
            if (lo < 0) {
                throw SluiceException.invalid("query string has a '%' that is not followed by two hex digits");
            }
            bytes.write(hi << 4 | lo);
            i += 2;
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes.toByteArray()));
        } catch (CharacterCodingException e) {
            throw SluiceException.invalid("query string is not valid UTF-8 once percent-decoded");
        }
    }

    /** The path's project ({@code /api/v1/projects/{project}/...}), or {@code default} on the routes without one. */
    static String project(Context ctx) {
        String project = ctx.pathParamMap().get("project");
        return project == null ? Projects.DEFAULT : Projects.checkName(project);
    }

    /** The path's repo (checked), qualified by the path's project ({@link Projects}). */
    static String repo(Context ctx) {
        return Projects.qualify(project(ctx), Ref.checkRepoName(ctx.pathParam("repo")));
    }

    /** The path's pipeline, qualified by its project. */
    static String pipeline(Context ctx) {
        return pipeline(ctx, ctx.pathParam("name"));
    }

    /** Pipeline {@code name} of the path's project; a name holding '/' names none (not one of another project). */
    static String pipeline(Context ctx, String name) {
        if (name.indexOf('/') >= 0) {
            throw SluiceException.notFound("no pipeline '" + name + "'");
        }
        return Projects.qualify(project(ctx), name);
    }

    static String required(Context ctx, String param) {
        String value = ctx.queryParam(param);
        if (value == null || value.isEmpty()) {
            throw SluiceException.invalid("missing query parameter '" + param + "'");
        }
        return value;
    }

    static String optional(Context ctx, String param, String fallback) {
        String value = ctx.queryParam(param);
        return value == null || value.isEmpty() ? fallback : value;
    }

    /** A non-negative whole-number parameter, or {@code fallback} (which may be negative, meaning unset) when absent. */
    static long number(Context ctx, String param, long fallback) {
        String value = ctx.queryParam(param);
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        long number;
        try {
            number = Long.parseLong(value);
        } catch (NumberFormatException e) {
            number = -1;
        }
        if (number < 0) {
            throw SluiceException.invalid("query parameter '" + param + "' must be a whole number of zero or more, not '"
                    + value + "'");
        }
        return number;
    }

    /** The longest {@code ?wait=} a long poll may ask for: a day (the CLI's default is an hour). */
    static final long MAX_WAIT_SECONDS = 86_400;

    /** The {@code ?wait=SECONDS} of a long poll, or null when absent; more than {@link #MAX_WAIT_SECONDS} is refused. */
    static Duration waitParam(Context ctx) {
        long seconds = number(ctx, "wait", -1);
        if (seconds < 0) {
            return null;
        }
        if (seconds > MAX_WAIT_SECONDS) {
            throw SluiceException.invalid("query parameter 'wait' must be at most " + MAX_WAIT_SECONDS
                    + " seconds, not " + seconds + "; wait again after it answers");
        }
        return Duration.ofSeconds(seconds);
    }

    /**
     * Answers with what {@code answer} completes with, as JSON, without holding a server thread meanwhile: a
     * thousand long polls cost a thousand futures, not the thread pool that health and everything else need.
     */
    static <T> void longPoll(Context ctx, CompletableFuture<T> answer) {
        ctx.future(() -> answer.thenAccept(ctx::json));
    }

    /**
     * Answers what {@code inspect} returns at once or, with {@code ?wait=SECONDS}, what {@code await} (given that
     * wait) completes with, as a long poll: the one shape of every inspect-or-wait endpoint.
     */
    static <T> void inspectOrAwait(Context ctx, Supplier<?> inspect, Function<Duration, CompletableFuture<T>> await) {
        Duration wait = waitParam(ctx);
        if (wait == null) {
            ctx.json(inspect.get());
        } else {
            longPoll(ctx, await.apply(wait));
        }
    }

    /** Whether the request's Content-Type is exactly {@code type} (any case), parameters such as charset aside. */
    static boolean hasMediaType(Context ctx, String type) {
        String header = ctx.header("Content-Type");
        if (header == null) {
            return false;
        }
        int semicolon = header.indexOf(';');
        return (semicolon < 0 ? header : header.substring(0, semicolon)).strip().equalsIgnoreCase(type);
    }

    static boolean flag(Context ctx, String param) {
        return Boolean.parseBoolean(ctx.queryParam(param));
    }

    /**
     * The body's bytes, refusing more than {@code maxBytes} with TOO_LARGE (the rest is {@linkplain
     * #drain drained}).
     */
    static byte[] body(Context ctx, int maxBytes) {
        try (InputStream in = ctx.bodyInputStream()) {
            byte[] bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                in.skip(MAX_DRAIN);
                throw new SluiceException(SluiceException.Kind.TOO_LARGE,
                        "request body is larger than " + maxBytes + " bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw SluiceException.invalid("could not read the request body: " + e.getMessage());
        }
    }

    /**
     * Reads and drops what is left of the body, up to {@link #MAX_DRAIN} bytes, before an error answer: a
     * server that answers and closes while the client is still sending makes many clients lose the answer
     * to a connection reset.
     */
    static void drain(Context ctx) {
        try (InputStream in = ctx.bodyInputStream()) {
            in.skip(MAX_DRAIN);
        } catch (IOException e) {
            // the client went away: nobody is left to read the answer
        }
    }

    /**
     * A JSON object body with only the {@code fields} named; anything else (wrong content type, not JSON,
     * trailing text, a duplicated key, not an object, an unknown field) is INVALID, never silently ignored.
     */
    static JsonNode jsonObject(Context ctx, ObjectMapper json, int maxBytes, String... fields) {
        String type = ctx.contentType();
        if (!hasMediaType(ctx, "application/json")) {
            throw SluiceException.invalid("Content-Type must be application/json, not " + (type == null ? "nothing" : "'" + type + "'"));
        }
        byte[] body = body(ctx, maxBytes);
        JsonNode node;
        try {
            node = json.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readTree(body);
        } catch (IOException e) {
            throw SluiceException.invalid("body is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (node == null || !node.isObject()) {
            throw SluiceException.invalid("body must be a JSON object");
        }
        Set<String> known = Set.of(fields);
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                throw SluiceException.invalid("unknown field '" + name + "' in the body; fields are " + String.join(", ", fields));
            }
        }
        return node;
    }

    static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    /**
     * One page of a newest-first list: {@code limit} items (all when absent or 0, as pachctl's --number 0)
     * after skipping {@code offset}; {@code firstN} answers the first n items (or more: the surplus is cut here).
     */
    static <T> List<T> page(Context ctx, IntFunction<List<T>> firstN) {
        long limit = number(ctx, "limit", 0);
        limit = limit == 0 ? Integer.MAX_VALUE : limit;
        long offset = number(ctx, "offset", 0);
        int end = (int) Math.min(Integer.MAX_VALUE, limit + offset);
        List<T> items = firstN.apply(end);
        return items.subList((int) Math.min(offset, items.size()), Math.min(end, items.size()));
    }
}
