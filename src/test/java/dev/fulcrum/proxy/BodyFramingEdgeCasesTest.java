package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.ParsedResponse;
import dev.fulcrum.support.RawBackend;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.NetServer;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How bodies and their framing cross the proxy, with real sockets on both sides: interim responses, backends
 * that die or close mid-way, clients that leave mid-download, backpressure on uploads, pipelined requests with
 * bodies, empty bodies, OPTIONS *, many small chunks, and stale pooled connections.
 */
@ExtendWith(VertxExtension.class)
class BodyFramingEdgeCasesTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String CLOSE = "Connection: close\r\n";

    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void closeSockets() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
    }

    // ---- interim (1xx) responses ------------------------------------------------------------------------

    /**
     * RFC 9110 §15.2: a 1xx response is interim; the final response follows on the same exchange. A proxy
     * forwards it or drops it, but must never hand it to the client as the final answer. Vert.x's client takes
     * a 102 for the final response (it knows only 100 and 103 as interim) and would lose the real one, so
     * Fulcrum cannot relay the exchange: the client gets a 502 that says so, never the 102, and the backend
     * connection, now out of step, is closed.
     */
    @Test
    void interim102ProcessingIsNeverTakenForTheFinalResponse(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 102 Processing\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal", false));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port).put("consecutiveFailures", 100));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(),
                "GET /slow-webdav HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 2);

        assertEquals(List.of(502, 502), responses.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals("backend sent an interim (1xx) response that Fulcrum cannot relay", responses.get(0).body().trim());
        assertEquals(responses.get(0).body(), responses.get(1).body(), "the second request met a fresh connection, not the stray 200");
        assertNothingInFlight(fulcrum, "after a 102");
    }

    /** 103 Early Hints (RFC 8297) followed by the final response: the client gets the final response intact. */
    @Test
    void earlyHints103IsFollowedByTheFinalResponse(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal", false));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /again HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 4);
        List<RawHttp.Response> finals = responses.stream().filter(r -> r.status() >= 200).toList();

        assertEquals(List.of(200, 200), finals.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals(List.of("final", "final"), finals.stream().map(RawHttp.Response::body).toList());
        assertNothingInFlight(fulcrum, "after 103s");
    }

    /** A backend that sends 100 Continue unasked (some do for every upload): the client gets the final answer. */
    @Test
    void unsolicited100ContinueFromTheBackendIsNotTheAnswer(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone", false));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /b HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 4);
        List<RawHttp.Response> finals = responses.stream().filter(r -> r.status() >= 200).toList();

        assertEquals(List.of(201, 201), finals.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals(List.of("done", "done"), finals.stream().map(RawHttp.Response::body).toList());
    }

    // ---- backends that die mid-body or close their connection ---------------------------------------------

    /**
     * A chunked response cut short by the backend must reach the client unterminated (no last chunk) and its
     * keep-alive connection must close: a terminated body would pass off a truncated response as whole
     * (RFC 9112 §8: an incomplete message must not be presented as complete).
     */
    @Test
    void backendDyingMidChunkedBodyIsNotPassedOffAsCompleteOnAKeepAliveConnection(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> requestLine.contains("/cut")
                ? new RawBackend.Reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", true)
                : new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port).put("consecutiveFailures", 100));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /cut HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /next HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 2);

        assertEquals(0, responses.get(0).status(), () -> "the client must see an incomplete response, got " + responses);
        assertTrue(responses.get(0).closed(), "the client's connection is closed");
        assertEquals(1, responses.size(), "nothing is answered after the cut response");
        assertNothingInFlight(fulcrum, "after a cut chunked body");
    }

    /** The same for a Content-Length body, on a keep-alive client connection with a pipelined request behind it. */
    @Test
    void backendDyingMidContentLengthBodyClosesAKeepAliveClientConnection(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> requestLine.contains("/cut")
                ? new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", true)
                : new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port).put("consecutiveFailures", 100));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /cut HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /next HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 2);

        assertEquals(0, responses.get(0).status(), () -> "the client must see an incomplete response, got " + responses);
        assertTrue(responses.get(0).closed(), "the client's connection is closed");
        assertNothingInFlight(fulcrum, "after a cut Content-Length body");
    }

    /**
     * A backend whose keep-alive timeout fires just as the proxy reuses the connection closes it without
     * answering: the request was never processed. NGINX retries a request that fails on a cached keep-alive
     * connection (even on the same, only server: ngx_http_upstream_next gives the try back for a cached peer), as
     * Go's transport does for an idempotent request on a reused connection. Here the backend closes every
     * connection on which a second request arrives; with one backend, every GET must still be answered 200.
     */
    @Test
    void requestMeetingAKeepAliveConnectionTheBackendJustClosedIsRetriedNot502(Vertx vertx) {
        AtomicInteger closedUnanswered = new AtomicInteger();
        int port = oneRequestPerConnectionBackend(vertx, closedUnanswered);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port));
        Http http = new Http(vertx, fulcrum.port());

        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < 20; i++) {
            int status = http.get("/n" + i).map(Http.Reply::status).otherwise(0).await();
            statuses.merge(status, 1, Integer::sum);
        }

        assertTrue(closedUnanswered.get() > 0, "the proxy reused a connection the backend then closed");
        assertEquals(Map.of(200, 20), statuses, "statuses of 20 sequential GETs (0 = transport error)");
        assertNothingInFlight(fulcrum, "after requests on closed pooled connections");
    }

    /**
     * With several backends the retry goes elsewhere, but it meets a reused connection there too: "retry on
     * another backend" does not help, and each such request is counted as a failure against a healthy backend.
     */
    @Test
    void withTwoBackendsRequestsMeetingClosedKeepAliveConnectionsAreStillAnswered(Vertx vertx) {
        AtomicInteger closedUnanswered = new AtomicInteger();
        int a = oneRequestPerConnectionBackend(vertx, closedUnanswered);
        int b = oneRequestPerConnectionBackend(vertx, closedUnanswered);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + a, "http://127.0.0.1:" + b)
                .put("algorithm", "round-robin"));
        Http http = new Http(vertx, fulcrum.port());

        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < 30; i++) {
            int status = http.get("/n" + i).map(Http.Reply::status).otherwise(0).await();
            statuses.merge(status, 1, Integer::sum);
        }

        assertTrue(closedUnanswered.get() > 0, "the proxy reused connections the backends then closed");
        assertEquals(Map.of(200, 30), statuses, "statuses of 30 sequential GETs (0 = transport error)");
    }

    /**
     * The natural form of the same race: a backend that closes after each response without "Connection: close".
     * Seen failing with 41 of 200 GETs answered 502 in about half the runs, depending on which event loops the
     * client, proxies and backend share; kept as a regression check.
     */
    @Test
    void backendClosingAfterEachResponseWithoutConnectionCloseDoesNotFailLaterRequests(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port));
        Http http = new Http(vertx, fulcrum.port());

        Map<Integer, Integer> statuses = new TreeMap<>();
        for (int i = 0; i < 200; i++) {
            int status = http.get("/n" + i).map(Http.Reply::status).otherwise(0).await();
            statuses.merge(status, 1, Integer::sum);
        }

        assertEquals(Map.of(200, 200), statuses, "statuses of 200 sequential GETs (0 = transport error)");
        assertNothingInFlight(fulcrum, "after requests on closed pooled connections");
    }

    /** The same backend, with the client pipelining its requests: each answer frees the connection at once. */
    @Test
    void backendClosingAfterEachResponseDoesNotFailPipelinedRequests(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port));
        StringBuilder requests = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            requests.append("GET /p").append(i).append(" HTTP/1.1\r\nHost: x\r\n").append(i == 19 ? CLOSE : "").append("\r\n");
        }

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), requests.toString(), 20);

        assertEquals(java.util.Collections.nCopies(20, 200), responses.stream().map(RawHttp.Response::status).toList(),
                responses::toString);
        assertNothingInFlight(fulcrum, "after pipelined requests on closed pooled connections");
    }

    // ---- clients that leave mid-download -------------------------------------------------------------------

    /**
     * A client that leaves in the middle of a large Content-Length download: its slot comes back, and the
     * backend connection that carried the half-read body is not reused for another request (its next response
     * would be read from the middle of the old body).
     */
    @Test
    void clientLeavingMidDownloadLeavesNoBrokenPooledConnection(Vertx vertx) throws IOException {
        Buffer big = Http.bytes(8 * 1024 * 1024, 21);
        String bigSha = sha256(big);
        TestBackend backend = TestBackend.start(vertx, "big", req -> {
            if (req.path().equals("/big")) {
                req.response().putHeader("content-length", Integer.toString(big.length())).end(big);
            } else {
                req.response().end("small:" + req.path());
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        for (boolean reset : new boolean[]{false, true}) {
            Socket socket = connect(fulcrum.port());
            socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            byte[] some = in.readNBytes(64 * 1024);
            assertEquals(64 * 1024, some.length);
            if (reset) {
                socket.setSoLinger(true, 0);
            }
            socket.close();
            assertNothingInFlight(fulcrum, (reset ? "RST" : "FIN") + " mid download");
        }

        Http http = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 10; i++) {
            assertEquals(new Http.Reply(200, "small:/s" + i), http.get("/s" + i).await());
        }
        Http.Reply whole = http.on(client -> client.request(io.vertx.core.http.HttpMethod.GET, "/big")
                .compose(req -> req.send()).compose(resp -> resp.body()
                        .map(body -> new Http.Reply(resp.statusCode(), sha256(body))))).await();
        assertEquals(new Http.Reply(200, bigSha), whole);
    }

    /**
     * A client that leaves in the middle of a chunked upload (FIN, then RST): the backend request is cut, no
     * part of the half-sent body is ever read as a request on the pooled connection, and later requests are
     * answered normally.
     */
    @Test
    void clientLeavingMidChunkedUploadLeavesThePoolInStep(Vertx vertx) throws IOException {
        Queue<String> seen = new ConcurrentLinkedQueue<>();
        AtomicInteger cut = new AtomicInteger();
        AtomicLong received = new AtomicLong();
        TestBackend backend = TestBackend.start(vertx, "sink", req -> {
            seen.add(req.method() + " " + req.path());
            req.handler(data -> received.addAndGet(data.length()));
            req.exceptionHandler(error -> cut.incrementAndGet());
            req.endHandler(end -> req.response().end("done " + req.path()));
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        String piece = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n".repeat(100);
        String chunk = Integer.toHexString(piece.length()) + "\r\n" + piece + "\r\n";

        for (boolean reset : new boolean[]{false, true}) {
            long before = received.get();
            Socket socket = connect(fulcrum.port());
            socket.getOutputStream().write(("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + chunk.repeat(20) + Integer.toHexString(piece.length()) + "\r\n" + piece.substring(0, 100))
                    .getBytes(StandardCharsets.ISO_8859_1));
            Await.until("the backend receives part of the body", WAIT, () -> received.get() > before);
            if (reset) {
                socket.setSoLinger(true, 0);
            }
            socket.close();
            assertNothingInFlight(fulcrum, (reset ? "RST" : "FIN") + " mid chunked upload");
        }
        Await.until("both backend requests are cut", WAIT, () -> cut.get() == 2);

        Http http = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 5; i++) {
            assertEquals(new Http.Reply(200, "done /g" + i), http.get("/g" + i).await());
        }
        assertTrue(seen.stream().noneMatch(line -> line.contains("smuggled")), seen::toString);
    }

    /** The proxy's own error responses to HEAD carry no body, so the next response on the connection is intact. */
    @Test
    void proxyErrorResponsesToHeadHaveNoBody(Vertx vertx) throws IOException {
        TestBackend closing = TestBackend.start(vertx, "closing");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(closing).put("consecutiveFailures", 100));
        closing.stop();
        Socket socket = connect(fulcrum.port());
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

    // ---- uploads --------------------------------------------------------------------------------------------

    /**
     * A client uploading fast to a backend that reads slowly must be held back by TCP flow control through the
     * proxy, not have its body taken into the proxy's memory: only socket buffers may sit in between.
     */
    @Test
    void fastUploadToAPausedBackendIsHeldBackNotBuffered(Vertx vertx) throws Exception {
        long total = 48L * 1024 * 1024;
        AtomicLong backendReceived = new AtomicLong();
        AtomicBoolean backendPaused = new AtomicBoolean();
        Queue<Runnable> resumers = new ConcurrentLinkedQueue<>();
        TestBackend backend = TestBackend.start(vertx, "slow-reader", req -> {
            MessageDigest digest = sha256Digest();
            req.pause();
            io.vertx.core.Context context = vertx.getOrCreateContext();
            resumers.add(() -> context.runOnContext(v -> req.resume()));
            backendPaused.set(true);
            req.handler(data -> {
                digest.update(data.getBytes());
                backendReceived.addAndGet(data.length());
            });
            req.endHandler(end -> {
                String sha = HexFormat.of().formatHex(digest.digest());
                req.response().end(sha);
            });
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Socket socket = connect(fulcrum.port());
        socket.setSoTimeout(20_000);
        OutputStream out = socket.getOutputStream();
        out.write(("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + total + "\r\n" + CLOSE + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        byte[] chunk = Http.bytes(64 * 1024, 22).getBytes();
        AtomicLong sent = new AtomicLong();
        Thread writer = new Thread(() -> {
            try {
                while (sent.get() < total) {
                    out.write(chunk);
                    sent.addAndGet(chunk.length);
                }
            } catch (IOException e) {
                // the test reports what was sent
            }
        }, "uploader");
        writer.setDaemon(true);
        writer.start();

        Await.until("the backend has the request", WAIT, backendPaused::get);
        // Wait until the client's writes have stalled for a second (or everything went out).
        long[] last = {-1, System.nanoTime()};
        Await.until("the upload stalls or completes", Duration.ofSeconds(20), () -> {
            long now = sent.get();
            if (now != last[0]) {
                last[0] = now;
                last[1] = System.nanoTime();
                return now >= total;
            }
            return System.nanoTime() - last[1] > 1_000_000_000L;
        });
        long sentWhilePaused = sent.get();

        resumers.forEach(Runnable::run);
        writer.join(20_000);
        MessageDigest expected = sha256Digest();
        for (long i = 0; i < total; i += chunk.length) {
            expected.update(chunk);
        }
        ParsedResponse response = ParsedResponse.read(new BufferedInputStream(socket.getInputStream()), false);
        assertEquals(200, response.status(), response::toString);
        assertEquals(HexFormat.of().formatHex(expected.digest()), response.body(), "the backend got the body intact");
        assertTrue(sentWhilePaused < 24L * 1024 * 1024, "while the backend read nothing the client could send "
                + sentWhilePaused + " of " + total + " bytes: the proxy buffered the upload");
        assertNothingInFlight(fulcrum, "after a held-back upload");
    }

    /**
     * Pipelined requests with bodies of every framing (Content-Length, chunked, empty of both kinds), written in
     * one go: each reaches the backend with its own body and the answers come back in order.
     */
    @Test
    void pipelinedRequestsWithBodiesAreAnsweredInOrderWithTheirOwnBodies(Vertx vertx) {
        Queue<String> seen = new ConcurrentLinkedQueue<>();
        TestBackend backend = TestBackend.start(vertx, "echo", req -> req.body().onSuccess(body -> {
            String line = req.method() + " " + req.path() + " cl=" + req.getHeader("content-length")
                    + " te=" + req.getHeader("transfer-encoding") + " body=" + body.toString(StandardCharsets.ISO_8859_1);
            seen.add(line);
            req.response().end(line);
        }));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        String requests = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                + "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                + "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                + "POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                + "GET /e HTTP/1.1\r\nHost: x\r\n\r\n"
                + "PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n" + CLOSE + "\r\nxyz";

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), requests, 6);

        List<String> bodies = responses.stream().map(RawHttp.Response::body).toList();
        assertEquals(6, responses.size(), responses::toString);
        assertTrue(bodies.get(0).startsWith("POST /a cl=5 "), bodies::toString);
        assertTrue(bodies.get(0).endsWith("body=hello"), bodies::toString);
        assertTrue(bodies.get(1).startsWith("POST /b "), bodies::toString);
        assertTrue(bodies.get(1).endsWith("body=abcde"), bodies::toString);
        assertEquals("POST /c cl=0 te=null body=", bodies.get(2), "a Content-Length: 0 POST keeps its length");
        assertTrue(bodies.get(3).startsWith("POST /d ") && bodies.get(3).endsWith("body="), bodies::toString);
        assertEquals("GET /e cl=null te=null body=", bodies.get(4));
        assertEquals("PUT /f cl=3 te=null body=xyz", bodies.get(5));
        assertTrue(responses.get(5).closed());
        assertNothingInFlight(fulcrum, "after pipelined uploads");
    }

    /**
     * A backend answering an upload before reading it (401, 413) and keeping its connection: the rest of the
     * body must not be taken for a new request, on either side, and the client's next request is answered.
     */
    @Test
    void earlyAnswerWithoutConnectionCloseLeavesBothConnectionsInStep(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "early", req -> {
            if (req.path().equals("/upload")) {
                req.response().setStatusCode(401).end("who are you");
            } else {
                req.body().onSuccess(body -> req.response().end("next " + req.path() + " " + body.length()));
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        String body = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n".repeat(4000); // ~150 KB that looks like requests

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "POST /upload HTTP/1.1\r\nHost: x\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body
                + "GET /after HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 2);

        assertEquals(List.of(401, 200), responses.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals("who are you", responses.get(0).body());
        assertEquals("next /after 0", responses.get(1).body());
        assertEquals("", responses.get(1).trailing());
        assertEquals(2, backend.requests(), "the body was never read as requests");
        assertNothingInFlight(fulcrum, "after an early answer");
        // And the pooled backend connection is in step for the next client.
        assertEquals(new Http.Reply(200, "next /later 0"), new Http(vertx, fulcrum.port()).get("/later").await());
    }

    /**
     * With maxRequestBody set, chunked bodies are read up to the limit and forwarded with their length; bodyless
     * requests and empty bodies of both framings, pipelined, still reach the backend right and in order.
     */
    @Test
    void withMaxRequestBodyPipelinedBodylessAndEmptyRequestsPassIntact(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "echo", req -> req.body().onSuccess(body -> req.response().end(
                req.method() + " " + req.path() + " cl=" + req.getHeader("content-length")
                        + " te=" + req.getHeader("transfer-encoding") + " body=" + body)));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("maxRequestBody", "1KiB"));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                + "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                + "POST /d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n"
                + "HEAD /e HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 5);

        assertEquals(List.of(200, 200, 200, 200, 200), responses.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals(List.of("GET /a cl=null te=null body=", "POST /b cl=0 te=null body=", "POST /c cl=0 te=null body=",
                "POST /d cl=2 te=null body=hi", ""), responses.stream().map(RawHttp.Response::body).toList());
        assertNothingInFlight(fulcrum, "after requests under maxRequestBody");
    }

    // ---- OPTIONS * and many small chunks --------------------------------------------------------------------

    /** RFC 9112 §3.2.4: the asterisk form is forwarded as is. */
    @Test
    void optionsAsteriskReachesTheBackendAsAsterisk(Vertx vertx) {
        Queue<String> seen = new ConcurrentLinkedQueue<>();
        TestBackend backend = TestBackend.start(vertx, "options", req -> {
            seen.add(req.method() + " " + req.uri());
            req.response().putHeader("allow", "GET, POST, OPTIONS").end();
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "OPTIONS * HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n");

        assertEquals(200, response.status(), response::toString);
        assertEquals("GET, POST, OPTIONS", response.header("allow"));
        assertEquals(List.of("OPTIONS *"), List.copyOf(seen));
    }

    /** Tens of thousands of one-to-seven-byte chunks both ways arrive intact and in order. */
    @Test
    void manySmallChunksBothWaysArriveIntact(Vertx vertx) throws IOException {
        int chunks = 20_000;
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < chunks; i++) {
            expected.append(piece(i));
        }
        TestBackend backend = TestBackend.start(vertx, "tiny", req -> req.body().onSuccess(upload -> {
            HttpServerResponse response = req.response().setChunked(true)
                    .putHeader("x-upload-sha256", sha256(upload));
            for (int i = 0; i < chunks; i++) {
                response.write(piece(i));
            }
            response.end();
        }));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        StringBuilder request = new StringBuilder("POST /tiny HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" + CLOSE + "\r\n");
        for (int i = 0; i < chunks; i++) {
            String piece = piece(i);
            request.append(Integer.toHexString(piece.length())).append("\r\n").append(piece).append("\r\n");
        }
        request.append("0\r\n\r\n");

        RawHttp.Response response = RawHttp.send(fulcrum.port(), request.toString());

        assertEquals(200, response.status(), () -> response.status() + " " + response.trailing());
        assertEquals(sha256(Buffer.buffer(expected.toString(), "ISO-8859-1")), response.header("x-upload-sha256"));
        assertEquals(expected.toString(), response.body());
    }

    /** A 4xx or 5xx with a body from the backend leaves the client's keep-alive connection usable. */
    @Test
    void keepAliveConnectionIsReusedAfterBackendErrorsWithBodies(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "errors", req -> req.body().onSuccess(body -> {
            switch (req.path()) {
                case "/404" -> req.response().setStatusCode(404).end("not here");
                case "/500" -> req.response().setStatusCode(500).setChunked(true).end("broken inside");
                case "/503" -> req.response().setStatusCode(503).putHeader("retry-after", "1").end("busy");
                default -> req.response().end("fine " + body.length());
            }
        }));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "GET /404 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /500 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                + "GET /503 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n" + CLOSE + "\r\nwxyz", 4);

        assertEquals(List.of(404, 500, 503, 200), responses.stream().map(RawHttp.Response::status).toList(), responses::toString);
        assertEquals(List.of("not here", "broken inside", "busy", "fine 4"), responses.stream().map(RawHttp.Response::body).toList());
        assertEquals("1", responses.get(2).header("retry-after"));
        assertNothingInFlight(fulcrum, "after backend errors");
    }

    // ---- backends that stall or die mid-way, HTTP/1.0 clients ---------------------------------------------

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
        Socket socket = connect(fulcrum.port());
        socket.getOutputStream().write("GET /stall HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        ParsedResponse head = ParsedResponse.read(in, true);
        assertEquals(200, head.status());
        assertEquals("0123456789", new String(in.readNBytes(10), StandardCharsets.ISO_8859_1));

        socket.setSoTimeout(100);
        Await.until("the stalled response is cut off and the client's connection closed", Duration.ofSeconds(3),
                () -> readByte(in) == -1);
        assertNothingInFlight(fulcrum, "after a stalled body");
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
        Socket socket = connect(fulcrum.port());
        socket.getOutputStream().write(("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
                .getBytes(StandardCharsets.ISO_8859_1));
        Await.until("the backend has the request", WAIT, () -> backendRequests.get() == 1);
        InputStream in = new BufferedInputStream(socket.getInputStream());
        socket.setSoTimeout(100);

        Await.until("the stalled upload is cut off (408, or the connection closed)", Duration.ofSeconds(3),
                () -> readByte(in) != -2);
        assertNothingInFlight(fulcrum, "after a stalled upload");
        Await.until("the backend's request is ended too", WAIT, () -> backendAborted.get() == 1);
    }

    /**
     * The other side of a stopped upload: the backend does not take it for a while (it pauses its request), so the
     * proxy holds the client back. The client is not silent by choice and is not cut for clientIdleTimeout.
     */
    @Test
    void uploadHeldBackByASlowBackendIsNotCutAsAStalledClient(Vertx vertx) throws IOException {
        long total = 16L * 1024 * 1024;
        TestBackend backend = TestBackend.start(vertx, "slow-reader", req -> {
            req.pause();
            vertx.setTimer(1500, t -> req.resume());
            req.body().onSuccess(body -> req.response().end("got " + body.length()));
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("clientIdleTimeout", "300ms"));
        Socket socket = connect(fulcrum.port());
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(("PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + total + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        byte[] chunk = new byte[64 * 1024];
        for (long sent = 0; sent < total; sent += chunk.length) {
            out.write(chunk);
        }

        ParsedResponse response = ParsedResponse.read(new BufferedInputStream(socket.getInputStream()), false);

        assertEquals(200, response.status());
        assertEquals("got " + total, response.body());
        assertNothingInFlight(fulcrum, "after a held-back upload");
    }

    /**
     * A client that asks for a large response and never reads it: the backend is held back (right), but for
     * ever, with its connection and the in-flight slot. NGINX closes such a client after send_timeout (60 s
     * between two writes), HAProxy after timeout client. Here every timeout is 500 ms.
     */
    @Test
    void clientThatNeverReadsItsResponseIsCutOffAndGivesItsSlotBack(Vertx vertx) throws IOException {
        Buffer chunk = Http.bytes(64 * 1024, 31);
        AtomicLong written = new AtomicLong();
        AtomicBoolean stalled = new AtomicBoolean();
        AtomicBoolean backendResponseClosed = new AtomicBoolean();
        TestBackend backend = TestBackend.start(vertx, "big", req -> {
            HttpServerResponse response = req.response().setChunked(true);
            response.closeHandler(v -> backendResponseClosed.set(true));
            pumpUntilFull(response, chunk, 32L * 1024 * 1024, written, stalled);
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("requestTimeout", "500ms")
                .put("clientIdleTimeout", "500ms").put("requestHeaderTimeout", "500ms"));
        Socket socket = connect(fulcrum.port());
        socket.setReceiveBufferSize(64 * 1024);
        socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        Await.until("the backend is held back", Duration.ofSeconds(10), stalled::get);

        Await.until("the client that reads nothing is cut off and the backend's response with it (written "
                + written.get() + " bytes)", Duration.ofSeconds(3), backendResponseClosed::get);
        assertNothingInFlight(fulcrum, "after a client that never read");
    }

    /** Writes until the connection pushes back (then records it and waits for drain), up to {@code total}. */
    private static void pumpUntilFull(HttpServerResponse response, Buffer chunk, long total, AtomicLong written, AtomicBoolean stalled) {
        for (int i = 0; i < 10_000 && written.get() < total && !response.writeQueueFull(); i++) {
            response.write(chunk);
            written.addAndGet(chunk.length());
        }
        if (written.get() >= total) {
            response.end();
        } else if (response.writeQueueFull()) {
            stalled.set(true);
            response.drainHandler(v -> {
                stalled.set(false);
                pumpUntilFull(response, chunk, total, written, stalled);
            });
        } else {
            Vertx.currentContext().runOnContext(v -> pumpUntilFull(response, chunk, total, written, stalled));
        }
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
        Socket socket = connect(fulcrum.port());
        socket.getOutputStream().write("GET /stall HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        socket.setSoTimeout(100);

        Await.until("the stalled exchange is cut off", Duration.ofSeconds(3), () -> readByte(in) == -1);
        assertNothingInFlight(fulcrum, "after a stall while counting");
    }

    /**
     * An HTTP/1.0 client of a chunked response that the backend cuts short while the proxy is still counting it
     * (under 64 KiB): the client must not be told the response is complete. Nothing has been sent yet, so a 502
     * is a fine answer, but it is the proxy's own: it must not carry the backend's Set-Cookie or a
     * "Cache-Control: public, max-age=3600" that lets a shared cache keep the 502 for an hour (RFC 9111 §3).
     */
    @Test
    void http10ClientWhoseBackendDiesWhileTheBodyIsCountedGetsAClean502(Vertx vertx) {
        int port = RawBackend.start(vertx, requestLine -> new RawBackend.Reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                + "Set-Cookie: session=abc\r\nCache-Control: public, max-age=3600\r\n\r\n5\r\nhello\r\n", true));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port).put("consecutiveFailures", 100));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET /cut HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");

        assertNotEquals(200, response.status(), () -> "a cut body passed off as complete: " + response);
        if (response.status() != 0) {
            assertEquals(502, response.status(), response::toString);
            assertNull(response.header("set-cookie"), () -> "the proxy's own 502 carries the backend's headers: " + response);
            assertNull(response.header("cache-control"), () -> "the proxy's own 502 carries the backend's headers: " + response);
        }
        assertNothingInFlight(fulcrum, "after an HTTP/1.0 client's cut response");
    }

    /**
     * A backend that dies while reading an upload: the client gets an error, and the rest of its body (here
     * looking like requests) is never taken for requests; a pipelined request after it is answered or the
     * connection is closed, nothing else.
     */
    @Test
    void backendDyingMidUploadNeverTurnsTheRestOfTheBodyIntoRequests(Vertx vertx) {
        Queue<String> seen = new ConcurrentLinkedQueue<>();
        TestBackend backend = TestBackend.start(vertx, "dies", req -> {
            seen.add(req.method() + " " + req.path());
            if (req.path().equals("/upload")) {
                AtomicLong got = new AtomicLong();
                req.handler(data -> {
                    if (got.addAndGet(data.length()) > 64 * 1024) {
                        req.connection().close();
                    }
                });
            } else {
                req.response().end("answered " + req.path());
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("consecutiveFailures", 100));
        String body = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n".repeat(30_000); // ~1 MiB that looks like requests

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(), "POST /upload HTTP/1.1\r\nHost: x\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body
                + "GET /after HTTP/1.1\r\nHost: x\r\n" + CLOSE + "\r\n", 2);

        assertEquals(502, responses.get(0).status(), responses::toString);
        if (responses.size() > 1) {
            assertEquals(200, responses.get(1).status(), responses::toString);
            assertEquals("answered /after", responses.get(1).body());
        }
        assertTrue(seen.stream().noneMatch(line -> line.contains("smuggled")), seen::toString);
        assertNothingInFlight(fulcrum, "after a backend died mid-upload");
    }

    private static int readByte(InputStream in) {
        try {
            return in.read();
        } catch (SocketTimeoutException e) {
            return -2;
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Answers the first request on each connection (keep-alive, properly framed) and closes the connection,
     * unanswered, when another request arrives on it: what a backend's keep-alive timeout does when it fires as
     * the proxy reuses the connection. Probes are answered and closed.
     */
    private static int oneRequestPerConnectionBackend(Vertx vertx, AtomicInteger closedUnanswered) {
        NetServer server = vertx.createNetServer().connectHandler(socket -> {
            Buffer[] pending = {Buffer.buffer()};
            int[] answered = {0};
            socket.handler(data -> {
                pending[0].appendBuffer(data);
                String text = pending[0].toString(StandardCharsets.ISO_8859_1);
                int end = text.indexOf("\r\n\r\n");
                if (end < 0) {
                    return;
                }
                pending[0] = pending[0].getBuffer(end + 4, pending[0].length());
                if (text.substring(0, end).toLowerCase(Locale.ROOT).contains("\r\nuser-agent: fulcrum-health-check")) {
                    socket.end(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
                } else if (answered[0]++ == 0) {
                    socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                } else {
                    closedUnanswered.incrementAndGet();
                    socket.close();
                }
            });
        });
        return server.listen(0, "127.0.0.1").await().actualPort();
    }

    /** The i-th small chunk: one to seven bytes, each chunk different from its neighbours. */
    private static String piece(int i) {
        String letters = "abcdefghijklmnopqrstuvwxyz0123456789";
        int start = i % 29;
        return letters.substring(start, start + 1 + i % 7);
    }

    // ---- helpers --------------------------------------------------------------------------------------------

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
}
