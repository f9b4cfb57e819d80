package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.ParsedResponse;
import dev.fulcrum.support.RawBackend;
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
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An exchange whose body stops moving is cut, whichever side went silent, and gives its slot and connection back. */
@ExtendWith(VertxExtension.class)
class StalledExchangesTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @RegisterExtension
    final OpenSockets sockets = new OpenSockets();

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

    /**
     * The same HTTP/1.0 client, with a backend that goes silent while the body is still being counted (its
     * head is not written yet): the exchange is cut off too, not held for ever.
     */
    @Test
    void http10ClientWhoseBackendStallsWhileTheBodyIsCountedIsCutOff(Vertx vertx) throws IOException {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", false));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port)
                .put("requestTimeout", "300ms").put("clientIdleTimeout", "300ms"));
        Socket socket = sockets.connect(fulcrum.port());
        socket.getOutputStream().write("GET /stall HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        socket.setSoTimeout(100);

        Await.until("the stalled exchange is cut off", Duration.ofSeconds(3), () -> SocketReads.nextByte(in) == -1);
        InFlight.awaitNone(fulcrum, "after a stall while counting");
    }

    /**
     * A backend that sends its headers and part of a body, then goes silent, holds the client, the in-flight
     * slot and a pooled connection for ever: requestTimeout covers only the wait for the headers and
     * clientIdleTimeout never cuts a request in progress. NGINX's proxy_read_timeout (60 s) and HAProxy's
     * timeout server apply between two reads of the body too; here the wait is bounded by requestTimeout.
     */
    @Test
    void backendStallingMidBodyIsCutOffAfterRequestTimeout(Vertx vertx) throws IOException {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789", false));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port)
                .put("requestTimeout", "500ms").put("clientIdleTimeout", "500ms"));
        Socket socket = sockets.connect(fulcrum.port());
        socket.getOutputStream().write("GET /stall HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        ParsedResponse head = ParsedResponse.read(in, true);
        assertEquals(200, head.status());
        assertEquals("0123456789", new String(in.readNBytes(10), StandardCharsets.ISO_8859_1));

        socket.setSoTimeout(100);
        Await.until("the stalled response is cut off and the client's connection closed", Duration.ofSeconds(3),
                () -> SocketReads.nextByte(in) == -1);
        InFlight.awaitNone(fulcrum, "after a stalled body");
    }

    /**
     * A client that sends its head and part of a declared body, then nothing (slow POST, R.U.D.Y.): the request
     * holds a backend connection, the backend's request (a thread, on many servers) and an in-flight slot for as
     * long as the client likes; requestHeaderTimeout covers only the head and clientIdleTimeout never cuts a
     * request in progress. NGINX answers 408 after client_body_timeout (60 s between two reads) and by default
     * buffers the body before the backend sees it; HAProxy cuts it after timeout client. Here every timeout is
     * 500 ms: the stalled upload must be cut within a few seconds.
     */
    @Test
    void clientStallingMidUploadIsCutOffAndGivesItsSlotBack(Vertx vertx) throws IOException {
        AtomicInteger backendRequests = new AtomicInteger();
        AtomicInteger backendAborted = new AtomicInteger();
        TestBackend backend = TestBackend.start(vertx, "reader", req -> {
            backendRequests.incrementAndGet();
            req.exceptionHandler(error -> backendAborted.incrementAndGet());
            req.body().onSuccess(body -> req.response().end("got " + body.length()));
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("requestTimeout", "500ms")
                .put("clientIdleTimeout", "500ms").put("requestHeaderTimeout", "500ms"));
        Socket socket = sockets.connect(fulcrum.port());
        socket.getOutputStream().write(("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
                .getBytes(StandardCharsets.ISO_8859_1));
        Await.until("the backend has the request", WAIT, () -> backendRequests.get() == 1);
        InputStream in = new BufferedInputStream(socket.getInputStream());
        socket.setSoTimeout(100);

        Await.until("the stalled upload is cut off (408, or the connection closed)", Duration.ofSeconds(3),
                () -> SocketReads.nextByte(in) != SocketReads.NOTHING_YET);
        InFlight.awaitNone(fulcrum, "after a stalled upload");
        Await.until("the backend's request is ended too", WAIT, () -> backendAborted.get() == 1);
    }

    /**
     * A client that asks for a large response and never reads it: the backend is held back (right), but for
     * ever, with its connection and the in-flight slot. NGINX closes such a client after send_timeout (60 s
     * between two writes), HAProxy after timeout client. Here every timeout is 500 ms.
     */
    @Test
    void clientThatNeverReadsItsResponseIsCutOffAndGivesItsSlotBack(Vertx vertx) throws IOException {
        Buffer chunk = Http.bytes(64 * 1024, 31);
        ResponsePump pump = new ResponsePump(chunk, 32L * 1024 * 1024);
        AtomicBoolean backendResponseClosed = new AtomicBoolean();
        TestBackend backend = TestBackend.start(vertx, "big", req -> {
            HttpServerResponse response = req.response().setChunked(true);
            response.closeHandler(v -> backendResponseClosed.set(true));
            pump.writeTo(response);
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("requestTimeout", "500ms")
                .put("clientIdleTimeout", "500ms").put("requestHeaderTimeout", "500ms"));
        Socket socket = sockets.connect(fulcrum.port());
        socket.setReceiveBufferSize(64 * 1024);
        socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        Await.until("the backend is held back", Duration.ofSeconds(10), pump::heldBack);

        Await.until("the client that reads nothing is cut off and the backend's response with it (written "
                + pump.written() + " bytes)", Duration.ofSeconds(3), backendResponseClosed::get);
        InFlight.awaitNone(fulcrum, "after a client that never read");
    }
}
