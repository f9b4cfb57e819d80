package dev.fulcrum.proxy;

import io.netty.handler.codec.DateFormatter;

import java.util.Date;
import java.util.function.LongSupplier;

/**
 * The Date a response carries (RFC 9110 §6.6.1), in IMF-fixdate form, formatted once a second rather than once
 * per response, as NGINX does. One per event loop, so it needs no synchronisation.
 */
final class HttpDate {

    private final LongSupplier clockMillis;
    private long second = Long.MIN_VALUE;
    private String formatted;

    HttpDate() {
        this(System::currentTimeMillis);
    }

    HttpDate(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
    }

    String now() {
        long current = Math.floorDiv(clockMillis.getAsLong(), 1000);
        if (current != second) {
            second = current;
            formatted = DateFormatter.format(new Date(current * 1000));
        }
        return formatted;
    }
}
