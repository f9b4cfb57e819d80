package dev.fulcrum.proxy;

import dev.fulcrum.config.FulcrumConfig;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyResponse;

import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * What crosses the proxy besides the message itself. Hop-by-hop headers (RFC 9110 §7.6.1), the fixed list and
 * every header a Connection header names, stop here in both directions; the backend learns who the client is
 * from X-Forwarded-* or RFC 7239 Forwarded, as configured. While the listener drains, responses say
 * {@code Connection: close}.
 */
final class Forwarding implements ProxyInterceptor {

    private static final CharSequence PROXY_CONNECTION = HttpHeaders.createOptimized("proxy-connection");
    /** The fixed list, as pre-hashed names: this runs twice per request. */
    private static final List<CharSequence> HOP_BY_HOP = Stream.of("keep-alive", "te", "trailer",
                    "transfer-encoding", "proxy-authorization", "proxy-authenticate")
            .map(HttpHeaders::createOptimized).toList();
    /** A WebSocket handshake needs these two to reach the backend, and its 101 to reach the client. */
    private static final Set<String> WEBSOCKET_HANDSHAKE = Set.of("connection", "upgrade");
    private static final CharSequence X_FORWARDED_FOR = HttpHeaders.createOptimized("x-forwarded-for");
    private static final CharSequence X_FORWARDED_PROTO = HttpHeaders.createOptimized("x-forwarded-proto");
    private static final CharSequence X_FORWARDED_PORT = HttpHeaders.createOptimized("x-forwarded-port");
    private static final CharSequence X_FORWARDED_HOST = HttpHeaders.createOptimized("x-forwarded-host");
    private static final CharSequence FORWARDED = HttpHeaders.createOptimized("forwarded");

    private final Supplier<Routing> routing;
    private final Exchanges exchanges;

    Forwarding(Supplier<Routing> routing, Exchanges exchanges) {
        this.routing = routing;
        this.exchanges = exchanges;
    }

    @Override
    public Future<ProxyResponse> handleProxyRequest(ProxyContext ctx) {
        MultiMap headers = ctx.request().headers();
        if (ctx.isWebSocket()) {
            removeHopByHop(headers, true);
        } else {
            // vertx-http-proxy drops the rest of the fixed list itself when it copies the request.
            removeConnectionListed(headers, false);
            headers.remove(PROXY_CONNECTION);
        }
        addForwarded(ctx.request().proxiedRequest(), headers, routing.get().config().forwardedHeaders());
        return ctx.sendRequest();
    }

    @Override
    public Future<Void> handleProxyResponse(ProxyContext ctx) {
        ProxyResponse response = ctx.response();
        boolean handshake = ctx.isWebSocket() && response.getStatusCode() == 101;
        removeHopByHop(response.headers(), handshake);
        // The proxy stamps its own Date (ResponseWriter), as NGINX does. Where vertx-http-proxy sends the response
        // (a Warning), a Date left here would cost a parse, once the largest single cost in the profile.
        response.headers().remove(HttpHeaders.DATE);
        HttpServerRequest client = ctx.request().proxiedRequest();
        // On HTTP/2 the listener's shutdown says it with a GOAWAY; a Connection header is malformed there.
        if (exchanges.draining() && !handshake && client.version() != HttpVersion.HTTP_2) {
            exchanges.toldToClose(client.connection());
            // Set last, as the head is written: Vert.x itself writes "keep-alive" to an HTTP/1.0 client that asked.
            client.response().headersEndHandler(head -> client.response().headers().set(HttpHeaders.CONNECTION, HttpHeaders.CLOSE));
        }
        return ctx.sendResponse();
    }

    static void removeHopByHop(MultiMap headers, boolean keepHandshake) {
        removeConnectionListed(headers, keepHandshake);
        headers.remove(PROXY_CONNECTION);
        for (CharSequence name : HOP_BY_HOP) {
            headers.remove(name);
        }
        if (!keepHandshake) {
            headers.remove(HttpHeaders.CONNECTION);
            headers.remove(HttpHeaders.UPGRADE);
        }
    }

    private static void removeConnectionListed(MultiMap headers, boolean keepHandshake) {
        if (!headers.contains(HttpHeaders.CONNECTION)) {
            return;
        }
        for (String listed : headers.getAll(HttpHeaders.CONNECTION)) {
            for (String token : listed.split(",")) {
                String name = token.trim();
                if (!name.isEmpty() && !(keepHandshake && WEBSOCKET_HANDSHAKE.contains(name.toLowerCase()))) {
                    headers.remove(name);
                }
            }
        }
    }

    private static void addForwarded(HttpServerRequest client, MultiMap headers, FulcrumConfig.ForwardedHeaders mode) {
        if (mode == FulcrumConfig.ForwardedHeaders.NONE) {
            return;
        }
        String clientAddress = client.remoteAddress().hostAddress();
        String proto = client.isSSL() ? "https" : "http";
        HostAndPort host = ClientAuthority.of(client);
        if (mode.xForwarded()) {
            headers.set(X_FORWARDED_FOR, appended(headers, X_FORWARDED_FOR, clientAddress));
            headers.set(X_FORWARDED_PROTO, proto);
            headers.set(X_FORWARDED_PORT, Integer.toString(client.localAddress().port()));
            if (host != null) {
                headers.set(X_FORWARDED_HOST, host.toString());
            } else {
                headers.remove(X_FORWARDED_HOST); // an HTTP/1.0 request without Host: never the client's own
            }
        }
        if (mode.forwarded()) {
            StringBuilder element = new StringBuilder("for=").append(nodeName(clientAddress)).append(";proto=").append(proto);
            if (host != null) {
                element.append(";host=").append(quotedIfNeeded(host.toString()));
            }
            headers.set(FORWARDED, appended(headers, FORWARDED, element.toString()));
        }
    }

    /** Appends to a list header, however many lines the client split it into. */
    private static String appended(MultiMap headers, CharSequence name, String value) {
        if (!headers.contains(name)) {
            return value;
        }
        return String.join(", ", headers.getAll(name)) + ", " + value;
    }

    /** RFC 7239 §6: an IPv6 address is bracketed and, like any value with a colon, quoted. */
    private static String nodeName(String address) {
        return address.contains(":") ? "\"[" + address + "]\"" : address;
    }

    private static String quotedIfNeeded(String value) {
        return value.chars().allMatch(c -> Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0)
                ? value : "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
