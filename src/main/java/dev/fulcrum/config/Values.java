package dev.fulcrum.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * How config values are quoted in error messages (as they would appear in the JSON file, kept short), and the
 * checks several fields share.
 */
final class Values {

    private static final int MAX = 80;

    private Values() {
    }

    static String quote(Object value) {
        String text;
        if (value instanceof String string) {
            text = new JsonArray().add(string).encode();
            text = text.substring(1, text.length() - 1);
        } else if (value instanceof JsonObject || value instanceof JsonArray) {
            text = value.toString();
        } else {
            text = String.valueOf(value);
        }
        return text.length() > MAX ? text.substring(0, MAX) + "…" : text;
    }

    /** {@code file}, the value of {@code field}, as a path; refused if it cannot be one on this system. */
    static Path path(String field, String file) {
        try {
            return Path.of(file);
        } catch (InvalidPathException e) {
            throw new ConfigException(field + ": " + quote(file) + " is not a valid path: " + e.getReason());
        }
    }
}
