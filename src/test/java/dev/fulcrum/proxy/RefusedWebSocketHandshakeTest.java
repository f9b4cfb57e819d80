package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.ParsedResponse;
import dev.fulcrum.support.RawWebSocket;
import dev.fulcrum.support.SocketReads;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A WebSocket upgrade the backend refuses is an ordinary response, on an ordinary keep-alive connection. */
@ExtendWith(VertxExtension.class)
class RefusedWebSocketHandshakeTest {

    @RegisterExtension
    final OpenSockets sockets = new OpenSockets();

    /** A refused handshake is an ordinary HTTP response: its status, headers and body reach the client. */
    @Test
    void refusedWebSocketHandshakeReachesTheClientWithItsHeadersAndBody(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "login-first", req -> req.response()
                .setStatusCode(302).putHeader("location", "/login").putHeader("x-reason", "no session").end("log in first"));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Socket socket = sockets.connect(fulcrum.port());
        socket.getOutputStream().write(RawWebSocket.HANDSHAKE.getBytes(StandardCharsets.ISO_8859_1));

        ParsedResponse response = ParsedResponse.read(new BufferedInputStream(socket.getInputStream()), false);

        assertEquals(302, response.status(), response::toString);
        InFlight.awaitNone(fulcrum, "after a refused handshake");
        assertEquals("/login", response.header("location"), response::toString);
        assertEquals("no session", response.header("x-reason"), response::toString);
        assertEquals("log in first", response.body(), response::toString);
    }

    /** README: clientIdleTimeout closes "an idle keep-alive connection"; one whose handshake was refused is one. */
    @Test
    void connectionWhoseWebSocketHandshakeWasRefusedIsStillClosedWhenIdle(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "no-ws", req -> req.response().setStatusCode(404).end());
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("clientIdleTimeout", "300ms").put("requestHeaderTimeout", "300ms"));
        Socket socket = sockets.connect(fulcrum.port());
        socket.getOutputStream().write(RawWebSocket.HANDSHAKE.getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        ParsedResponse refused = ParsedResponse.read(in, false);
        assertEquals(404, refused.status(), refused::toString);
        assertNull(refused.header("connection"), "the connection is kept alive");

        socket.setSoTimeout(100);
        long started = System.nanoTime();
        Await.until("the idle keep-alive connection is closed (clientIdleTimeout 300 ms)", Duration.ofSeconds(3),
                () -> SocketReads.nextByte(in) == -1);
        long closedAfter = (System.nanoTime() - started) / 1_000_000;
        assertTrue(closedAfter < 2_000, "closed after " + closedAfter + " ms");
    }
}
