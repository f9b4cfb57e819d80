package dev.fulcrum.config;

import java.time.Duration;

/**
 * What a client may send and how long it may take, so that no client can hold resources forever.
 * {@code maxRequestBody} is {@link Long#MAX_VALUE} when unlimited.
 */
public record ClientLimits(
        int maxHeaderSize,
        int maxUriLength,
        long maxRequestBody,
        Duration clientIdleTimeout,
        Duration requestHeaderTimeout) {

    public boolean limitsBody() {
        return maxRequestBody != Long.MAX_VALUE;
    }
}
