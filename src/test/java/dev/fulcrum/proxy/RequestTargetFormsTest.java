package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Request targets beyond a path (RFC 9112 §3.2): {@code *} is forwarded as is; an absolute form's authority wins. */
@ExtendWith(VertxExtension.class)
class RequestTargetFormsTest {

    private static final String CLOSE = "Connection: close\r\n";

    /** RFC 9112 §3.2.4: the asterisk form is forwarded as is. */
    @Test
    void optionsAsteriskReachesTheBackendAsAsterisk(Vertx vertx) {
        Queue<String> seen = new ConcurrentLinkedQueue<>();
        TestBackend backend = TestBackend.start(vertx, "options", req -> {
            seen.add(req.method() + " " + req.uri());
            req.response().putHeader("allow", "GET, POST, OPTIONS").end();
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "OPTIONS * HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n");

        assertEquals(200, response.status(), response::toString);
        assertEquals("GET, POST, OPTIONS", response.header("allow"));
        assertEquals(List.of("OPTIONS *"), List.copyOf(seen));
    }

    /**
     * A request target in absolute form names the host: RFC 9112 §3.2.2 says the Host header is then ignored
     * and replaced by the target's authority. The backend (preserveHost) and X-Forwarded-Host must agree with
     * the path that is forwarded.
     */
    @Test
    void absoluteFormTargetsAuthorityWinsOverTheHostHeader(Vertx vertx) {
        AtomicReference<MultiMap> seen = new AtomicReference<>();
        AtomicReference<String> uri = new AtomicReference<>();
        TestBackend backend = TestBackend.start(vertx, "rec", req -> {
            seen.set(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
            uri.set(req.uri());
            req.response().end("ok");
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        RawHttp.Response response = RawHttp.send(fulcrum.port(),
                "GET http://other.example:8443/p?q=1 HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n");

        assertEquals(200, response.status());
        assertEquals("/p?q=1", uri.get());
        assertAll(
                () -> assertEquals("other.example:8443", seen.get().get("host"), "Host seen by the backend"),
                () -> assertEquals("other.example:8443", seen.get().get("x-forwarded-host"), "X-Forwarded-Host"));
    }
}
