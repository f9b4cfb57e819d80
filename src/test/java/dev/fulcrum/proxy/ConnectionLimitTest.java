package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code maxConnections}: beyond it new clients wait in the accept backlog, neither refused nor closed, and the
 * connections already open keep being served; each closing connection lets one waiting client in.
 */
@ExtendWith(VertxExtension.class)
class ConnectionLimitTest {

    private static final int MAX = 10;

    private final OpenSockets sockets = new OpenSockets();

    @AfterEach
    void closeSockets() throws IOException {
        sockets.close();
    }

    @Test
    void beyondMaxConnectionsNewClientsWaitUntilOneCloses(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "b");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("maxConnections", MAX));
        List<Socket> admitted = new ArrayList<>();
        for (int i = 0; i < MAX; i++) {
            Socket socket = sockets.connect(fulcrum.port());
            assertTrue(exchange(socket).startsWith("HTTP/1.1 200"));
            admitted.add(socket);
        }
        assertEquals(MAX, fulcrum.clientConnections());

        Socket waiting = sockets.connect(fulcrum.port());
        send(waiting);
        waiting.setSoTimeout(500);
        assertThrows(SocketTimeoutException.class, () -> waiting.getInputStream().read(),
                "a client beyond maxConnections waits, unanswered and not closed");
        for (Socket socket : admitted) {
            assertTrue(exchange(socket).startsWith("HTTP/1.1 200"), "open connections are served as before");
        }

        admitted.get(0).close();
        waiting.setSoTimeout(5_000);
        assertTrue(readResponse(waiting.getInputStream()).startsWith("HTTP/1.1 200"),
                "the waiting client is served once a connection closes");
        Await.until("the closed connection is counted out", Duration.ofSeconds(2),
                () -> fulcrum.clientConnections() == MAX);
        assertEquals(MAX + 1 + MAX, backend.requests());
    }

    private static void send(Socket socket) throws IOException {
        socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String exchange(Socket socket) throws IOException {
        send(socket);
        return readResponse(socket.getInputStream());
    }

    /** One response whose body is the backend's name, "b". */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder text = new StringBuilder();
        while (!(text.indexOf("\r\n\r\n") > 0 && text.toString().endsWith("b"))) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed after " + text);
            }
            text.append((char) c);
        }
        return text.toString();
    }
}
