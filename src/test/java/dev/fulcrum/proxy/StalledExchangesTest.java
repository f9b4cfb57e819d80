package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.OpenSockets;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An exchange whose body stops moving is cut off, whichever side went silent (after requestTimeout for a
 * backend, clientIdleTimeout for a client), and gives back its in-flight slot and backend connection.
 */
@ExtendWith(VertxExtension.class)
class StalledExchangesTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private final OpenSockets sockets = new OpenSockets();

    @AfterEach
    void closeSockets() throws IOException {
        sockets.close();
    }

    /**
     * An HTTP/1.0 client (the proxy counts a body of unknown length before sending anything) whose backend sends
     * its headers and 10 bytes, then nothing: the backend is silent mid-body, so the exchange must end after
     * requestTimeout like any other stalled body, not hold the client, the backend connection and the in-flight
     * slot for ever.
     */
    @Test
    void http10ClientWhoseBackendStallsMidBodyIsCutAfterRequestTimeout(Vertx vertx) throws IOException {
        AtomicBoolean backendClosed = new AtomicBoolean();
        NetServer raw = vertx.createNetServer().connectHandler(so -> so.handler(data -> {
            String text = data.toString(StandardCharsets.ISO_8859_1);
            if (text.toLowerCase().contains("user-agent: fulcrum-health-check")) {
                so.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            } else if (text.startsWith("GET /stall")) {
                so.closeHandler(v -> backendClosed.set(true));
                so.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n");
            }
        }));
        int port = raw.listen(0, "127.0.0.1").await().actualPort();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port)
                .put("requestTimeout", "500ms").put("clientIdleTimeout", "500ms").put("healthCheckInterval", "1h"));
        Socket socket = sockets.connect(fulcrum.port());
        socket.getOutputStream().write("GET /stall HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        socket.setSoTimeout(3_000);

        String received;
        try {
            received = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (SocketTimeoutException e) {
            throw new AssertionError("3 s after the backend went silent mid-body the HTTP/1.0 client is still held"
                    + " (in flight: " + fulcrum.backends().all().get(0).inFlight() + ")");
        }
        assertTrue(!received.startsWith("HTTP/1.1 200") || !received.contains("Content-Length: 10"),
                "a cut body passed off as complete: " + received);
        Await.until("nothing in flight", WAIT, () -> fulcrum.backends().all().get(0).inFlight() == 0);
        Await.until("the backend connection is closed", WAIT, backendClosed::get);
    }
}
