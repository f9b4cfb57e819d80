package dev.fulcrum.app;

import dev.fulcrum.proxy.Drained;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.SocketReads;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A drain ends client connections the HTTP way: Connection: close, nothing after it, idle ones after shutdownDelay. */
@ExtendWith(VertxExtension.class)
class DrainingConnectionsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /**
     * README: requests in flight finish and "responses carry Connection: close"; after the response the
     * keep-alive connection itself is closed by Fulcrum (nothing else may be sent on it).
     */
    @Test
    void keepAliveConnectionWithARequestInFlightGetsConnectionCloseAndIsThenClosed(Vertx vertx) throws IOException {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(500, t -> req.response().end("done")));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(slow));
        try (Socket socket = new Socket("127.0.0.1", fulcrum.port())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            Await.until("the request reached the backend", WAIT, () -> slow.requests() == 1);

            Future<Drained> shutdown = fulcrum.shutdown();

            String head = SocketReads.until(socket.getInputStream(), "\r\n\r\ndone");
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            assertTrue(head.toLowerCase().contains("\r\nconnection: close\r\n"), head);
            assertEquals(-1, socket.getInputStream().read(), "Fulcrum closes the connection after the response");
            assertEquals(new Drained(1, 0), shutdown.await());
        }
    }

    /**
     * README: requests in flight finish and "responses carry Connection: close". An HTTP/1.0 client that asked
     * for keep-alive must be told close too (RFC 9112 Appendix C.2.2), not "keep-alive" on a connection that is
     * then closed under it.
     */
    @Test
    void http10KeepAliveClientInFlightAtTheDrainIsToldConnectionClose(Vertx vertx) {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(500, t -> req.response().end("done")));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(slow));
        Future<RawHttp.Response> response = vertx.executeBlocking(() -> RawHttp.send(fulcrum.port(),
                "GET / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"), false);
        Await.until("the request reached the backend", WAIT, () -> slow.requests() == 1);

        Future<Drained> shutdown = fulcrum.shutdown();

        RawHttp.Response got = response.await();
        assertEquals(200, got.status());
        assertEquals("done", got.body());
        assertEquals("close", got.header("connection"), "told keep-alive while draining: " + got.headers());
        assertTrue(got.closed());
        assertEquals(new Drained(1, 0), shutdown.await());
    }

    /**
     * RFC 9112 §9.6: a server that sends "Connection: close" "MUST NOT process any further requests received on
     * that connection". A client that pipelined a second request behind one in flight when the drain starts gets
     * the first answered with close, and must be able to retry the second elsewhere without it having run.
     */
    @Test
    void pipelinedRequestBehindTheOneInFlightIsNotForwardedAfterConnectionClose(Vertx vertx) {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(500, t -> req.response().end("done " + req.path())));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(slow));
        Future<List<RawHttp.Response>> responses = vertx.executeBlocking(() -> RawHttp.exchange(fulcrum.port(),
                "GET /first HTTP/1.1\r\nHost: x\r\n\r\nPOST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 2), false);
        Await.until("the first request reached the backend", WAIT, () -> slow.requests() == 1);

        fulcrum.shutdown().await();

        List<RawHttp.Response> got = responses.await();
        assertEquals("done /first", got.get(0).body());
        assertEquals("close", got.get(0).header("connection"));
        assertEquals(1, slow.requests(), "the pipelined POST was forwarded after the response that said close");
        assertEquals(1, got.size(), "a response followed the one that said Connection: close");
    }

    /**
     * README: during shutdownDelay Fulcrum keeps accepting (Kubernetes endpoint propagation). A request that
     * arrives on an already open keep-alive connection during the delay is served, and once the delay is over
     * that now idle connection is closed.
     */
    @Test
    void keepAliveRequestDuringShutdownDelayIsServedAndTheIdleConnectionClosesAfterTheDelay(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "b");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("shutdownDelay", "700ms"));
        try (Socket socket = new Socket("127.0.0.1", fulcrum.port())) {
            socket.setSoTimeout(5_000);
            InputStream in = socket.getInputStream();
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertTrue(SocketReads.until(in, "\r\n\r\nb").startsWith("HTTP/1.1 200"));

            Future<Drained> shutdown = fulcrum.shutdown();
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            String second = SocketReads.until(in, "\r\n\r\nb");
            assertTrue(second.startsWith("HTTP/1.1 200"), "served during shutdownDelay: " + second);
            assertFalse(shutdown.isComplete());

            shutdown.await();
            assertEquals(-1, in.read(), "the idle keep-alive connection is closed once the delay is over");
        }
    }
}
