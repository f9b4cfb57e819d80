package dev.fulcrum.proxy;

import dev.fulcrum.routing.RequestFacts;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/** A client's request as the route table reads it: made per request, and asked only for what some route needs. */
final class ClientRequestFacts implements RequestFacts {

    private final HttpServerRequest request;
    private final String path;

    /** {@code path}: the request's path as it is routed, without dot segments ({@link DotSegments}). */
    ClientRequestFacts(HttpServerRequest request, String path) {
        this.request = request;
        this.path = path;
    }

    /** An absolute-form target names the host itself, and wins over Host (RFC 9112 §3.2.2). */
    @Override
    public String host() {
        if (request.uri().startsWith("/")) {
            return request.headers().get(HttpHeaders.HOST);
        }
        return request.authority() == null ? null : request.authority().host();
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String method() {
        return request.method().name();
    }

    @Override
    public String header(String lowerCaseName) {
        return request.headers().get(lowerCaseName);
    }

    @Override
    public String queryParam(String name) {
        return request.params().get(name);
    }
}
