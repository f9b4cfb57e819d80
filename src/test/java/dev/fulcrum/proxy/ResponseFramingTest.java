package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.ParsedResponse;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Responses without a body, or delimited by the close of the connection, are framed right for the client,
 * so that the next response on a keep-alive connection is read from its first byte.
 */
@ExtendWith(VertxExtension.class)
class ResponseFramingTest {

    private static final String CLOSE = "Connection: close\r\n";

    private final OpenSockets sockets = new OpenSockets();

    @AfterEach
    void closeSockets() throws IOException {
        sockets.close();
    }

    /** The proxy's own error responses to HEAD carry no body, so the next response on the connection is intact. */
    @Test
    void proxyErrorResponsesToHeadHaveNoBody(Vertx vertx) throws IOException {
        TestBackend closing = TestBackend.start(vertx, "closing");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(closing).put("consecutiveFailures", 100));
        closing.stop();
        Socket socket = sockets.connect(fulcrum.port());
        socket.getOutputStream().write(("HEAD /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /2 HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());

        ParsedResponse head = ParsedResponse.read(in, true);
        ParsedResponse get = ParsedResponse.read(in, false);

        assertTrue(head.status() >= 500, head::toString);
        assertTrue(get.status() >= 500, get::toString);
        assertTrue(get.body().startsWith("backend refused") || get.body().startsWith("no healthy"), get::toString);
        assertEquals(-1, in.read(), "nothing follows the last response");
    }
}
