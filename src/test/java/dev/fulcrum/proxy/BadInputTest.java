package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.RawHttp.Response;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input never reaches a backend: each malformed, oversized or ambiguously framed request is answered once
 * with the right status, over a raw socket, its connection is closed, the backend's counter does not move, and
 * the balancer then serves a normal request normally. A malformed backend response becomes 502.
 */
@ExtendWith(VertxExtension.class)
class BadInputTest {

    private static final String FOLLOW_UP = "GET /after HTTP/1.1\r\nHost: fulcrum\r\nConnection: close\r\n\r\n";

    /** A backend that records "METHOD uri body" for every request it receives (probes apart). */
    private static final class Recording {
        final Queue<String> seen = new ConcurrentLinkedQueue<>();
        final TestBackend backend;

        Recording(Vertx vertx) {
            backend = TestBackend.start(vertx, "backend", req -> req.body().onComplete(body -> {
                seen.add(req.method() + " " + req.uri() + " "
                        + (body.succeeded() ? body.result().toString(StandardCharsets.ISO_8859_1) : "<failed>"));
                req.response().end("backend");
            }));
        }
    }

    // ---- malformed request lines ------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "GARBAGE\r\n\r\n",
            "GET / HTTP/1.1 extra\r\nHost: fulcrum\r\n\r\n",
            "GET /a b HTTP/1.1\r\nHost: fulcrum\r\n\r\n",
            "GET / HTTP/1.1\nHost: fulcrum\n\n",
    })
    void malformedRequestLineIs400(String request, Vertx vertx) {
        assertRefusedWith400AndNothingReachesTheBackend(vertx, request);
    }

    /** RFC 9112 §3.2: one valid Host on HTTP/1.1, even with an absolute target; never two, never an invalid one. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "GET http://fulcrum/p HTTP/1.1\r\n\r\n",
            "GET http://fulcrum/p HTTP/1.1\r\nHost: fulcrum:99999\r\n\r\n",
            "GET / HTTP/1.0\r\nHost: fulcrum:99999\r\n\r\n",
            "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
    })
    void missingSecondOrInvalidHostIs400(String request, Vertx vertx) {
        assertRefusedWith400AndNothingReachesTheBackend(vertx, request);
    }

    // ---- size limits ------------------------------------------------------------------------------------

    @Test
    void headerSectionOverMaxHeaderSizeIs431(Vertx vertx) {
        Recording backend = new Recording(vertx);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend.backend).put("maxHeaderSize", "2KiB"));
        String kilobyte = "v".repeat(1000);
        String request = "GET / HTTP/1.1\r\nHost: fulcrum\r\n"
                + "X-A: " + kilobyte + "\r\nX-B: " + kilobyte + "\r\nX-C: " + kilobyte + "\r\n\r\n";

        assertRefused(431, RawHttp.send(fulcrum.port(), request));

        assertServesNormallyAfter(fulcrum, backend);
    }

    @Test
    void requestLineOverMaxUriLengthIs414(Vertx vertx) {
        Recording backend = new Recording(vertx);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend.backend).put("maxUriLength", "1KiB"));
        String request = "GET /" + "a".repeat(1500) + " HTTP/1.1\r\nHost: fulcrum\r\n\r\n";

        assertRefused(414, RawHttp.send(fulcrum.port(), request));

        assertServesNormallyAfter(fulcrum, backend);
    }

    // ---- framing: Content-Length and Transfer-Encoding (RFC 9112 §6.1, §6.3) -------------------------

    static Stream<Arguments> ambiguousFraming() {
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: fulcrum\r\n\r\n";
        String chunkedBody = "3\r\nabc\r\n0\r\n\r\n";
        return Stream.of(
                // CL.TE: a front end trusting Content-Length forwards "0\r\n\r\nG", a back end trusting chunked
                // stops at the 0 chunk and takes "G" as the start of the next request.
                Arguments.of("CL.TE", "POST / HTTP/1.1\r\nHost: fulcrum\r\nContent-Length: 6\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nG"),
                // TE.CL: the chunk carries a whole request, which a back end trusting Content-Length reads as
                // the next one.
                Arguments.of("TE.CL", "POST / HTTP/1.1\r\nHost: fulcrum\r\nTransfer-Encoding: chunked\r\n"
                        + "Content-Length: 3\r\n\r\n" + Integer.toHexString(smuggled.length()) + "\r\n" + smuggled
                        + "\r\n0\r\n\r\n"),
                Arguments.of("HTTP/1.0 CL+TE", "POST / HTTP/1.0\r\nHost: fulcrum\r\nContent-Length: 3\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(3 + smuggled.length())
                        + "\r\nabc" + smuggled + "\r\n0\r\n\r\n"),
                Arguments.of("HTTP/1.0 TE", "POST / HTTP/1.0\r\nHost: fulcrum\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + chunkedBody),
                Arguments.of("duplicate Content-Length, same value", "POST / HTTP/1.1\r\nHost: fulcrum\r\n"
                        + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc"),
                Arguments.of("duplicate Content-Length, different values", "POST / HTTP/1.1\r\nHost: fulcrum\r\n"
                        + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
                Arguments.of("Content-Length: abc", "POST / HTTP/1.1\r\nHost: fulcrum\r\nContent-Length: abc\r\n\r\nabc"),
                Arguments.of("Content-Length: -1", "POST / HTTP/1.1\r\nHost: fulcrum\r\nContent-Length: -1\r\n\r\nabc"),
                Arguments.of("Content-Length: 1,2", "POST / HTTP/1.1\r\nHost: fulcrum\r\nContent-Length: 1,2\r\n\r\nab"),
                Arguments.of("Transfer-Encoding: xchunked", "POST / HTTP/1.1\r\nHost: fulcrum\r\n"
                        + "Transfer-Encoding: xchunked\r\n\r\n" + chunkedBody),
                Arguments.of("Transfer-Encoding: xchunked with Content-Length", "POST / HTTP/1.1\r\nHost: fulcrum\r\n"
                        + "Transfer-Encoding: xchunked\r\nContent-Length: 3\r\n\r\nabc"),
                Arguments.of("Transfer-Encoding: gzip, chunked", "POST / HTTP/1.1\r\nHost: fulcrum\r\n"
                        + "Transfer-Encoding: gzip, chunked\r\n\r\n" + chunkedBody),
                Arguments.of("two Transfer-Encoding: chunked", "POST / HTTP/1.1\r\nHost: fulcrum\r\n"
                        + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedBody),
                Arguments.of("Transfer-Encoding: chunked, then identity", "POST / HTTP/1.1\r\nHost: fulcrum\r\n"
                        + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n" + chunkedBody));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ambiguousFraming")
    void ambiguousFramingIs400AndClosesTheConnection(String shape, String request, Vertx vertx) {
        assertRefusedWith400AndNothingReachesTheBackend(vertx, request);
    }

    static Stream<Arguments> refusedWithAPipelinedRequest() {
        String chunkedBody = "3\r\nabc\r\n0\r\n\r\n";
        String chunk = "258\r\n" + "c".repeat(0x258) + "\r\n"; // 600 bytes
        return Stream.of(
                Arguments.of("CL.TE", 400, "POST / HTTP/1.1\r\nHost: fulcrum\r\nContent-Length: 6\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nG"),
                Arguments.of("TE.CL", 400, "POST / HTTP/1.1\r\nHost: fulcrum\r\nTransfer-Encoding: chunked\r\n"
                        + "Content-Length: 3\r\n\r\n" + chunkedBody),
                Arguments.of("HTTP/1.0 CL+TE", 400, "POST / HTTP/1.0\r\nHost: fulcrum\r\nContent-Length: 3\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n" + chunkedBody),
                Arguments.of("HTTP/1.0 TE", 400, "POST / HTTP/1.0\r\nHost: fulcrum\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n" + chunkedBody),
                Arguments.of("Transfer-Encoding: xchunked with Content-Length", 400, "POST / HTTP/1.1\r\n"
                        + "Host: fulcrum\r\nTransfer-Encoding: xchunked\r\nContent-Length: 3\r\n\r\nabc"),
                Arguments.of("Transfer-Encoding: gzip, chunked", 400, "POST / HTTP/1.1\r\nHost: fulcrum\r\n"
                        + "Transfer-Encoding: gzip, chunked\r\n\r\n" + chunkedBody),
                Arguments.of("two Transfer-Encoding: chunked", 400, "POST / HTTP/1.1\r\nHost: fulcrum\r\n"
                        + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedBody),
                Arguments.of("Transfer-Encoding: chunked, then identity", 400, "POST / HTTP/1.1\r\nHost: fulcrum\r\n"
                        + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n" + chunkedBody),
                Arguments.of("declared body over maxRequestBody", 413, "POST / HTTP/1.1\r\nHost: fulcrum\r\n"
                        + "Content-Length: 2048\r\n\r\n" + "b".repeat(2048)),
                Arguments.of("chunked body over maxRequestBody", 413, "POST / HTTP/1.1\r\nHost: fulcrum\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n" + chunk + chunk + "0\r\n\r\n"));
    }

    /**
     * A refused request with another pipelined behind it: once the framing (or the size) of a request is
     * refused, nothing that follows on its connection may be trusted, so it is answered once, the connection
     * is closed, and the pipelined request never reaches a backend (in CL.TE, it would be prefixed by "G").
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("refusedWithAPipelinedRequest")
    void refusedRequestWithAPipelinedOneIsAnsweredOnceAndNothingIsForwarded(String shape, int status, String request,
                                                                            Vertx vertx) {
        Recording backend = new Recording(vertx);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend.backend).put("maxRequestBody", "1KiB"));
        String pipelined = "GET /victim HTTP/1.1\r\nHost: fulcrum\r\n\r\n";

        List<Response> responses = RawHttp.exchange(fulcrum.port(), request + pipelined, 2);

        assertEquals(1, responses.size(), () -> "answered more than once: " + responses);
        assertRefused(status, responses.get(0));
        assertServesNormallyAfter(fulcrum, backend);
    }

    @Test
    void chunkedInAnotherCaseIsAcceptedAndForwardedIntact(Vertx vertx) {
        Recording backend = new Recording(vertx);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend.backend));
        String request = "POST /upload HTTP/1.1\r\nHost: fulcrum\r\nConnection: close\r\n"
                + "Transfer-Encoding: Chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

        Response response = RawHttp.send(fulcrum.port(), request);

        assertEquals(200, response.status(), response::toString);
        assertEquals("backend", response.body());
        assertEquals(List.of("POST /upload hello world"), List.copyOf(backend.seen));
    }

    // ---- body limit -------------------------------------------------------------------------------------

    @Test
    void declaredBodyOverMaxRequestBodyIs413(Vertx vertx) {
        Recording backend = new Recording(vertx);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend.backend).put("maxRequestBody", "1KiB"));
        String request = "POST /upload HTTP/1.1\r\nHost: fulcrum\r\nContent-Length: 2048\r\n\r\n" + "b".repeat(2048);

        assertRefused(413, RawHttp.send(fulcrum.port(), request));

        assertServesNormallyAfter(fulcrum, backend);
    }

    @Test
    void chunkedBodyOverMaxRequestBodyIs413(Vertx vertx) {
        Recording backend = new Recording(vertx);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend.backend).put("maxRequestBody", "1KiB"));
        String chunk = "258\r\n" + "c".repeat(0x258) + "\r\n"; // 600 bytes
        String request = "POST /upload HTTP/1.1\r\nHost: fulcrum\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunk + chunk + chunk + "0\r\n\r\n";

        assertRefused(413, RawHttp.send(fulcrum.port(), request));

        assertServesNormallyAfter(fulcrum, backend);
    }

    @Test
    void chunkedBodyUnderMaxRequestBodyIsForwardedIntact(Vertx vertx) {
        Recording backend = new Recording(vertx);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend.backend).put("maxRequestBody", "1KiB"));
        String first = "d".repeat(600);
        String second = "e".repeat(400);
        String request = "POST /upload HTTP/1.1\r\nHost: fulcrum\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "258\r\n" + first + "\r\n190\r\n" + second + "\r\n0\r\n\r\n";

        Response response = RawHttp.send(fulcrum.port(), request);

        assertEquals(200, response.status(), response::toString);
        assertEquals("backend", response.body());
        assertEquals(List.of("POST /upload " + first + second), List.copyOf(backend.seen));
    }

    // ---- malformed backend responses --------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "HELLO\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    })
    void malformedBackendResponseIs502(String reply, Vertx vertx) {
        AtomicInteger requests = new AtomicInteger();
        int port = rawBackend(vertx, reply, requests);
        // Only this backend, and no ejection after a few failures: every request must meet the bad response.
        JsonObject config = Balancer.config("http://127.0.0.1:" + port).put("consecutiveFailures", 100);
        Fulcrum fulcrum = Balancer.start(vertx, config);
        String get = "GET / HTTP/1.1\r\nHost: fulcrum\r\nConnection: close\r\n\r\n";

        Response first = RawHttp.send(fulcrum.port(), get);
        assertEquals(502, first.status(), first::toString);
        assertTrue(requests.get() >= 1, "the request reached the bad backend");

        // The balancer itself is fine: it answers the next request, again with 502 from the same backend.
        Response second = RawHttp.send(fulcrum.port(), get);
        assertEquals(502, second.status(), second::toString);
    }

    /**
     * A raw TCP backend that answers Fulcrum's health probes properly and every other request with
     * {@code reply}, then closes the connection.
     */
    private static int rawBackend(Vertx vertx, String reply, AtomicInteger requests) {
        NetServer server = vertx.createNetServer().connectHandler(socket -> {
            Buffer received = Buffer.buffer();
            boolean[] answered = {false};
            socket.handler(data -> {
                received.appendBuffer(data);
                String head = received.toString(StandardCharsets.ISO_8859_1);
                if (answered[0] || !head.contains("\r\n\r\n")) {
                    return;
                }
                answered[0] = true;
                if (head.toLowerCase(Locale.ROOT).contains("\r\nuser-agent: fulcrum-health-check\r\n")) {
                    socket.end(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
                } else {
                    requests.incrementAndGet();
                    socket.end(Buffer.buffer(reply, "ISO-8859-1"));
                }
            });
        });
        return server.listen(0, "127.0.0.1").await().actualPort();
    }

    // ---- assertions -------------------------------------------------------------------------------------

    /** Answered {@code status}, once, and the connection closed after it. */
    private static void assertRefusedWith400AndNothingReachesTheBackend(Vertx vertx, String request) {
        Recording backend = new Recording(vertx);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend.backend));

        assertRefused(400, RawHttp.send(fulcrum.port(), request));

        assertServesNormallyAfter(fulcrum, backend);
    }

    private static void assertRefused(int status, Response response) {
        assertEquals(status, response.status(), response::toString);
        assertTrue(response.closed(), () -> "the connection was left open: " + response);
        assertEquals("", response.trailing(), () -> "more bytes after the response: " + response);
    }

    /**
     * A normal request on a new connection gets the backend's 200, and it is the only request the backend ever
     * saw: nothing of the bad input (nor a request smuggled in it) reached it.
     */
    private static void assertServesNormallyAfter(Fulcrum fulcrum, Recording backend) {
        Response response = RawHttp.send(fulcrum.port(), FOLLOW_UP);
        assertEquals(200, response.status(), response::toString);
        assertEquals("backend", response.body());
        assertEquals(List.of("GET /after "), List.copyOf(backend.seen), "requests the backend received");
        assertEquals(1, backend.backend.requests());
    }
}
