package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.health.HealthEvent;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.ParsedResponse;
import dev.fulcrum.support.RawBackend;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A review of the request path with real sockets: in-flight accounting on every outcome, framing of bodyless
 * and close-delimited responses, pipelining, large bodies and backpressure, HTTP/1.0 clients, big header
 * sections, the error responses the README promises, retries, request timeouts and 100-continue.
 */
@ExtendWith(VertxExtension.class)
class RequestPathEdgeCasesTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String CLOSE = "Connection: close\r\n";

    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void closeSockets() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    // ---- in-flight accounting --------------------------------------------------------------------------

    @Test
    void clientClosingMidUploadGivesTheSlotBack(Vertx vertx) throws IOException {
        AtomicLong received = new AtomicLong();
        AtomicInteger aborted = new AtomicInteger();
        TestBackend backend = TestBackend.start(vertx, "sink", req -> {
            req.handler(chunk -> received.addAndGet(chunk.length()));
            req.exceptionHandler(error -> aborted.incrementAndGet());
            req.endHandler(end -> req.response().end("complete"));
        });
        // The default 60 s request timeout: only the client's disconnect can give the slot back in time.
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        byte[] part = new byte[256 * 1024];

        for (boolean reset : new boolean[]{false, true}) {
            long before = received.get();
            int requestsBefore = backend.requests();
            Socket socket = connect(fulcrum.port());
            socket.getOutputStream().write(("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + (4 * 1024 * 1024)
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().write(part);
            // The previous upload's last bytes may still be arriving: wait for this request itself.
            Await.until("the backend receives part of the body", WAIT,
                    () -> backend.requests() > requestsBefore && received.get() > before);
            if (reset) {
                socket.setSoLinger(true, 0);
            }
            socket.close();

            assertNothingInFlight(fulcrum, (reset ? "RST" : "FIN") + " mid upload");
        }
        assertEquals(2, backend.requests());
    }

    @Test
    void backendAnsweringBeforeReadingTheBodyGivesTheSlotBackAndTheUploadEnds(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "strict", req -> req.response()
                .setStatusCode(413).putHeader("connection", "close").end("too big"));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Http http = new Http(vertx, fulcrum.port());
        Buffer piece = Http.bytes(64 * 1024, 3);
        int pieces = 128; // 8 MiB
        Promise<Void> uploadOver = Promise.promise();

        Http.Reply reply = http.on(client -> client.request(HttpMethod.POST, "/upload").compose(req -> {
            req.setChunked(true);
            req.exceptionHandler(error -> uploadOver.tryComplete());
            writePieces(req, piece, pieces, uploadOver);
            return req.response().compose(resp -> resp.body().map(body -> new Http.Reply(resp.statusCode(), body.toString())));
        })).await();

        assertEquals(new Http.Reply(413, "too big"), reply);
        assertNothingInFlight(fulcrum, "after the backend's early 413");
        // The client goes on uploading, as HTTP/1.1 clients do: the proxy must either read and drop the rest of
        // the body or close the connection, never leave the client blocked with its upload half sent.
        Await.until("the client's upload ends (sent whole, or its connection closed)", Duration.ofSeconds(10),
                () -> uploadOver.future().isComplete());
        assertEquals(413, http.get("/").await().status(), "the balancer still serves, through the same backend");
    }

    @Test
    void backendClosingInsideAContentLengthBodyIsNotPassedOffAsComplete(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply(
                "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + "0123456789", true));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port).put("consecutiveFailures", 100));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET /cut HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n");

        assertEquals(0, response.status(), () -> "the client must see a truncated response, got " + response);
        assertTrue(response.closed(), "the client's connection is closed");
        assertNothingInFlight(fulcrum, "after the backend cut its body");
    }

    // ---- framing of responses ------------------------------------------------------------------------------

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
        assertNothingInFlight(fulcrum, "after HEAD, 204 and 304");
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
        assertNothingInFlight(fulcrum, "after read-until-close responses");
    }

    @Test
    void chunkedResponseWithTrailersArrivesIntact(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> requestLine.contains("/trailers")
                ? new RawBackend.Reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
                + "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n", false)
                : new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nafter", false));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /trailers HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /after HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 2);

        assertEquals(List.of(200, 200), responses.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals("hello world", responses.get(0).body());
        assertEquals("after", responses.get(1).body());
        assertNothingInFlight(fulcrum, "after a chunked response with trailers");
    }

    // ---- pipelining, HTTP/1.0, headers --------------------------------------------------------------------

    @Test
    void pipelinedRequestsAreAnsweredInOrder(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "echo", req -> {
            long delay = req.getParam("ms") == null ? 0 : Long.parseLong(req.getParam("ms"));
            if (delay == 0) {
                req.response().end(req.path());
            } else {
                vertx.setTimer(delay, t -> req.response().end(req.path()));
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        StringBuilder requests = new StringBuilder();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int ms = i % 3 == 0 ? 200 : 0;
            requests.append("GET /r").append(i).append("?ms=").append(ms).append(" HTTP/1.1\r\nHost: x\r\n")
                    .append(i == 7 ? CLOSE : "").append("\r\n");
            expected.add("/r" + i);
        }

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), requests.toString(), 8);

        assertEquals(expected, responses.stream().map(RawHttp.Response::body).toList(), responses::toString);
        assertTrue(responses.stream().allMatch(r -> r.status() == 200));
        assertTrue(responses.get(7).closed());
        assertNothingInFlight(fulcrum, "after pipelined requests");
    }

    @Test
    void http10ClientsGetAWholeResponseWithoutChunkingAndTheirConnectionSemantics(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "chunky", req -> {
            req.response().setChunked(true).write("part1-");
            req.response().end("part2");
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        RawHttp.Response plain = RawHttp.send(fulcrum.port(), "GET /a HTTP/1.0\r\nHost: x\r\n\r\n");
        assertEquals(200, plain.status());
        assertNull(plain.header("transfer-encoding"), "no chunked coding for an HTTP/1.0 client");
        assertEquals("part1-part2", plain.body());
        assertTrue(plain.closed(), "an HTTP/1.0 connection without keep-alive closes after the response");

        List<RawHttp.Response> kept = RawHttp.exchange(fulcrum.port(), "GET /b HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
                + "GET /c HTTP/1.0\r\nHost: x\r\n\r\n", 2);
        assertEquals(2, kept.size(), kept::toString);
        assertEquals("part1-part2", kept.get(0).body());
        assertEquals("11", kept.get(0).header("content-length"));
        assertEquals("part1-part2", kept.get(1).body());
        assertTrue(kept.get(1).closed());
        assertNothingInFlight(fulcrum, "after HTTP/1.0 requests");
    }

    @Test
    void manyHeadersNearMaxHeaderSizeArriveIntactBothWays(Vertx vertx) {
        HttpServer roomy = vertx.createHttpServer(new HttpServerOptions().setMaxHeaderSize(64 * 1024))
                .requestHandler(req -> {
                    if ("fulcrum-health-check".equals(req.getHeader("user-agent"))) {
                        req.response().end("ok");
                        return;
                    }
                    List<String> seen = new ArrayList<>();
                    req.headers().forEach(h -> {
                        if (h.getKey().toLowerCase(Locale.ROOT).startsWith("x-h-")) {
                            seen.add(h.getKey() + ": " + h.getValue());
                        }
                    });
                    HttpServerResponse response = req.response();
                    for (int i = 0; i < 150; i++) {
                        response.putHeader(String.format("X-R-%03d", i), "r".repeat(70));
                    }
                    response.end(seen.size() + " " + sha256(String.join("\n", seen)));
                });
        roomy.listen(0, "127.0.0.1").await();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + roomy.actualPort()));
        StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: x\r\n" + CLOSE);
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String line = String.format("X-H-%03d: %s", i, Integer.toHexString(i).repeat(40).substring(0, 40));
            sent.add(line);
            head.append(line).append("\r\n");
        }
        assertTrue(head.length() > 15_000 && head.length() < 16 * 1024 - 200, "near 16 KiB: " + head.length());

        RawHttp.Response response = RawHttp.send(fulcrum.port(), head + "\r\n");

        assertEquals(200, response.status(), response::toString);
        assertEquals(sent.size() + " " + sha256(String.join("\n", sent)), response.body());
        assertEquals("r".repeat(70), response.header("x-r-149"));
        assertEquals(150, response.headers().keySet().stream().filter(h -> h.startsWith("x-r-")).count());
    }

    /**
     * The proxy reads backend responses with up to 64 KiB of headers (BackendClients), so a backend whose
     * responses carry 12 KiB of headers is served fine; its health probe must not fail on the same response.
     */
    @Test
    void backendWhoseResponsesCarryMoreThan8KiBOfHeadersIsHealthyAndServed(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "cookies", req -> bigHeaders(req.response()).end("fine"));
        backend.probeHandler(req -> bigHeaders(req.response()).end("ok"));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n");

        assertEquals(200, response.status(), response::toString);
        assertEquals("fine", response.body());
        assertEquals(HealthState.HEALTHY, fulcrum.backends().all().get(0).health(), fulcrum.backends().all().get(0).lastFailure());
    }

    private static HttpServerResponse bigHeaders(HttpServerResponse response) {
        for (int i = 0; i < 150; i++) {
            response.putHeader(String.format("X-R-%03d", i), "r".repeat(70));
        }
        return response;
    }

    // ---- large bodies and backpressure ----------------------------------------------------------------------

    @Test
    void largeBodiesBothWaysArriveIntactAndASlowReaderHoldsTheBackendBack(Vertx vertx) throws Exception {
        Buffer upload = Http.bytes(16 * 1024 * 1024, 7);
        Buffer chunk = Http.bytes(64 * 1024, 8);
        long total = 48L * 1024 * 1024;
        AtomicLong written = new AtomicLong();
        AtomicLong stalledSince = new AtomicLong();
        TestBackend backend = TestBackend.start(vertx, "big", req -> {
            MessageDigest digest = sha256Digest();
            req.handler(data -> digest.update(data.getBytes()));
            req.endHandler(end -> {
                HttpServerResponse response = req.response().setChunked(true)
                        .putHeader("x-request-sha256", HexFormat.of().formatHex(digest.digest()));
                pump(response, chunk, total, written, stalledSince);
            });
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Http http = new Http(vertx, fulcrum.port());

        MessageDigest received = sha256Digest();
        AtomicLong receivedBytes = new AtomicLong();
        AtomicReference<HttpClientResponse> paused = new AtomicReference<>();
        Promise<Void> done = Promise.promise();
        String requestSha = http.on(client -> client.request(HttpMethod.POST, "/big").compose(req -> {
            req.setChunked(true);
            for (int offset = 0; offset < upload.length(); offset += 256 * 1024) {
                req.write(upload.getBuffer(offset, Math.min(upload.length(), offset + 256 * 1024)));
            }
            req.end();
            return req.response().map(resp -> {
                resp.pause();
                resp.handler(data -> {
                    received.update(data.getBytes());
                    receivedBytes.addAndGet(data.length());
                });
                resp.exceptionHandler(done::tryFail);
                resp.endHandler(end -> done.tryComplete());
                paused.set(resp);
                return resp.getHeader("x-request-sha256");
            });
        })).await();
        assertEquals(sha256(upload), requestSha, "the backend received the 16 MiB upload intact");

        // The client reads nothing: the backend must soon be held back for good, not allowed to write all 48 MiB
        // into the proxy's memory.
        Await.until("the backend has waited for drain for a full second", Duration.ofSeconds(20), () -> {
            long since = stalledSince.get();
            return since != 0 && System.nanoTime() - since > 1_000_000_000L;
        });
        assertTrue(written.get() < total, "the backend wrote only " + written.get() + " of " + total + " bytes");

        http.on(client -> {
            paused.get().resume();
            return Future.succeededFuture();
        }).await();
        Await.until("the whole response arrives", Duration.ofSeconds(30), () -> done.future().isComplete());
        assertTrue(done.future().succeeded(), () -> String.valueOf(done.future().cause()));
        assertEquals(total, receivedBytes.get());
        MessageDigest expected = sha256Digest();
        for (long sent = 0; sent < total; sent += chunk.length()) {
            expected.update(chunk.getBytes());
        }
        assertEquals(HexFormat.of().formatHex(expected.digest()), HexFormat.of().formatHex(received.digest()));
        assertNothingInFlight(fulcrum, "after 16 MiB up and 48 MiB down");
    }

    /**
     * An HTTP/1.0 client cannot take a chunked response, so one of unknown length must be delimited by closing
     * the connection: it must still stream with backpressure, not be collected whole in the proxy's memory.
     */
    @Test
    void http10ClientOfAChunkedResponseDoesNotMakeTheProxyBufferItWhole(Vertx vertx) throws Exception {
        Buffer chunk = Http.bytes(64 * 1024, 11);
        long total = 48L * 1024 * 1024;
        AtomicLong written = new AtomicLong();
        AtomicLong stalledSince = new AtomicLong();
        TestBackend backend = TestBackend.start(vertx, "big", req ->
                pump(req.response().setChunked(true), chunk, total, written, stalledSince));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Socket socket = connect(fulcrum.port());
        socket.getOutputStream().write("GET /big HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));

        // The client reads nothing yet.
        Await.until("the backend is held back for a second, or has written everything", Duration.ofSeconds(20), () -> {
            long since = stalledSince.get();
            return written.get() >= total || (since != 0 && System.nanoTime() - since > 1_000_000_000L);
        });
        long writtenWhileClientIdle = written.get();

        InputStream in = new BufferedInputStream(socket.getInputStream());
        ParsedResponse head = ParsedResponse.read(in, true);
        MessageDigest received = sha256Digest();
        long count = 0;
        byte[] buffer = new byte[64 * 1024];
        for (int n = in.read(buffer); n >= 0 && count <= total; n = in.read(buffer)) {
            received.update(buffer, 0, n);
            count += n;
        }
        MessageDigest expected = sha256Digest();
        for (long sent = 0; sent < total; sent += chunk.length()) {
            expected.update(chunk.getBytes());
        }
        assertEquals(200, head.status());
        assertEquals(total, count);
        assertEquals(HexFormat.of().formatHex(expected.digest()), HexFormat.of().formatHex(received.digest()));
        assertNothingInFlight(fulcrum, "after an HTTP/1.0 download");
        assertTrue(writtenWhileClientIdle < total, "while the HTTP/1.0 client read nothing, the backend wrote all "
                + total + " bytes: the proxy buffered the whole response");
    }

    /** An HTTP/1.0 client that leaves during a response the proxy collects for it gives its slot back. */
    @Test
    void http10ClientLeavingDuringAnEndlessResponseGivesTheSlotBack(Vertx vertx) throws IOException {
        AtomicInteger streaming = new AtomicInteger();
        TestBackend backend = TestBackend.start(vertx, "endless", req -> {
            HttpServerResponse response = req.response().setChunked(true);
            streaming.incrementAndGet();
            long timer = vertx.setPeriodic(10, t -> response.write(Buffer.buffer(new byte[1024])));
            response.closeHandler(v -> {
                vertx.cancelTimer(timer);
                streaming.decrementAndGet();
            });
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Socket socket = connect(fulcrum.port());
        socket.getOutputStream().write("GET /endless HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        Await.until("the backend streams", WAIT, () -> streaming.get() == 1);

        socket.close();

        assertNothingInFlight(fulcrum, "after the HTTP/1.0 client left");
        Await.until("the backend's stream is cut", WAIT, () -> streaming.get() == 0);
    }

    // ---- WebSocket handshakes the backend refuses --------------------------------------------------------

    private static final String WEBSOCKET_HANDSHAKE = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    /** A refused handshake is an ordinary HTTP response: its status, headers and body reach the client. */
    @Test
    void refusedWebSocketHandshakeReachesTheClientWithItsHeadersAndBody(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "login-first", req -> req.response()
                .setStatusCode(302).putHeader("location", "/login").putHeader("x-reason", "no session").end("log in first"));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Socket socket = connect(fulcrum.port());
        socket.getOutputStream().write(WEBSOCKET_HANDSHAKE.getBytes(StandardCharsets.ISO_8859_1));

        ParsedResponse response = ParsedResponse.read(new BufferedInputStream(socket.getInputStream()), false);

        assertEquals(302, response.status(), response::toString);
        assertNothingInFlight(fulcrum, "after a refused handshake");
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
        Socket socket = connect(fulcrum.port());
        socket.getOutputStream().write(WEBSOCKET_HANDSHAKE.getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        ParsedResponse refused = ParsedResponse.read(in, false);
        assertEquals(404, refused.status(), refused::toString);
        assertNull(refused.header("connection"), "the connection is kept alive");

        socket.setSoTimeout(100);
        long started = System.nanoTime();
        Await.until("the idle keep-alive connection is closed (clientIdleTimeout 300 ms)", Duration.ofSeconds(3),
                () -> readByte(in) == -1);
        long closedAfter = (System.nanoTime() - started) / 1_000_000;
        assertTrue(closedAfter < 2_000, "closed after " + closedAfter + " ms");
    }

    // ---- error responses ------------------------------------------------------------------------------------

    @Test
    void noHealthyBackend503LeavesTheConnectionUsableEvenAfterABody(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "a");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Http http = new Http(vertx, fulcrum.port());
        HealthEvent.announce(vertx.eventBus(), fulcrum.backends().all().get(0), HealthState.UNHEALTHY, "test");
        Await.until("every proxy sees no healthy backend", WAIT,
                () -> http.get("/").await().status() == 503 && http.get("/").await().status() == 503);

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(),
                "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                        + "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
                        + "GET /c HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 3);

        assertEquals(List.of(503, 503, 503), responses.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertTrue(responses.stream().allMatch(r -> r.body().equals("no healthy backend available\n")), responses::toString);
        assertEquals("", responses.get(2).trailing());
        assertEquals(0, backend.requests());
    }

    @Test
    void refusedBackendIs502AndTheConnectionStaysUsable(Vertx vertx) {
        TestBackend closing = TestBackend.start(vertx, "closing");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(closing));
        closing.stop();

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /2 HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 2);

        assertEquals(2, responses.size(), responses::toString);
        assertEquals(502, responses.get(0).status());
        assertEquals("backend refused the connection\n", responses.get(0).body());
        assertTrue(responses.get(1).status() == 502 || responses.get(1).status() == 503, responses::toString);
        assertNothingInFlight(fulcrum, "after refusals");
    }

    @Test
    void timeoutIs504AndTheConnectionStaysUsable(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "hangs", req -> {
            if (!req.path().equals("/hang")) {
                req.response().end("ok");
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("requestTimeout", "300ms"));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /hang HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /ok HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 2);

        assertEquals(List.of(504, 200), responses.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals("backend did not answer in time\n", responses.get(0).body());
        assertEquals("ok", responses.get(1).body());
        assertNothingInFlight(fulcrum, "after a 504");
    }

    /** README, Security and limits: "Malformed backend responses (garbage, ...) become 502 backend sent a malformed response". */
    @Test
    void garbageFromTheBackendIs502WithTheMalformedMessage(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HELLO\r\n\r\n", true));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port).put("consecutiveFailures", 100));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n");

        assertEquals(502, response.status(), response::toString);
        assertEquals("backend sent a malformed response\n", response.body());
        assertNothingInFlight(fulcrum, "after a garbage response");
    }

    // ---- retries, timeouts, 100-continue --------------------------------------------------------------------

    /** README: a refused connection sends the request "once more to a different healthy backend, whatever its method". */
    @Test
    void refusedConnectionRetriesAPostWithItsBodyIntact(Vertx vertx) {
        TestBackend live = TestBackend.start(vertx, "live", req -> req.body().onSuccess(body -> req.response().end(sha256(body))));
        TestBackend dying = TestBackend.start(vertx, "dying");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(live, dying).put("algorithm", "round-robin"));
        dying.stop();
        Http http = new Http(vertx, fulcrum.port());

        List<Future<Http.Reply>> replies = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Buffer body = Http.bytes(256 * 1024, 100 + i);
            expected.add(sha256(body));
            replies.add(http.on(client -> client.request(HttpMethod.POST, "/post")
                    .compose(req -> req.send(body))
                    .compose(resp -> resp.body().map(b -> new Http.Reply(resp.statusCode(), b.toString())))));
        }
        List<Http.Reply> answered = replies.stream().map(reply -> reply.await()).toList();

        assertEquals(expected.stream().map(sha -> new Http.Reply(200, sha)).toList(), answered);
        assertNothingInFlight(fulcrum, "after retried POSTs");
    }

    /**
     * README: {@code requestTimeout} is "how long to wait for a backend's response headers". A backend cannot
     * answer before it has the request: a slow upload to a backend that answers at once must not be cut.
     */
    @Test
    void slowUploadIsNotCutByRequestTimeout(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "quick", req -> req.body().onSuccess(body ->
                req.response().end("got " + body.length())));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("requestTimeout", "500ms"));
        Http http = new Http(vertx, fulcrum.port());
        Buffer piece = Http.bytes(1024, 9);

        Http.Reply reply = http.on(client -> client.request(HttpMethod.POST, "/upload").compose(req -> {
            req.setChunked(true);
            req.exceptionHandler(error -> { });
            writeSlowly(vertx, req, piece, 6, 250);
            return req.response().compose(resp -> resp.body().map(body -> new Http.Reply(resp.statusCode(), body.toString())));
        })).await();

        assertEquals(new Http.Reply(200, "got " + 6 * piece.length()), reply);
        assertNothingInFlight(fulcrum, "after a slow upload");
    }

    /** The same slow uploads must not count as failed exchanges and eject a healthy backend (consecutiveFailures 3). */
    @Test
    void slowUploadsDoNotEjectAHealthyBackend(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "quick", req -> req.body().onSuccess(body ->
                req.response().end("got " + body.length())));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("requestTimeout", "500ms"));
        Http http = new Http(vertx, fulcrum.port());
        Buffer piece = Http.bytes(1024, 9);

        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            statuses.add(http.on(client -> client.request(HttpMethod.POST, "/upload").compose(req -> {
                req.setChunked(true);
                req.exceptionHandler(error -> { });
                writeSlowly(vertx, req, piece, 4, 250);
                return req.response().map(HttpClientResponse::statusCode);
            })).await());
        }

        Http.Reply after = http.get("/").await();
        assertEquals(new Http.Reply(200, "got 0"), after, "slow uploads answered " + statuses + "; then");
        assertEquals(HealthState.HEALTHY, fulcrum.backends().all().get(0).health(), fulcrum.backends().all().get(0).lastFailure());
    }

    /**
     * Expect: 100-continue: the client sends its body only after a 100 Continue. Fulcrum answers it itself once
     * a backend is connected (as NGINX does), and the backend sees a plain request.
     */
    @Test
    void expectContinueGetsA100ContinueBeforeTheClientSendsTheBody(Vertx vertx) throws IOException {
        List<String> expectations = new ArrayList<>();
        TestBackend backend = TestBackend.start(vertx, "continuing", req -> {
            expectations.add(String.valueOf(req.getHeader("expect")));
            req.body().onSuccess(body -> req.response().end("got " + body));
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Socket socket = connect(fulcrum.port());
        socket.getOutputStream().write(("POST /expect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                + "Expect: 100-continue\r\n" + CLOSE + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());

        socket.setSoTimeout(3_000);
        ParsedResponse interim = ParsedResponse.read(in, true);
        assertEquals(100, interim.status(), "the client waits for 100 Continue before sending its body");
        socket.getOutputStream().write("hello".getBytes(StandardCharsets.ISO_8859_1));
        ParsedResponse answer = ParsedResponse.read(in, false);

        assertEquals(200, answer.status(), answer::toString);
        assertEquals("got hello", answer.body());
        assertEquals(List.of("null"), expectations, "the backend gets a plain request");
        assertNothingInFlight(fulcrum, "after an Expect: 100-continue request");
    }

    /** No backend to send the body to: the client is told so at once and never uploads. */
    @Test
    void expectContinueWithNoHealthyBackendIsRefusedBeforeTheUpload(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "gone");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        backend.stop();
        Socket socket = connect(fulcrum.port());
        socket.setSoTimeout(3_000);
        socket.getOutputStream().write(("POST /expect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                + "Expect: 100-continue\r\n" + CLOSE + "\r\n").getBytes(StandardCharsets.ISO_8859_1));

        ParsedResponse answer = ParsedResponse.read(new BufferedInputStream(socket.getInputStream()), false);

        assertTrue(answer.status() == 502 || answer.status() == 503, "no 100 Continue, a refusal: " + answer);
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private static int readByte(InputStream in) {
        try {
            return in.read();
        } catch (SocketTimeoutException e) {
            return -2;
        } catch (IOException e) {
            return -1;
        }
    }

    private static void assertNothingInFlight(Fulcrum fulcrum, String when) {
        for (Backend backend : fulcrum.backends().all()) {
            Await.until(backend + " has nothing in flight " + when + " (still " + backend.inFlight() + ")", WAIT,
                    () -> backend.inFlight() == 0);
        }
    }

    private Socket connect(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(5_000);
        sockets.add(socket);
        return socket;
    }

    /** Sends {@code requests} on a new connection and returns every byte received until the server closes it. */
    private byte[] exchangeUntilClose(int port, String requests) throws IOException {
        Socket socket = connect(port);
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


    /** Writes the response body chunk by chunk, as fast as the connection takes it and no faster. */
    private static void pump(HttpServerResponse response, Buffer chunk, long total, AtomicLong written, AtomicLong stalledSince) {
        for (int i = 0; i < 10_000 && written.get() < total && !response.writeQueueFull(); i++) {
            response.write(chunk);
            written.addAndGet(chunk.length());
        }
        if (written.get() >= total) {
            response.end();
            return;
        }
        if (response.writeQueueFull()) {
            stalledSince.set(System.nanoTime());
            response.drainHandler(v -> {
                stalledSince.set(0);
                pump(response, chunk, total, written, stalledSince);
            });
        } else {
            response.drainHandler(null);
            Vertx.currentContext().runOnContext(v -> pump(response, chunk, total, written, stalledSince));
        }
    }

    /** Writes {@code count} pieces, respecting backpressure, then ends the request; {@code over} completes either way. */
    private static void writePieces(HttpClientRequest req, Buffer piece, int count, Promise<Void> over) {
        if (over.future().isComplete()) {
            return;
        }
        if (count == 0) {
            req.end().onComplete(ar -> over.tryComplete());
            return;
        }
        req.write(piece).onFailure(error -> over.tryComplete());
        if (req.writeQueueFull()) {
            req.drainHandler(v -> writePieces(req, piece, count - 1, over));
        } else {
            Vertx.currentContext().runOnContext(v -> writePieces(req, piece, count - 1, over));
        }
    }

    private static void writeSlowly(Vertx vertx, HttpClientRequest req, Buffer piece, int count, long everyMillis) {
        req.write(piece);
        if (count == 1) {
            req.end();
        } else {
            vertx.setTimer(everyMillis, t -> writeSlowly(vertx, req, piece, count - 1, everyMillis));
        }
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(Buffer data) {
        return HexFormat.of().formatHex(sha256Digest().digest(data.getBytes()));
    }

    static String sha256(String text) {
        return sha256(Buffer.buffer(text, "UTF-8"));
    }
}
