package dev.fulcrum.proxy;

import io.vertx.core.http.HttpServerRequest;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Every request carries an ID in the configured header ({@code requestIdHeader}): the client's own when it is a
 * sane one, else a fresh random UUID. It is forwarded to the backend, returned to the client and logged.
 */
final class RequestIds {

    /** Longer than any tracing ID in use (a W3C traceparent is 55), short enough for a log line. */
    static final int MAX_LENGTH = 128;

    private RequestIds() {
    }

    /**
     * The client's own ID in {@code header}, if it is a sane one; an invalid one is removed from the request, and null
     * returned (Fulcrum's fresh ID then goes on the backend's request: see {@link ResponseRecords}). {@code header}
     * is made once per config with {@link io.vertx.core.http.HttpHeaders#createOptimized}: its hash is kept. A valid
     * ID travels with the client's request as it is; the request Vert.x decoded is otherwise left untouched.
     */
    static String clientsOwn(HttpServerRequest request, CharSequence header) {
        String id = request.headers().get(header);
        if (id == null || acceptable(id)) {
            return id;
        }
        request.headers().remove(header);
        return null;
    }

    /** Letters, digits and {@code -._~:/+=@}: what the common ID schemes use, and nothing that could break a log line. */
    static boolean acceptable(String id) {
        if (id.isEmpty() || id.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~:/+=@".indexOf(c) >= 0)) {
                return false;
            }
        }
        return true;
    }

    /** A version-4 UUID from the event loop's own random source: unique enough to find a line, and never contended. */
    static String fresh() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }
}
