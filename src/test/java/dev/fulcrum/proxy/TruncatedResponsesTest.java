package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.RawBackend;
import dev.fulcrum.support.RawHttp;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A response the backend cuts short never passes for complete: it arrives unterminated, or as Fulcrum's own 502. */
@ExtendWith(VertxExtension.class)
class TruncatedResponsesTest {

    private static final String CLOSE = "Connection: close\r\n";

    /**
     * A chunked response cut short by the backend must reach the client unterminated (no last chunk) and its
     * keep-alive connection must close: a terminated body would pass off a truncated response as whole
     * (RFC 9112 §8: an incomplete message must not be presented as complete).
     */
    @Test
    void backendDyingMidChunkedBodyIsNotPassedOffAsCompleteOnAKeepAliveConnection(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> requestLine.contains("/cut")
                ? new RawBackend.Reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", true)
                : new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port).put("consecutiveFailures", 100));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /cut HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /next HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 2);

        assertEquals(0, responses.get(0).status(), () -> "the client must see an incomplete response, got " + responses);
        assertTrue(responses.get(0).closed(), "the client's connection is closed");
        assertEquals(1, responses.size(), "nothing is answered after the cut response");
        InFlight.awaitNone(fulcrum, "after a cut chunked body");
    }

    /** The same for a Content-Length body, on a keep-alive client connection with a pipelined request behind it. */
    @Test
    void backendDyingMidContentLengthBodyClosesAKeepAliveClientConnection(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> requestLine.contains("/cut")
                ? new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", true)
                : new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port).put("consecutiveFailures", 100));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /cut HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /next HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 2);

        assertEquals(0, responses.get(0).status(), () -> "the client must see an incomplete response, got " + responses);
        assertTrue(responses.get(0).closed(), "the client's connection is closed");
        InFlight.awaitNone(fulcrum, "after a cut Content-Length body");
    }

    @Test
    void backendClosingInsideAContentLengthBodyIsNotPassedOffAsComplete(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply(
                "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + "0123456789", true));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port).put("consecutiveFailures", 100));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET /cut HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n");

        assertEquals(0, response.status(), () -> "the client must see a truncated response, got " + response);
        assertTrue(response.closed(), "the client's connection is closed");
        InFlight.awaitNone(fulcrum, "after the backend cut its body");
    }

    /**
     * An HTTP/1.0 client of a chunked response that the backend cuts short while the proxy is still counting it
     * (under 64 KiB): the client must not be told the response is complete. Nothing has been sent yet, so a 502
     * is a fine answer, but it is the proxy's own: it must not carry the backend's Set-Cookie or a
     * "Cache-Control: public, max-age=3600" that lets a shared cache keep the 502 for an hour (RFC 9111 §3).
     */
    @Test
    void http10ClientWhoseBackendDiesWhileTheBodyIsCountedGetsAClean502(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                + "Set-Cookie: session=abc\r\nCache-Control: public, max-age=3600\r\n\r\n5\r\nhello\r\n", true));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port).put("consecutiveFailures", 100));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET /cut HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");

        assertNotEquals(200, response.status(), () -> "a cut body passed off as complete: " + response);
        if (response.status() != 0) {
            assertEquals(502, response.status(), response::toString);
            assertNull(response.header("set-cookie"), () -> "the proxy's own 502 carries the backend's headers: " + response);
            assertNull(response.header("cache-control"), () -> "the proxy's own 502 carries the backend's headers: " + response);
        }
        InFlight.awaitNone(fulcrum, "after an HTTP/1.0 client's cut response");
    }
}
