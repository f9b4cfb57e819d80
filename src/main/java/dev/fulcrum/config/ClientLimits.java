package dev.fulcrum.config;

import java.time.Duration;

/**
 * What a client may send and how long it may take, so that no client can hold resources forever; and what all of
 * them together may hold: {@code maxConnections} open at once, {@code maxBufferedBytes} of responses waiting for
 * clients that do not read. {@code maxRequestBody} is {@link Long#MAX_VALUE} when unlimited.
 */
public record ClientLimits(
        int maxHeaderSize,
        int maxUriLength,
        long maxRequestBody,
        Duration clientIdleTimeout,
        Duration requestHeaderTimeout,
        int maxConnections,
        long maxBufferedBytes) {

    public boolean limitsBody() {
        return maxRequestBody != Long.MAX_VALUE;
    }
}
