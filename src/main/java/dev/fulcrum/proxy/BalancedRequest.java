package dev.fulcrum.proxy;

import dev.fulcrum.balancer.RequestView;
import dev.fulcrum.balancer.XxHash64;
import dev.fulcrum.config.Cidr;
import dev.fulcrum.config.HashKey;
import io.netty.handler.codec.http.cookie.Cookie;
import io.netty.handler.codec.http.cookie.ServerCookieDecoder;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The request as the policy sees it. Its key ({@code hashKey}) is read and hashed at most once, and only if a
 * hashing policy asks: a request without that header, cookie or parameter has no key, and the policy falls back.
 */
final class BalancedRequest implements RequestView {

    /** Fixed forever: changing it would move every key of every running Fulcrum at its next start. */
    static final long SEED = 0x46756c6372756dL;

    private final HttpServerRequest request;
    private final HashKey key;
    private final List<Cidr> trustedProxies;
    private int attempt;
    private boolean hashed;
    private boolean present;
    private long hash;

    BalancedRequest(HttpServerRequest request, HashKey key, List<Cidr> trustedProxies) {
        this.request = request;
        this.key = key;
        this.trustedProxies = trustedProxies;
    }

    void attempt(int attempt) {
        this.attempt = attempt;
    }

    @Override
    public boolean hasHashKey() {
        if (!hashed) {
            hashed = true;
            String value = keyValue();
            present = value != null;
            if (present) {
                hash = XxHash64.hash(value.getBytes(StandardCharsets.UTF_8), SEED);
            }
        }
        return present;
    }

    @Override
    public long hashKey() {
        if (!hasHashKey()) {
            throw new IllegalStateException("the request has no " + key);
        }
        return hash;
    }

    @Override
    public int attempt() {
        return attempt;
    }

    /** The text that is hashed, or null when the request does not carry it. */
    private String keyValue() {
        return switch (key.source()) {
            case CLIENT_IP -> ClientAddress.of(request, trustedProxies);
            case URI -> path(request.uri());
            case HEADER -> request.headers().get(key.name());
            case COOKIE -> cookie(request, key.name());
            case QUERY -> request.getParam(key.name());
        };
    }

    /** The path of the target, without its query: {@code /a/b?x=1} and {@code /a/b} are one key. */
    static String path(String uri) {
        String origin = BackendOrigin.originForm(uri);
        int query = origin.indexOf('?');
        return query < 0 ? origin : origin.substring(0, query);
    }

    private static String cookie(HttpServerRequest request, String name) {
        for (String header : request.headers().getAll(HttpHeaders.COOKIE)) {
            for (Cookie cookie : ServerCookieDecoder.LAX.decodeAll(header)) {
                if (cookie.name().equals(name)) {
                    return cookie.value();
                }
            }
        }
        return null;
    }
}
