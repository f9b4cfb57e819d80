package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class SlowClientsTest {

    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void closeSockets() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    private Socket connect(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(5_000);
        sockets.add(socket);
        return socket;
    }

    @Test
    void idleAndHalfSentConnectionsNeitherSlowOthersNorStayForever(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "b");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestHeaderTimeout", "500ms").put("clientIdleTimeout", "2s"));
        Http http = new Http(vertx, fulcrum.port());
        http.get("/").await();
        for (int i = 0; i < 200; i++) {
            connect(fulcrum.port());
        }
        List<Socket> halfSent = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Socket socket = connect(fulcrum.port());
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: slow\r\nX-Pending: ".getBytes(StandardCharsets.ISO_8859_1));
            halfSent.add(socket);
        }
        long started = System.nanoTime();

        for (int i = 0; i < 20; i++) {
            long requestStarted = System.nanoTime();
            assertEquals(200, http.get("/").await().status());
            long millis = (System.nanoTime() - requestStarted) / 1_000_000;
            assertTrue(millis < 100, "a normal request took " + millis + " ms");
        }
        for (Socket socket : halfSent) {
            assertEquals(-1, readByte(socket), "a half-sent request head is closed without an answer");
        }
        long closedAfter = (System.nanoTime() - started) / 1_000_000;
        assertTrue(closedAfter >= 400 && closedAfter < 2_000, "closed after " + closedAfter + " ms");
        assertEquals(21, backend.requests(), "no half-sent request reached the backend");
    }

    @Test
    void idleKeepAliveConnectionIsClosedAfterClientIdleTimeoutButASlowBackendIsWaitedFor(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "slow", req -> vertx.setTimer(700, t -> req.response().end("late")));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestHeaderTimeout", "300ms").put("clientIdleTimeout", "300ms"));
        Socket socket = connect(fulcrum.port());

        long started = System.nanoTime();
        socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        String response = readUntil(socket.getInputStream(), "late");
        long answeredAfter = (System.nanoTime() - started) / 1_000_000;
        assertTrue(response.startsWith("HTTP/1.1 200"), response);
        assertTrue(answeredAfter >= 700, "the request outlived both timeouts: " + answeredAfter + " ms");

        Await.until("the idle keep-alive connection is closed", Duration.ofSeconds(3), () -> readByte(socket) == -1);
    }

    private static int readByte(Socket socket) {
        try {
            return socket.getInputStream().read();
        } catch (SocketTimeoutException e) {
            return -2;
        } catch (IOException e) {
            return -1;
        }
    }

    private static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder text = new StringBuilder();
        while (!text.toString().endsWith(end)) {
            int c = in.read();
            if (c < 0) {
                throw new AssertionError("closed early; got " + text);
            }
            text.append((char) c);
        }
        return text.toString();
    }
}
