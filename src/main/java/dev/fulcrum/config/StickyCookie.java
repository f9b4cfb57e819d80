package dev.fulcrum.config;

import java.time.Duration;

/**
 * The cookie that keeps a client on the backend it was first sent to, on top of any algorithm. {@code maxAge} is
 * null for a session cookie; {@code sameSite} is {@code Lax}, {@code Strict} or {@code None}.
 */
public record StickyCookie(String name, Duration maxAge, boolean secure, boolean httpOnly, String sameSite) {
}
