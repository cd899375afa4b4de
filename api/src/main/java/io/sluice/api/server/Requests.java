package io.sluice.api.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.sluice.SluiceException;

import java.io.IOException;
import java.io.InputStream;

/** Reading requests with one clear message per mistake: required parameters, numbers, bounded JSON bodies. */
final class Requests {
    private Requests() {
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

    static long number(Context ctx, String param, long fallback) {
        String value = ctx.queryParam(param);
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw SluiceException.invalid("query parameter '" + param + "' must be a whole number, not '" + value + "'");
        }
    }

    static boolean flag(Context ctx, String param) {
        return Boolean.parseBoolean(ctx.queryParam(param));
    }

    /** The body as UTF-8 text, refusing more than {@code maxBytes} with TOO_LARGE before reading it all. */
    static byte[] body(Context ctx, int maxBytes) {
        try (InputStream in = ctx.bodyInputStream()) {
            byte[] bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                throw new SluiceException(SluiceException.Kind.TOO_LARGE,
                        "request body is larger than " + maxBytes + " bytes");
            }
            return bytes;
        } catch (IOException e) {
            throw SluiceException.invalid("could not read the request body: " + e.getMessage());
        }
    }

    /** A JSON object body; anything else (wrong content type, not JSON, not an object) is INVALID. */
    static JsonNode jsonObject(Context ctx, ObjectMapper json, int maxBytes) {
        String type = ctx.contentType();
        if (type == null || !type.toLowerCase().startsWith("application/json")) {
            throw SluiceException.invalid("Content-Type must be application/json, not " + (type == null ? "nothing" : "'" + type + "'"));
        }
        byte[] body = body(ctx, maxBytes);
        JsonNode node;
        try {
            node = json.readTree(body);
        } catch (IOException e) {
            throw SluiceException.invalid("body is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (node == null || !node.isObject()) {
            throw SluiceException.invalid("body must be a JSON object");
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
}
