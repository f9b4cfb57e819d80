package dev.fulcrum.admin;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The admin endpoints speak HTTP: HEAD answers like GET, unknown paths are 404, other methods 405 with Allow. */
@ExtendWith(VertxExtension.class)
class AdminMethodsTest {

    /** RFC 9110 §9.1: "All general-purpose servers MUST support the methods GET and HEAD." */
    @Test
    void headOnTheProbeEndpointsAnswersLikeGet(Vertx vertx) {
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(TestBackend.start(vertx, "a")));
        Http admin = new Http(vertx, fulcrum.adminPort());

        assertEquals(new Http.Reply(200, ""), admin.send(HttpMethod.HEAD, "/health/live").await(), "HEAD /health/live");
        assertEquals(new Http.Reply(200, ""), admin.send(HttpMethod.HEAD, "/health/ready").await(), "HEAD /health/ready");
    }

    /** An unknown path is 404; a known path with a method it does not take is 405 with Allow (RFC 9110 §15.5.6). */
    @Test
    void unknownAdminPathIs404AndWrongMethodIs405WithAllow(Vertx vertx) {
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(TestBackend.start(vertx, "a")));
        int port = fulcrum.adminPort();

        assertEquals(404, new Http(vertx, port).get("/nope").await().status());
        assertEquals(404, new Http(vertx, port).get("/health").await().status());
        RawHttp.Response post = RawHttp.send(port, "POST /health/ready HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        assertEquals(405, post.status());
        assertNotNull(post.header("allow"), "a 405 must say which methods are allowed: " + post.headers());
        assertTrue(post.header("allow").contains("GET"), post.headers().toString());
        RawHttp.Response delete = RawHttp.send(port, "DELETE /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(405, delete.status());
    }
}
