package dev.fulcrum.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Typed reads from one JSON object of the config, each failure naming the field's full path and the value.
 * Every field read is remembered so that {@link #rejectUnknown()} can refuse typos instead of ignoring them.
 */
final class JsonFields {

    private final JsonObject json;
    private final String path;
    private final Set<String> known = new HashSet<>();

    JsonFields(JsonObject json, String path) {
        this.json = json;
        this.path = path;
    }

    String path(String field) {
        return path.isEmpty() ? field : path + "." + field;
    }

    /** The object's own field names, in the file's order (a pool's name, a header's): all of them known. */
    Set<String> fieldNames() {
        known.addAll(json.fieldNames());
        return new LinkedHashSet<>(json.fieldNames());
    }

    boolean has(String field) {
        known.add(field);
        return json.containsKey(field) && json.getValue(field) != null;
    }

    Object raw(String field) {
        known.add(field);
        return json.getValue(field);
    }

    String string(String field, String fallback) {
        if (!has(field)) {
            return fallback;
        }
        Object value = json.getValue(field);
        if (!(value instanceof String text)) {
            throw wrongType(field, value, "a string");
        }
        return text;
    }

    int integer(String field, int fallback, int min, int max) {
        if (!has(field)) {
            return fallback;
        }
        return (int) wholeNumber(field, json.getValue(field), min, max, "");
    }

    /**
     * A JSON number that is whole and within {@code min}..{@code max}, judged exactly: a huge number must not
     * wrap around into range, nor a fraction be cut to one.
     */
    long wholeNumber(String field, Object value, long min, long max, String unit) {
        BigDecimal exact = exact(value);
        if (exact == null || exact.stripTrailingZeros().scale() > 0) {
            throw wrongType(field, value, unit.isEmpty() ? "a whole number" : "a whole number of" + unit);
        }
        if (exact.compareTo(BigDecimal.valueOf(min)) < 0 || exact.compareTo(BigDecimal.valueOf(max)) > 0) {
            throw new ConfigException(path(field) + ": " + exact.toPlainString() + " is out of range (" + min + " to " + max + unit + ")");
        }
        return exact.longValueExact();
    }

    private static BigDecimal exact(Object value) {
        if (value instanceof BigDecimal decimal) {
            return decimal;
        }
        if (value instanceof BigInteger integer) {
            return new BigDecimal(integer);
        }
        if (value instanceof Double || value instanceof Float) {
            double number = ((Number) value).doubleValue();
            return Double.isFinite(number) ? BigDecimal.valueOf(number) : null;
        }
        return value instanceof Number number ? BigDecimal.valueOf(number.longValue()) : null;
    }

    boolean bool(String field, boolean fallback) {
        if (!has(field)) {
            return fallback;
        }
        Object value = json.getValue(field);
        if (!(value instanceof Boolean flag)) {
            throw wrongType(field, value, "true or false");
        }
        return flag;
    }

    Duration duration(String field, Duration fallback) {
        String text = string(field, null);
        if (text == null) {
            return fallback;
        }
        return parsed(field, text, GoDuration::parse);
    }

    /** A timeout or period: timers tick in milliseconds, so anything shorter would mean zero. */
    Duration positiveDuration(String field, Duration fallback) {
        Duration duration = duration(field, fallback);
        if (duration.isZero() || duration.isNegative()) {
            throw new ConfigException(path(field) + ": " + Values.quote(json.getValue(field)) + " must be greater than zero");
        }
        if (duration.compareTo(Duration.ofMillis(1)) < 0) {
            throw new ConfigException(path(field) + ": " + Values.quote(json.getValue(field)) + " must be at least 1ms");
        }
        return duration;
    }

    JsonArray array(String field) {
        if (!has(field)) {
            return null;
        }
        Object value = json.getValue(field);
        if (!(value instanceof JsonArray array)) {
            throw wrongType(field, value, "a list");
        }
        return array;
    }

    JsonFields object(String field) {
        if (!has(field)) {
            return new JsonFields(new JsonObject(), path(field));
        }
        Object value = json.getValue(field);
        if (!(value instanceof JsonObject object)) {
            throw wrongType(field, value, "an object");
        }
        return new JsonFields(object, path(field));
    }

    /** Applies a parser that throws IllegalArgumentException and turns its message into a config error. */
    <T> T parsed(String field, String text, Function<String, T> parser) {
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path(field) + ": " + Values.quote(text) + " " + e.getMessage());
        }
    }

    void rejectUnknown() {
        Set<String> unknown = new TreeSet<>(json.fieldNames());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            String field = unknown.iterator().next();
            throw new ConfigException(path(field) + ": unknown field; known fields" + (path.isEmpty() ? "" : " of " + path)
                    + " are " + String.join(", ", new TreeSet<>(known)));
        }
    }

    private ConfigException wrongType(String field, Object value, String expected) {
        return new ConfigException(path(field) + ": " + Values.quote(value) + " must be " + expected);
    }
}
