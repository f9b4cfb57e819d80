package dev.fulcrum.proxy;

import dev.fulcrum.config.FulcrumConfig;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyResponse;

import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What crosses the proxy besides the message itself. Hop-by-hop headers (RFC 9110 §7.6.1), the fixed list and
 * every header a Connection header names, stop here in both directions; the backend learns who the client is
 * from X-Forwarded-* or RFC 7239 Forwarded, as configured. While the listener drains, responses say
 * {@code Connection: close}.
 */
final class Forwarding implements ProxyInterceptor {

    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate");
    /** A WebSocket handshake needs these two to reach the backend, and its 101 to reach the client. */
    private static final Set<String> WEBSOCKET_HANDSHAKE = Set.of("connection", "upgrade");

    private final Supplier<Routing> routing;
    private final BooleanSupplier draining;

    Forwarding(Supplier<Routing> routing, BooleanSupplier draining) {
        this.routing = routing;
        this.draining = draining;
    }

    @Override
    public Future<ProxyResponse> handleProxyRequest(ProxyContext ctx) {
        MultiMap headers = ctx.request().headers();
        removeHopByHop(headers, ctx.isWebSocket());
        addForwarded(ctx.request().proxiedRequest(), headers, routing.get().config().forwardedHeaders());
        return ctx.sendRequest();
    }

    @Override
    public Future<Void> handleProxyResponse(ProxyContext ctx) {
        ProxyResponse response = ctx.response();
        boolean handshake = ctx.isWebSocket() && response.getStatusCode() == 101;
        removeHopByHop(response.headers(), handshake);
        if (draining.getAsBoolean() && !handshake) {
            response.headers().set(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
        return ctx.sendResponse();
    }

    static void removeHopByHop(MultiMap headers, boolean keepHandshake) {
        for (String listed : headers.getAll(HttpHeaders.CONNECTION)) {
            for (String token : listed.split(",")) {
                String name = token.trim();
                if (!name.isEmpty() && !(keepHandshake && WEBSOCKET_HANDSHAKE.contains(name.toLowerCase()))) {
                    headers.remove(name);
                }
            }
        }
        for (String name : HOP_BY_HOP) {
            if (!(keepHandshake && WEBSOCKET_HANDSHAKE.contains(name))) {
                headers.remove(name);
            }
        }
    }

    private static void addForwarded(HttpServerRequest client, MultiMap headers, FulcrumConfig.ForwardedHeaders mode) {
        if (mode == FulcrumConfig.ForwardedHeaders.NONE) {
            return;
        }
        String clientAddress = client.remoteAddress().hostAddress();
        String proto = client.isSSL() ? "https" : "http";
        HostAndPort host = client.authority();
        if (mode.xForwarded()) {
            headers.set("x-forwarded-for", appended(headers.getAll("x-forwarded-for"), clientAddress));
            headers.set("x-forwarded-proto", proto);
            headers.set("x-forwarded-port", Integer.toString(client.localAddress().port()));
            if (host != null) {
                headers.set("x-forwarded-host", host.toString());
            }
        }
        if (mode.forwarded()) {
            StringBuilder element = new StringBuilder("for=").append(nodeName(clientAddress)).append(";proto=").append(proto);
            if (host != null) {
                element.append(";host=").append(quotedIfNeeded(host.toString()));
            }
            headers.set("forwarded", appended(headers.getAll("forwarded"), element.toString()));
        }
    }

    private static String appended(List<String> earlier, String value) {
        return earlier.isEmpty() ? value : String.join(", ", earlier) + ", " + value;
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
