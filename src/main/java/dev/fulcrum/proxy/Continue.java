package dev.fulcrum.proxy;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.httpproxy.ProxyContext;

/**
 * {@code Expect: 100-continue} (RFC 9110 §10.1.1): the client sends its body only after a {@code 100 Continue}.
 * Fulcrum answers the expectation itself, once it is about to read the body (a backend is chosen and
 * connected, or the body limit needs to see it), as NGINX does; backends then see a plain request. A request
 * refused before that (no healthy backend, a declared length over the limit) never makes the client upload.
 */
final class Continue {

    private Continue() {
    }

    /** Sends the 100 if the client waits for one; the expectation is then met, so a second call does nothing. */
    static void ifExpected(ProxyContext ctx) {
        String expect = ctx.request().headers().get(HttpHeaders.EXPECT);
        if (expect == null) {
            return;
        }
        ctx.request().headers().remove(HttpHeaders.EXPECT);
        HttpServerRequest client = ctx.request().proxiedRequest();
        // HTTP/1.0 clients do not know 1xx responses (§15.2); other expectations are not ours to meet.
        if (client.version() == HttpVersion.HTTP_1_1 && expect.equalsIgnoreCase("100-continue") && !client.isEnded()) {
            client.response().writeContinue();
        }
    }
}
