package dev.fulcrum.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** How config values are quoted in error messages: as they would appear in the JSON file, kept short. */
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
}
