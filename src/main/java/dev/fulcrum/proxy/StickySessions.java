package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.XxHash64;
import dev.fulcrum.config.StickyCookie;
import io.netty.handler.codec.http.cookie.CookieHeaderNames;
import io.netty.handler.codec.http.cookie.DefaultCookie;
import io.netty.handler.codec.http.cookie.ServerCookieEncoder;
import io.vertx.core.MultiMap;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.httpproxy.ProxyContext;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps a client on the backend it was first sent to ({@code stickyCookie}), on top of any algorithm. The cookie's
 * value is a hash of the backend's URL, never its address, so every replica with the same config reads every other's
 * cookies. A request whose cookie names a healthy backend goes there; any other (down, removed, unknown, none) is
 * balanced as usual and gets the cookie of the backend that answered. The cookie is Fulcrum's: it is taken out of
 * the request before it reaches the backend, whose own cookies pass untouched. Each pool has its own
 * {@code stickyCookie}, or none. One per proxy verticle.
 */
final class StickySessions {

    private static final String WANTED = "fulcrum.sticky";

    /** Each pool's healthy backends by cookie value, by pool name. */
    private final Map<String, Index> indexes = new HashMap<>();

    /** The cookie values of one pool's healthy backends. */
    private static final class Index {
        /** The healthy list the two maps were built from: rebuilt when the pool's list is another. */
        private List<Backend> indexed;
        private final Map<String, Backend> byValue = new HashMap<>();
        private final Map<Backend, String> values = new IdentityHashMap<>();

        Index of(List<Backend> healthy) {
            if (healthy != indexed) {
                byValue.clear();
                values.clear();
                for (Backend backend : healthy) {
                    String value = value(backend.url());
                    byValue.put(value, backend);
                    values.put(backend, value);
                }
                indexed = healthy;
            }
            return this;
        }
    }

    /** The opaque, stable cookie value of the backend at {@code url}. */
    static String value(String url) {
        String hex = Long.toHexString(XxHash64.hash(url.getBytes(StandardCharsets.UTF_8), BalancedRequest.SEED));
        return "0".repeat(16 - hex.length()) + hex;
    }

    /** On the way in: the cookie leaves the request, and the backend it names is noted for the pick. */
    void requested(ProxyContext ctx, PoolRouting pool) {
        StickyCookie cookie = pool.settings().stickyCookie();
        if (cookie != null) {
            String wanted = takeCookie(ctx.request().headers(), cookie.name());
            if (wanted != null) {
                ctx.set(WANTED, wanted);
            }
        }
    }

    /** The healthy backend the request's cookie names, if it is one of {@code candidates}; else null. */
    Backend preferred(ProxyContext ctx, PoolRouting pool, List<Backend> candidates) {
        String wanted = ctx.get(WANTED, String.class);
        if (wanted == null) {
            return null;
        }
        Backend named = index(pool).byValue.get(wanted);
        return named != null && candidates.contains(named) ? named : null;
    }

    /** Whether the request carries {@code cookie} naming one of {@code pool}'s healthy backends; the cookie stays. */
    boolean namesHealthyBackend(HttpServerRequest request, StickyCookie cookie, PoolRouting pool) {
        if (!request.headers().contains(HttpHeaders.COOKIE)) {
            return false;
        }
        Cookie named = request.getCookie(cookie.name());
        return named != null && index(pool).byValue.containsKey(named.getValue());
    }

    /** On the way out: a response from a backend other than the cookie's sets the cookie of the one that answered. */
    void responding(ProxyContext ctx, PoolRouting pool, Backend answered) {
        StickyCookie cookie = pool == null ? null : pool.settings().stickyCookie();
        if (cookie != null && answered != null && ctx.response().proxiedResponse() != null) {
            String known = index(pool).values.get(answered);
            String value = known != null ? known : value(answered.url());
            if (!value.equals(ctx.get(WANTED, String.class))) {
                ctx.response().headers().add(HttpHeaders.SET_COOKIE, setCookie(cookie, value));
            }
        }
    }

    private Index index(PoolRouting pool) {
        return indexes.computeIfAbsent(pool.name(), name -> new Index()).of(pool.healthy());
    }

    static String setCookie(StickyCookie settings, String value) {
        DefaultCookie cookie = new DefaultCookie(settings.name(), value);
        cookie.setPath("/");
        cookie.setHttpOnly(settings.httpOnly());
        cookie.setSecure(settings.secure());
        cookie.setSameSite(CookieHeaderNames.SameSite.valueOf(settings.sameSite()));
        if (settings.maxAge() != null) {
            cookie.setMaxAge(settings.maxAge().toSeconds());
        }
        return ServerCookieEncoder.STRICT.encode(cookie);
    }

    /**
     * Removes the cookie {@code name} from the request's Cookie headers, leaving every other cookie as the client
     * wrote it, and returns its value (the last one, if the client sent it twice), or null.
     */
    static String takeCookie(MultiMap headers, String name) {
        List<String> lines = headers.getAll(HttpHeaders.COOKIE);
        if (lines.isEmpty()) {
            return null;
        }
        String value = null;
        StringBuilder kept = new StringBuilder();
        for (String line : lines) {
            for (String pair : line.split(";")) {
                String trimmed = pair.trim();
                int equals = trimmed.indexOf('=');
                String cookieName = equals < 0 ? trimmed : trimmed.substring(0, equals).trim();
                if (cookieName.equals(name)) {
                    value = equals < 0 ? "" : trimmed.substring(equals + 1).trim();
                } else if (!trimmed.isEmpty()) {
                    kept.append(kept.isEmpty() ? "" : "; ").append(trimmed);
                }
            }
        }
        if (value == null) {
            return null;
        }
        if (kept.isEmpty()) {
            headers.remove(HttpHeaders.COOKIE);
        } else {
            headers.set(HttpHeaders.COOKIE, kept.toString());
        }
        return value;
    }
}
