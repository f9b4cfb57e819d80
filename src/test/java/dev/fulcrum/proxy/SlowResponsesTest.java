package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.ResponsePump;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A response that comes or is read slowly, but moves, is never cut: clientIdleTimeout is for silent clients. */
@ExtendWith(VertxExtension.class)
class SlowResponsesTest {

    @RegisterExtension
    final OpenSockets sockets = new OpenSockets();

    /** Server-sent events with a heartbeat every 100 ms, for 2 s, under 500 ms timeouts: never cut. */
    @Test
    void serverSentEventsWithFrequentHeartbeatsAreNeverCut(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "sse", req -> {
            HttpServerResponse response = req.response().setChunked(true).putHeader("content-type", "text/event-stream");
            response.write(": open\n\n");
            AtomicInteger sent = new AtomicInteger();
            vertx.setPeriodic(100, id -> {
                if (sent.incrementAndGet() > 20) {
                    vertx.cancelTimer(id);
                    response.end("data: bye\n\n");
                } else {
                    response.write("data: " + sent.get() + "\n\n");
                }
            });
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "500ms").put("clientIdleTimeout", "500ms"));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET /events HTTP/1.1\r\nHost: x\r\n\r\n");

        assertEquals(200, response.status(), response::toString);
        assertTrue(response.body().endsWith("data: bye\n\n"), response.body());
        assertTrue(response.body().contains("data: 20\n\n"), response.body());
    }

    /** A long poll: the backend sends its headers after 800 ms (under requestTimeout 2 s, over clientIdleTimeout). */
    @Test
    void longPollAnsweredBeforeRequestTimeoutIsNotCutByClientIdleTimeout(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "poll", req -> vertx.setTimer(800, id -> req.response().end("event")));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "2s").put("clientIdleTimeout", "400ms"));

        RawHttp.Response get = RawHttp.send(fulcrum.port(), "GET /poll HTTP/1.1\r\nHost: x\r\n\r\n");
        RawHttp.Response post = RawHttp.send(fulcrum.port(),
                "POST /poll HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");

        assertEquals(200, get.status(), get::toString);
        assertEquals(200, post.status(), post::toString);
    }

    /** A Content-Length download of 100 bytes every 100 ms for 2 s, under 500 ms timeouts: never cut. */
    @Test
    void slowButSteadyDownloadIsNeverCut(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "drip", req -> {
            HttpServerResponse response = req.response().putHeader("content-length", "2000");
            AtomicInteger sent = new AtomicInteger();
            vertx.setPeriodic(100, id -> {
                response.write("y".repeat(100));
                if (sent.incrementAndGet() == 20) {
                    vertx.cancelTimer(id);
                    response.end();
                }
            });
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "500ms").put("clientIdleTimeout", "500ms"));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET /drip HTTP/1.1\r\nHost: x\r\n\r\n");

        assertEquals(200, response.status(), response::toString);
        assertEquals(2000, response.body().length());
    }

    /**
     * A client that reads its large download slowly but steadily (64 KiB every 20 ms): it is reading, so it must
     * not be taken for "a reader that never reads".
     */
    @Test
    void downloadToASlowButSteadyReaderIsNotCut(Vertx vertx) throws IOException {
        int total = 12 * 1024 * 1024;
        Buffer chunk = Http.bytes(64 * 1024, 7);
        TestBackend backend = TestBackend.start(vertx, "big", req -> new ResponsePump(chunk, total)
                .writeTo(req.response().putHeader("content-length", String.valueOf(total))));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "3s")
                // Progress shows as the kernel takes bytes, about a third of the socket's send buffer at a time.
                .put("clientIdleTimeout", "1500ms"));
        Socket socket = sockets.connect(fulcrum.port(), 64 * 1024);
        socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[64 * 1024];
        long started = System.nanoTime();
        long read = 0;
        long headEnd = -1;
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        boolean closed = false;
        for (int i = 0; i < 100_000 && (headEnd < 0 || read - headEnd < total); i++) {
            int n = in.read(buffer);
            if (n < 0) {
                closed = true;
                break;
            }
            if (headEnd < 0) {
                head.write(buffer, 0, n);
                int at = head.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
                if (at >= 0) {
                    headEnd = read + at + 4;
                }
            }
            read += n;
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20)); // a slow reader's pace
        }
        assertTrue(!closed && headEnd >= 0 && read - headEnd == total,
                "the slow reader (64 KiB every 20 ms, never pausing) got " + (read - Math.max(headEnd, 0)) + " of " + total
                        + " bytes, closed: " + closed + " after " + (System.nanoTime() - started) / 1_000_000 + " ms");
    }

    /** Pipelined requests whose first answer takes 700 ms (headers): both answered, in order, under 300 ms idle. */
    @Test
    void pipelinedRequestsBehindASlowAnswerAreNotCut(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "slow-first", req -> {
            if (req.path().equals("/slow")) {
                vertx.setTimer(700, id -> req.response().end("slow"));
            } else {
                req.response().end("fast");
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "3s").put("clientIdleTimeout", "300ms"));

        List<RawHttp.Response> responses = RawHttp.exchange(fulcrum.port(),
                "GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 3);

        assertEquals(List.of("slow", "fast", "fast"), responses.stream().map(RawHttp.Response::body).toList(),
                responses::toString);
    }
}
