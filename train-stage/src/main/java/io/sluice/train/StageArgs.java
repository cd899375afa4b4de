package io.sluice.train;

import io.sluice.SluiceException;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The command line of a stage program: {@code --name value} pairs overriding path defaults, any other word rejected.
 */
public final class StageArgs {

    private final Map<String, String> values;

    /** Parses {@code args} against the allowed flags and their defaults (flag name without dashes to value). */
    public StageArgs(String[] args, Map<String, String> defaults) {
        this.values = new LinkedHashMap<>(defaults);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String name;
            String value;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                name = a.substring(2, eq);
                value = a.substring(eq + 1);
            } else if (a.startsWith("--") && i + 1 < args.length) {
                name = a.substring(2);
                value = args[++i];
            } else {
                throw SluiceException.invalid("unexpected argument '" + a + "'; usage: " + usage(defaults));
            }
            if (!defaults.containsKey(name)) {
                throw SluiceException.invalid("unknown option --" + name + "; usage: " + usage(defaults));
            }
            values.put(name, value);
        }
    }

    private static String usage(Map<String, String> defaults) {
        StringBuilder sb = new StringBuilder();
        defaults.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : " ").append("[--").append(k).append(' ')
                .append(v).append(']'));
        return sb.toString();
    }

    public Path path(String name) {
        return Path.of(values.get(name));
    }

    public String value(String name) {
        return values.get(name);
    }
}
