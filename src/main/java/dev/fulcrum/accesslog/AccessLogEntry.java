package dev.fulcrum.accesslog;

/**
 * What is logged of one response, taken on its event loop as it ends; the line is formatted on the writer thread.
 * {@code backend} is null when Fulcrum answered itself, and {@code backendNanos} then -1.
 */
public record AccessLogEntry(long arrivedMillis, String requestId, String client, String method, String uri,
                             String protocol, int status, long bytesSent, long durationNanos, String backend,
                             long backendNanos, String userAgent, String referer) {
}
