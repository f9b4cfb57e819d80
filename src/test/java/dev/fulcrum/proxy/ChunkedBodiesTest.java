package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.RawBackend;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.Sha256;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Chunked bodies cross intact, trailers and thousands of tiny chunks too, and reach HTTP/1.0 clients unchunked. */
@ExtendWith(VertxExtension.class)
class ChunkedBodiesTest {

    private static final String CLOSE = "Connection: close\r\n";

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
        InFlight.awaitNone(fulcrum, "after a chunked response with trailers");
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
                    .putHeader("x-upload-sha256", Sha256.of(upload));
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
        assertEquals(Sha256.of(Buffer.buffer(expected.toString(), "ISO-8859-1")), response.header("x-upload-sha256"));
        assertEquals(expected.toString(), response.body());
    }

    /** The i-th small chunk: one to seven bytes, each chunk different from its neighbours. */
    private static String piece(int i) {
        String letters = "abcdefghijklmnopqrstuvwxyz0123456789";
        int start = i % 29;
        return letters.substring(start, start + 1 + i % 7);
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
        InFlight.awaitNone(fulcrum, "after HTTP/1.0 requests");
    }
}
