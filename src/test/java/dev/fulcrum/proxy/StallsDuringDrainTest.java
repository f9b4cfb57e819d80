package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.ResponsePump;
import dev.fulcrum.support.SocketReads;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.NetServer;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A stalled exchange does not hold a drain: its stall timeout cuts it, counted as cut off, leaving nothing behind. */
@ExtendWith(VertxExtension.class)
class StallsDuringDrainTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @RegisterExtension
    final OpenSockets sockets = new OpenSockets();

    /**
     * A backend stalling mid-body during a drain: it is cut after requestTimeout; the in-flight count is back
     * to 0, the backend's connection is closed, and the drain counts it as cut off, not finished.
     */
    @Test
    void backendStallCutDuringDrainIsCountedAsCutOffAndClosesTheBackendConnection(Vertx vertx) throws IOException {
        AtomicBoolean backendClosed = new AtomicBoolean();
        AtomicInteger served = new AtomicInteger();
        NetServer raw = vertx.createNetServer().connectHandler(so -> {
            so.closeHandler(v -> {
                if (served.get() > 0) {
                    backendClosed.set(true);
                }
            });
            so.handler(data -> {
                String text = data.toString(StandardCharsets.ISO_8859_1);
                if (text.toLowerCase().contains("user-agent: fulcrum-health-check")) {
                    so.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                } else if (text.startsWith("GET /stall")) {
                    served.incrementAndGet();
                    so.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
                }
            });
        });
        int port = raw.listen(0, "127.0.0.1").await().actualPort();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port)
                .put("requestTimeout", "500ms").put("clientIdleTimeout", "500ms").put("shutdownTimeout", "5s")
                .put("healthCheckInterval", "1h"));
        Socket socket = sockets.connect(fulcrum.port());
        socket.getOutputStream().write("GET /stall HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        assertTrue(SocketReads.head(in).startsWith("HTTP/1.1 200"));

        long start = System.nanoTime();
        Drained drained = fulcrum.shutdown().await();
        long took = (System.nanoTime() - start) / 1_000_000;

        assertEquals(new Drained(0, 1), drained);
        assertTrue(took < 3_000, "the stalled exchange held the drain for " + took + " ms");
        Await.until("the backend's connection is closed", WAIT, backendClosed::get);
        assertEquals(0, fulcrum.backends().all().get(0).inFlight());
    }

    /** A client stalling mid-upload during a drain: cut after clientIdleTimeout, counted as cut off, slot back. */
    @Test
    void clientStallCutDuringDrainIsCountedAsCutOff(Vertx vertx) throws IOException {
        AtomicInteger backendAborted = new AtomicInteger();
        AtomicInteger backendRequests = new AtomicInteger();
        TestBackend backend = TestBackend.start(vertx, "reader", req -> {
            backendRequests.incrementAndGet();
            req.exceptionHandler(error -> backendAborted.incrementAndGet());
            req.body().onSuccess(body -> req.response().end("got " + body.length()));
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("requestTimeout", "500ms")
                .put("clientIdleTimeout", "500ms").put("shutdownTimeout", "5s"));
        Socket socket = sockets.connect(fulcrum.port());
        socket.getOutputStream().write("POST /u HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789"
                .getBytes(StandardCharsets.ISO_8859_1));
        Await.until("the backend has the request", WAIT, () -> backendRequests.get() == 1);

        Drained drained = fulcrum.shutdown().await();

        assertEquals(new Drained(0, 1), drained);
        assertEquals(0, fulcrum.backends().all().get(0).inFlight());
        Await.until("the backend's request is ended too", WAIT, () -> backendAborted.get() == 1);
    }

    /** A client that never reads its large response, during a drain: cut, counted as cut off, backend closed. */
    @Test
    void clientThatNeverReadsCutDuringDrainIsCountedAsCutOff(Vertx vertx) throws IOException {
        Buffer chunk = Http.bytes(64 * 1024, 3);
        AtomicBoolean backendResponseClosed = new AtomicBoolean();
        TestBackend backend = TestBackend.start(vertx, "big", req -> {
            HttpServerResponse response = req.response().setChunked(true);
            response.closeHandler(v -> backendResponseClosed.set(true));
            new ResponsePump(chunk, 64L * 1024 * 1024).writeTo(response);
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("requestTimeout", "500ms")
                .put("clientIdleTimeout", "500ms").put("shutdownTimeout", "5s"));
        Socket socket = sockets.connect(fulcrum.port(), 16 * 1024);
        socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        Await.until("the exchange is in flight", WAIT, () -> fulcrum.backends().all().get(0).inFlight() == 1);

        Drained drained = fulcrum.shutdown().await();

        assertEquals(new Drained(0, 1), drained);
        assertEquals(0, fulcrum.backends().all().get(0).inFlight());
        Await.until("the backend's response is closed", WAIT, backendResponseClosed::get);
    }
}
