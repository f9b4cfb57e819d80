package dev.fulcrum.accesslog;

/**
 * What is logged of one response, taken on its event loop as it ends; the line is formatted on the writer thread.
 * {@code backend} is null when Fulcrum answered itself, and {@code backendNanos} then -1; {@code route} is the index
 * of the route taken ({@code routes[i]}), null when there is none or no route matched; {@code pool} the pool it led
 * to, null when none (no route, a redirect).
 */
public record AccessLogEntry(long arrivedMillis, String requestId, String client, String method, String uri,
                             String protocol, int status, long bytesSent, long durationNanos, Integer route,
                             String pool, String backend, long backendNanos, String userAgent, String referer) {
}
