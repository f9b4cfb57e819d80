package dev.fulcrum.proxy;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;

/**
 * The plain listener's answer under {@code tls.httpsRedirect}: 308, which keeps the method and body (a 301 turns a
 * POST into a GET in most clients), to the same host, path and query on the HTTPS listener.
 */
final class HttpsRedirect {

    private static final int HTTPS_PORT = 443;

    private HttpsRedirect() {
    }

    static void answer(HttpServerRequest request, int tlsPort) {
        HostAndPort asked = ClientAuthority.of(request);
        String host = asked != null ? asked.host() : request.localAddress().hostAddress();
        StringBuilder location = new StringBuilder("https://")
                .append(host.contains(":") ? "[" + host + "]" : host);
        if (tlsPort != HTTPS_PORT) {
            location.append(':').append(tlsPort);
        }
        location.append(request.path() == null ? "/" : request.path());
        if (request.query() != null) {
            location.append('?').append(request.query());
        }
        request.response()
                .setStatusCode(308)
                .putHeader(HttpHeaders.LOCATION, location.toString())
                .putHeader(HttpHeaders.CONTENT_LENGTH, "0")
                .end();
    }
}
