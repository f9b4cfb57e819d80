package dev.fulcrum.proxy;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;

/**
 * The host the client asked for. A request target in absolute form ({@code GET http://host/path}) names it, and
 * then the Host header is ignored (RFC 9112 §3.2.2); otherwise it is the Host header. Null when neither
 * gives a valid one.
 */
final class ClientAuthority {

    private ClientAuthority() {
    }

    static HostAndPort of(HttpServerRequest request) {
        String target = request.uri();
        if (!absoluteForm(target)) {
            return request.authority();
        }
        int scheme = target.indexOf("://");
        int start = scheme + 3;
        int end = start;
        while (end < target.length() && "/?#".indexOf(target.charAt(end)) < 0) {
            end++;
        }
        int defaultPort = target.regionMatches(true, 0, "https", 0, scheme) && scheme == 5 ? 443 : 80;
        return HostAndPort.parseAuthority(target.substring(start, end), defaultPort);
    }

    /**
     * Whether {@code host}, the request's single Host header, is a valid authority. For the usual origin-form
     * target that is Vert.x's own parse of it, which {@link #of} uses too; only an absolute target needs another.
     */
    static boolean validHost(HttpServerRequest request, String host) {
        return absoluteForm(request.uri()) ? HostAndPort.parseAuthority(host, -1) != null : request.authority() != null;
    }

    private static boolean absoluteForm(String target) {
        return !target.startsWith("/") && target.contains("://");
    }
}
