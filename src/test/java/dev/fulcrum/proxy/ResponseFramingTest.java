package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.ParsedResponse;
import dev.fulcrum.support.RawBackend;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bodyless and close-delimited responses are framed right, so that the next one on the connection reads right. */
@ExtendWith(VertxExtension.class)
class ResponseFramingTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String CLOSE = "Connection: close\r\n";

    @RegisterExtension
    final OpenSockets sockets = new OpenSockets();

    @Test
    void headAnd204And304ResponsesAreFramedRightOnAKeepAliveConnection(Vertx vertx) throws IOException {
        int port = RawBackend.start(vertx, requestLine -> switch (requestLine.split(" ")[1]) {
            case "/head-length" -> new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", false);
            case "/head-chunked" -> new RawBackend.Reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false);
            case "/204" -> new RawBackend.Reply("HTTP/1.1 204 No Content\r\n\r\n", false);
            case "/304" -> new RawBackend.Reply("HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 1234\r\n\r\n", false);
            default -> new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nafter", false);
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port));
        String requests = "HEAD /head-length HTTP/1.1\r\nHost: x\r\n\r\n"
                + "HEAD /head-chunked HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /204 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /304 HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"v1\"\r\n\r\n"
                + "GET /after HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n";

        InputStream in = new ByteArrayInputStream(exchangeUntilClose(fulcrum.port(), requests));
        List<ParsedResponse> responses = new ArrayList<>();
        for (boolean bodyless : new boolean[]{true, true, true, true, false}) {
            responses.add(ParsedResponse.read(in, bodyless));
        }

        assertEquals(List.of(200, 200, 204, 304, 200), responses.stream().map(ParsedResponse::status).toList(), responses::toString);
        assertEquals("1234", responses.get(0).header("content-length"), "HEAD keeps the length it announces");
        assertNull(responses.get(2).header("transfer-encoding"), "a 204 has no body framing");
        assertNull(responses.get(3).header("transfer-encoding"), "a 304 has no body framing");
        assertEquals("after", responses.get(4).body());
        assertEquals(-1, in.read(), "nothing follows the last response");
        InFlight.awaitNone(fulcrum, "after HEAD, 204 and 304");
    }

    @Test
    void readUntilCloseResponsesArriveWholeAndTheSlotIsReturned(Vertx vertx) {
        String body = "0123456789abcdef".repeat(8 * 1024); // 128 KiB
        int port = RawBackend.start(vertx, requestLine -> requestLine.contains("/http10")
                ? new RawBackend.Reply("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body, true)
                : new RawBackend.Reply("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + body, true));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port));

        for (String path : List.of("/http11-close", "/http10", "/http11-close", "/http10")) {
            RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n");
            assertEquals(200, response.status(), path);
            assertEquals(body.length(), response.body().length(), path);
            assertEquals(body, response.body(), path);
        }
        // And on a keep-alive client connection, the next request still gets its own response.
        List<RawHttp.Response> both = RawHttp.exchange(fulcrum.port(), "GET /http10 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /http11-close HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 2);
        assertEquals(List.of(200, 200), both.stream().map(RawHttp.Response::status).toList());
        assertEquals(body, both.get(1).body());
        InFlight.awaitNone(fulcrum, "after read-until-close responses");
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

    /** Sends {@code requests} on a new connection and returns every byte received until the server closes it. */
    private byte[] exchangeUntilClose(int port, String requests) throws IOException {
        Socket socket = sockets.connect(port);
        socket.getOutputStream().write(requests.getBytes(StandardCharsets.ISO_8859_1));
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        long deadline = System.nanoTime() + WAIT.toNanos();
        byte[] buffer = new byte[8192];
        socket.setSoTimeout(200);
        while (System.nanoTime() < deadline) {
            try {
                int n = socket.getInputStream().read(buffer);
                if (n < 0) {
                    return all.toByteArray();
                }
                all.write(buffer, 0, n);
            } catch (SocketTimeoutException e) {
                // keep reading until the deadline
            }
        }
        throw new AssertionError("the connection was not closed; received: " + all.toString(StandardCharsets.ISO_8859_1));
    }
}
