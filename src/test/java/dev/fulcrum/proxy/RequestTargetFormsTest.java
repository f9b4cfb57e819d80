package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The request-target forms beyond a path (RFC 9112 §3.2): the asterisk form is forwarded as is, and an absolute
 * form's authority wins over the Host header.
 */
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
}
