package io.sluice.pps;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sluice.SluiceException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads the text of one or several pipeline specs, as pachctl takes them: JSON (one object, several
 * concatenated objects, or an array of objects) or YAML (one document, or several separated by
 * {@code ---}), into trees that remember the line and column of every field name, so that problems can be
 * pointed at. A syntax error is an INVALID {@link SluiceException} of one line naming its line and column.
 */
final class SpecReader {

    private static final int MAX_DEPTH = 64;
    private static final Pattern YAML_SEPARATOR = Pattern.compile("(?m)^---[ \\t]*\\r?$");
    private static final Pattern CODE = Pattern.compile("\\s*\\(code -?\\d+\\)");

    private final String what;
    private final JsonFactory json = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private final YAMLFactory yaml = YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** A reader whose messages call the text {@code what}, e.g. "the pipeline spec" or "the secret manifest". */
    SpecReader(String what) {
        this.what = what;
    }

    /** One spec document: its tree and where each field name of each of its objects was written. */
    record Doc(ObjectNode root, Map<JsonNode, Map<String, String>> where) {
        /** "line L, column C" of field {@code field} of object {@code of}, or null when not known. */
        String at(JsonNode of, String field) {
            Map<String, String> fields = where.get(of);
            return fields == null ? null : fields.get(field);
        }
    }

    /** The specs in {@code text}, in order; refuses an empty text, a non-object spec and a syntax error. */
    List<Doc> read(String text) {
        if (text == null || text.isBlank()) {
            throw SluiceException.invalid(what + " is empty");
        }
        String trimmed = text.stripLeading();
        boolean isJson = trimmed.startsWith("{") || trimmed.startsWith("[");
        if (isJson && YAML_SEPARATOR.matcher(text).find()) {
            // JSON objects between '---' lines, as pachctl (a YAML reader) takes them: the separator lines are
            // emptied (positions stay right; a JSON string cannot span a line) and the objects read as
            // concatenated JSON, so a tab after a value stays whitespace as JSON and YAML 1.2 allow
            // (Pachyderm's tensorflow example has one, which a YAML 1.1 reader refuses)
            text = YAML_SEPARATOR.matcher(text).replaceAll("");
        }
        String format = isJson ? "JSON" : "YAML";
        List<JsonNode> values = new ArrayList<>();
        Map<JsonNode, Map<String, String>> where = new IdentityHashMap<>();
        try (JsonParser p = (isJson ? json : yaml).createParser(text)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                JsonNode v = value(p, t, where, 0);
                if (v.isArray() && values.isEmpty()) {
                    v.forEach(values::add);
                    if (p.nextToken() != null) {
                        throw SluiceException.invalid(what + " has something after its closing ']' at "
                                + place(p.currentTokenLocation()));
                    }
                    break;
                }
                values.add(v);
            }
        } catch (JsonProcessingException e) {
            throw SluiceException.invalid(what + " is not valid " + format + " at "
                    + place(e.getLocation()) + ": " + reason(e));
        } catch (IOException e) {
            throw SluiceException.invalid(what + " cannot be read: " + oneLine(e.getMessage()));
        }
        List<Doc> out = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            JsonNode v = values.get(i);
            if (v == null || v.isNull() || v.isMissingNode()) {
                continue; // an empty YAML document, as after a trailing '---'
            }
            if (!v.isObject()) {
                throw SluiceException.invalid(what + (values.size() > 1 ? " #" + (i + 1) : "")
                        + " must be a " + format + " object, not " + kind(v));
            }
            out.add(new Doc((ObjectNode) v, where));
        }
        if (out.isEmpty()) {
            throw SluiceException.invalid(what + " is empty");
        }
        return out;
    }

    private JsonNode value(JsonParser p, JsonToken t, Map<JsonNode, Map<String, String>> where, int depth)
            throws IOException {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (depth > MAX_DEPTH) {
            throw SluiceException.invalid(what + " nests deeper than " + MAX_DEPTH + " levels at "
                    + place(p.currentTokenLocation()));
        }
        switch (t) {
            case START_OBJECT -> {
                ObjectNode o = f.objectNode();
                Map<String, String> fields = new HashMap<>();
                where.put(o, fields);
                JsonToken k;
                while ((k = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    fields.put(name, place(p.currentTokenLocation()));
                    o.set(name, value(p, p.nextToken(), where, depth + 1));
                }
                if (k != JsonToken.END_OBJECT) {
                    throw SluiceException.invalid(what + " ends inside an object");
                }
                return o;
            }
            case START_ARRAY -> {
                ArrayNode a = f.arrayNode();
                JsonToken e;
                while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (e == null) {
                        throw SluiceException.invalid(what + " ends inside an array");
                    }
                    a.add(value(p, e, where, depth + 1));
                }
                return a;
            }
            case VALUE_STRING -> {
                return f.textNode(p.getText());
            }
            case VALUE_NUMBER_INT -> {
                return switch (p.getNumberType()) {
                    case INT -> f.numberNode(p.getIntValue());
                    case LONG -> f.numberNode(p.getLongValue());
                    default -> f.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> {
                return f.numberNode(p.getDoubleValue());
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return f.booleanNode(t == JsonToken.VALUE_TRUE);
            }
            case VALUE_NULL -> {
                return f.nullNode();
            }
            default -> {
                // YAML aliases, tags and binary values have no place in a spec
                throw SluiceException.invalid(what + " has an unexpected " + t.asString() + " at "
                        + place(p.currentTokenLocation()));
            }
        }
    }

    static String place(JsonLocation l) {
        if (l == null || l.getLineNr() < 1) {
            return "an unknown place";
        }
        return "line " + l.getLineNr() + ", column " + Math.max(1, l.getColumnNr());
    }

    /** What went wrong, in one line, without the parser's source excerpts, token codes or class names. */
    private static String reason(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        if (m == null) {
            return "unreadable";
        }
        m = oneLine(m);
        int source = m.indexOf(" at [Source");
        if (source >= 0) {
            m = m.substring(0, source);
        }
        int forObject = m.indexOf(" (for ");
        if (forObject >= 0) {
            m = m.substring(0, forObject);
        }
        m = CODE.matcher(m).replaceAll("");
        m = m.replace("(JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
                "a value").replace("Unexpected end-of-input", "unexpected end of the text");
        if (m.startsWith("Duplicate field")) {
            m = "a field is given twice: " + m.substring("Duplicate field".length()).trim();
        }
        m = m.strip();
        return m.isEmpty() ? "unreadable" : Character.toLowerCase(m.charAt(0)) + m.substring(1);
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n\\t]+", " ").replaceAll(" {2,}", " ").strip();
    }

    static String kind(JsonNode v) {
        if (v.isArray()) {
            return "an array";
        }
        if (v.isTextual()) {
            return "a string";
        }
        if (v.isNumber()) {
            return "a number";
        }
        if (v.isBoolean()) {
            return "a boolean";
        }
        return v.isObject() ? "an object" : "null";
    }
}
