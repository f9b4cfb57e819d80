package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A request body the backend leaves unread (it answers first, or dies) is never taken for requests on either side. */
@ExtendWith(VertxExtension.class)
class UnreadRequestBodiesTest {

    private static final String CLOSE = "Connection: close\r\n";

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
        InFlight.awaitNone(fulcrum, "after the backend's early 413");
        // The client goes on uploading, as HTTP/1.1 clients do: the proxy must either read and drop the rest of
        // the body or close the connection, never leave the client blocked with its upload half sent.
        Await.until("the client's upload ends (sent whole, or its connection closed)", Duration.ofSeconds(10),
                () -> uploadOver.future().isComplete());
        assertEquals(413, http.get("/").await().status(), "the balancer still serves, through the same backend");
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
        InFlight.awaitNone(fulcrum, "after an early answer");
        // And the pooled backend connection is in step for the next client.
        assertEquals(new Http.Reply(200, "next /later 0"), new Http(vertx, fulcrum.port()).get("/later").await());
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
        InFlight.awaitNone(fulcrum, "after a backend died mid-upload");
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
}
