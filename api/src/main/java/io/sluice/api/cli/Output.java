package io.sluice.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.client.JsonTree;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Prints daemon answers as aligned tables or key/value blocks, or as one JSON document with --output json. */
final class Output {
    private Output() {
    }

    /**
     * One column of a table: a header and how to render it from a row. A class, not a lambda: a client
     * command is one short JVM, and each lambda's bootstrap costs it more than the rendering.
     */
    abstract static class Column {
        private final String header;

        Column(String header) {
            this.header = header;
        }

        String header() {
            return header;
        }

        abstract String value(JsonNode row);

        static Column field(String header, String field) {
            return new Column(header) {
                @Override
                String value(JsonNode row) {
                    return text(row.get(field));
                }
            };
        }

        /** A byte count as "1.5 MiB". */
        static Column size(String header, String field) {
            return new Column(header) {
                @Override
                String value(JsonNode row) {
                    return bytes(row.get(field));
                }
            };
        }
    }

    /** {@code node} as a table (or key/value block), or as one JSON or YAML document. */
    static void print(PrintStream out, JsonNode node, String format, Column... columns) {
        if (format.equals("json")) {
            printJson(out, node);
        } else if (format.equals("yaml")) {
            StringBuilder sb = new StringBuilder();
            yaml(sb, node, "");
            out.print(sb);
        } else if (node.isArray()) {
            table(out, node, columns);
        } else {
            keyValues(out, node, "", false);
        }
    }

    static void printJson(PrintStream out, JsonNode node) {
        out.println(JsonTree.pretty(node));
    }

    /** Block-style YAML; strings that YAML would read as something else are written JSON-quoted (valid YAML). */
    private static void yaml(StringBuilder sb, JsonNode node, String indent) {
        if (node.isObject() && !node.isEmpty()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> e = fields.next();
                sb.append(indent).append(yamlScalar(e.getKey())).append(':');
                yamlValue(sb, e.getValue(), indent);
            }
        } else if (node.isArray() && !node.isEmpty()) {
            for (JsonNode item : node) {
                sb.append(indent).append('-');
                yamlValue(sb, item, indent);
            }
        } else {
            sb.append(indent).append(yamlLeaf(node)).append('\n');
        }
    }

    private static void yamlValue(StringBuilder sb, JsonNode v, String indent) {
        if (v.isContainerNode() && !v.isEmpty()) {
            sb.append('\n');
            yaml(sb, v, indent + "  ");
        } else {
            sb.append(' ').append(yamlLeaf(v)).append('\n');
        }
    }

    private static String yamlLeaf(JsonNode v) {
        if (v.isTextual()) {
            return yamlScalar(v.asText());
        }
        return v.isObject() ? "{}" : v.isArray() ? "[]" : v.isNull() || v.isMissingNode() ? "null" : v.asText();
    }

    private static String yamlScalar(String s) {
        boolean plain = !s.isEmpty() && s.matches("[A-Za-z_/][A-Za-z0-9_./@+-]*")
                && !s.matches("(?i)true|false|yes|no|on|off|y|n|null|~");
        return plain ? s : JsonTree.compact(s);
    }

    private static void table(PrintStream out, JsonNode rows, Column[] columns) {
        List<String[]> lines = new ArrayList<>();
        String[] header = new String[columns.length];
        for (int c = 0; c < columns.length; c++) {
            header[c] = columns[c].header();
        }
        lines.add(header);
        for (JsonNode row : rows) {
            String[] line = new String[columns.length];
            for (int c = 0; c < columns.length; c++) {
                line[c] = columns[c].value(row);
            }
            lines.add(line);
        }
        int[] width = new int[columns.length];
        for (String[] line : lines) {
            for (int c = 0; c < line.length; c++) {
                width[c] = Math.max(width[c], line[c].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] line : lines) {
            sb.setLength(0);
            for (int c = 0; c < line.length; c++) {
                sb.append(line[c]);
                if (c < line.length - 1) {
                    sb.append(" ".repeat(width[c] - line[c].length() + 2));
                }
            }
            out.println(sb.toString().stripTrailing());
        }
    }

    /** Field names become labels ("sizeBytes" is "Size bytes"); the keys of a user's env map are shown as given. */
    private static void keyValues(PrintStream out, JsonNode node, String indent, boolean userKeys) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            JsonNode v = e.getValue();
            String key = userKeys ? e.getKey() : label(e.getKey());
            if (v.isObject() && !v.isEmpty()) {
                out.println(indent + key + ":");
                keyValues(out, v, indent + "  ", e.getKey().equals("env"));
            } else if (v.isArray() && !v.isEmpty()) {
                out.println(indent + key + ":");
                for (JsonNode item : v) {
                    out.println(indent + "  - " + (item.isValueNode() ? item.asText() : compact(item)));
                }
            } else {
                out.println(indent + key + ": " + text(v));
            }
        }
    }

    private static String compact(JsonNode node) {
        if (node.has("repo") && node.has("id")) {
            return node.get("repo").asText() + "@" + node.get("id").asText()
                    + (node.hasNonNull("branch") ? " (" + node.get("branch").asText() + ")" : "");
        }
        return JsonTree.compact(node);
    }

    private static String label(String key) {
        StringBuilder sb = new StringBuilder();
        for (char ch : key.toCharArray()) {
            if (Character.isUpperCase(ch)) {
                sb.append(' ').append(Character.toLowerCase(ch));
            } else {
                sb.append(ch);
            }
        }
        return Character.toUpperCase(sb.charAt(0)) + sb.substring(1);
    }

    static String text(JsonNode node) {
        return node == null || node.isNull() ? "-" : node.isValueNode() ? node.asText() : JsonTree.compact(node);
    }

    static String bytes(JsonNode node) {
        if (node == null || !node.isNumber()) {
            return "-";
        }
        double size = node.asDouble();
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        while (size >= 1024 && u < units.length - 1) {
            size /= 1024;
            u++;
        }
        return u == 0 ? (long) size + " B" : String.format("%.1f %s", size, units[u]);
    }
}
