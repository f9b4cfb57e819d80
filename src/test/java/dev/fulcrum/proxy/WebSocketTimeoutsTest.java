package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.HealthProbes;
import dev.fulcrum.support.OpenSockets;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;

import static dev.fulcrum.support.RawWebSocket.handshake;
import static dev.fulcrum.support.RawWebSocket.readText;
import static dev.fulcrum.support.RawWebSocket.sendText;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The timeouts leave WebSockets alone: an open one is never idle by them, and a slow upgrade is waited for. */
@ExtendWith(VertxExtension.class)
class WebSocketTimeoutsTest {

    @RegisterExtension
    final OpenSockets sockets = new OpenSockets();

    /** A WebSocket idle for 1.2 s under 300 ms timeouts is not closed by them; frames still flow after. */
    @Test
    void idleWebSocketOutlivesBothTimeouts(Vertx vertx) throws IOException {
        HttpServer server = vertx.createHttpServer()
                .webSocketHandler(ws -> ws.handler(frame -> ws.writeTextMessage(frame.toString() + " (echo)")))
                .requestHandler(req -> req.response().end("probe"));
        server.listen(0, "127.0.0.1").await();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + server.actualPort())
                .put("requestTimeout", "300ms").put("clientIdleTimeout", "300ms").put("requestHeaderTimeout", "300ms"));
        Socket socket = sockets.connect(fulcrum.port());
        InputStream in = handshake(socket);
        sendText(socket, "one");
        assertEquals("one (echo)", readText(in));

        socket.setSoTimeout(1_200);
        try {
            int b = in.read();
            throw new AssertionError("the idle WebSocket was closed or got data: " + b);
        } catch (SocketTimeoutException stillOpen) {
            // idle, and still open
        }
        socket.setSoTimeout(5_000);
        sendText(socket, "two");
        assertEquals("two (echo)", readText(in));
    }

    /** A WebSocket handshake the backend answers after 700 ms (auth): not cut by clientIdleTimeout (300 ms). */
    @Test
    void slowWebSocketHandshakeIsNotCutByClientIdleTimeout(Vertx vertx) throws IOException {
        HttpServer server = vertx.createHttpServer()
                .requestHandler(HealthProbes.answered(req -> {
                    req.pause();
                    vertx.setTimer(700, id -> req.toWebSocket().onSuccess(ws ->
                            ws.handler(frame -> ws.writeTextMessage(frame.toString() + " (echo)"))));
                }));
        server.listen(0, "127.0.0.1").await();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + server.actualPort())
                .put("requestTimeout", "3s").put("clientIdleTimeout", "300ms"));
        Socket socket = sockets.connect(fulcrum.port());
        InputStream in = handshake(socket);
        sendText(socket, "late");
        assertEquals("late (echo)", readText(in));
    }
}
