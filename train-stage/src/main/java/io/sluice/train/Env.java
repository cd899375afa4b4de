package io.sluice.train;

import io.sluice.SluiceException;

import java.util.Map;

/**
 * Typed reads of a stage's environment variables, rejecting a malformed value with a message naming the variable.
 */
public final class Env {

    private final Map<String, String> env;

    public Env(Map<String, String> env) {
        this.env = env;
    }

    /** The trimmed value, or the fallback when unset or blank. */
    public String string(String name, String fallback) {
        String v = env.get(name);
        return v == null || v.isBlank() ? fallback : v.strip();
    }

    public int integer(String name, int fallback) {
        String v = string(name, null);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw SluiceException.invalid(name + "='" + v + "' is not an integer");
        }
    }

    public long longInteger(String name, long fallback) {
        String v = string(name, null);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw SluiceException.invalid(name + "='" + v + "' is not an integer");
        }
    }

    public double number(String name, double fallback) {
        String v = string(name, null);
        if (v == null) {
            return fallback;
        }
        try {
            double d = Double.parseDouble(v);
            if (!Double.isFinite(d)) {
                throw SluiceException.invalid(name + "='" + v + "' is not a finite number");
            }
            return d;
        } catch (NumberFormatException e) {
            throw SluiceException.invalid(name + "='" + v + "' is not a number");
        }
    }
}
