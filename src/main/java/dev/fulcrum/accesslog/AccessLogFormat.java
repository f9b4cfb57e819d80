package dev.fulcrum.accesslog;

import dev.fulcrum.config.AccessLogSettings;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** The two line formats: JSON (one object per line) and NGINX's combined. */
final class AccessLogFormat {

    private static final DateTimeFormatter RFC_3339_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
            .withZone(ZoneOffset.UTC);
    /** NGINX's $time_local, in UTC. */
    private static final DateTimeFormatter TIME_LOCAL = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private AccessLogFormat() {
    }

    static String line(AccessLogEntry entry, AccessLogSettings.Format format) {
        return format == AccessLogSettings.Format.JSON ? json(entry) : combined(entry);
    }

    static String json(AccessLogEntry entry) {
        return new JsonObject()
                .put("time", RFC_3339_MILLIS.format(Instant.ofEpochMilli(entry.arrivedMillis())))
                .put("requestId", entry.requestId())
                .put("client", entry.client())
                .put("method", entry.method())
                .put("uri", entry.uri())
                .put("protocol", entry.protocol())
                .put("status", entry.status())
                .put("bytesSent", entry.bytesSent())
                .put("durationMs", millis(entry.durationNanos()))
                .put("route", entry.route())
                .put("pool", entry.pool())
                .put("backend", entry.backend())
                .put("backendDurationMs", entry.backendNanos() < 0 ? null : millis(entry.backendNanos()))
                .put("userAgent", entry.userAgent())
                .put("referer", entry.referer())
                .encode();
    }

    /** {@code $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"}. */
    static String combined(AccessLogEntry entry) {
        return entry.client() + " - - [" + TIME_LOCAL.format(Instant.ofEpochMilli(entry.arrivedMillis())) + "] \""
                + quoted(entry.method() + " " + entry.uri() + " " + entry.protocol()) + "\" " + entry.status() + " "
                + entry.bytesSent() + " \"" + orDash(entry.referer()) + "\" \"" + orDash(entry.userAgent()) + "\"";
    }

    /** Milliseconds to the microsecond, as a JSON number. */
    private static double millis(long nanos) {
        return Math.round(nanos / 1_000.0) / 1_000.0;
    }

    private static String orDash(String header) {
        return header == null ? "-" : quoted(header);
    }

    /** As NGINX escapes variables in its log: a quote, a backslash or a control character as \xHH. */
    private static String quoted(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean escaped = c == '"' || c == '\\' || c < 0x20 || c == 0x7f;
            if (escaped && out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (out != null) {
                out.append(escaped ? String.format("\\x%02X", (int) c) : String.valueOf(c));
            }
        }
        return out == null ? text : out.toString();
    }
}
