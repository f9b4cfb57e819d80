package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
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

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Chunked bodies cross intact, trailers and tens of thousands of tiny chunks included, and are re-framed for
 * HTTP/1.0 clients, who never get the chunked coding.
 */
@ExtendWith(VertxExtension.class)
class ChunkedBodiesTest {

    private static final String CLOSE = "Connection: close\r\n";

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
}
