package io.sluice.api.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.SluiceException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * Answers the errors Jetty raises before a request reaches a route (a NUL or bad UTF-8 in the URL, an
 * ambiguous path segment, a request line or header too long) as {@code {"error": "..."}} like every
 * other refusal, for every method, instead of Jetty's HTML page.
 */
final class JsonErrorHandler extends ErrorHandler {
    private final ObjectMapper json;

    JsonErrorHandler(ObjectMapper json) {
        this.json = json;
        setShowStacks(false);
        setShowCauses(false);
    }

    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Object message = request.getAttribute(ERROR_MESSAGE);
        if (message == null && request.getAttribute(ERROR_EXCEPTION) instanceof Throwable cause) {
            message = cause.getMessage();
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.write(true, ByteBuffer.wrap(body(response.getStatus(), message == null ? null : message.toString())), callback);
        return true;
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(body(status, reason));
    }

    private byte[] body(int code, String message) {
        String status = HttpStatus.getMessage(code);
        String text = message == null || message.isBlank() || message.equals(status) ? status : status + ": " + message;
        // SluiceException makes the text one readable line, as for every other error the API sends
        String line = new SluiceException(SluiceException.Kind.INVALID, "HTTP " + code + " " + text).getMessage();
        try {
            return json.writeValueAsBytes(Map.of("error", line));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a one-entry map of strings always serialises", e);
        }
    }
}
