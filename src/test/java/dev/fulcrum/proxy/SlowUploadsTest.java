package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.HealthProbes;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.PacedUpload;
import dev.fulcrum.support.ParsedResponse;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** An upload that moves slowly, or that a slow backend holds back, is cut by neither requestTimeout nor idleness. */
@ExtendWith(VertxExtension.class)
class SlowUploadsTest {

    @RegisterExtension
    final OpenSockets sockets = new OpenSockets();

    /** An upload of 100 bytes every 100 ms for 2 s, under 500 ms timeouts: never cut. */
    @Test
    void slowButSteadyUploadIsNeverCut(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "sink", req -> req.body().onSuccess(b -> req.response().end("got " + b.length())));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend)
                .put("requestTimeout", "500ms").put("clientIdleTimeout", "500ms").put("requestHeaderTimeout", "500ms"));
        Socket socket = sockets.connect(fulcrum.port());
        OutputStream out = socket.getOutputStream();
        out.write("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        byte[] piece = "x".repeat(100).getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < 20; i++) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // pacing the upload, not waiting for a state
            out.write(piece);
            out.flush();
        }
        ParsedResponse response = ParsedResponse.read(new BufferedInputStream(socket.getInputStream()), false);
        assertEquals(200, response.status(), response::toString);
        assertEquals("got 2000", response.body());
    }

    /**
     * A large upload to a backend that stops reading for 1 s (it is busy, say writing what it got) and then reads
     * the rest. The client keeps sending the whole time (TCP holds it back): it has not "stopped sending its
     * upload", and the backend's pause is far under requestTimeout (3 s). clientIdleTimeout (500 ms) must not
     * cut it.
     */
    @Test
    void uploadToABackendThatPausesReadingIsNotCutByClientIdleTimeout(Vertx vertx) throws Exception {
        long total = 24L * 1024 * 1024;
        AtomicLong received = new AtomicLong();
        int port = smallWindowBackend(vertx, req -> {
            req.handler(chunk -> {
                long before = received.getAndAdd(chunk.length());
                if (before < 1024 * 1024 && before + chunk.length() >= 1024 * 1024) {
                    req.pause();
                    vertx.setTimer(1000, id -> req.resume());
                }
            });
            req.endHandler(v -> req.response().end("got " + received.get()));
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port)
                .put("requestTimeout", "3s").put("clientIdleTimeout", "500ms"));

        assertWholeUploadArrives(fulcrum.port(), total, received);
    }

    /**
     * The same upload to a backend that reads slowly but steadily (a chunk every 10 ms, a few MB/s): the
     * request moves the whole time, so it must never be cut.
     */
    @Test
    void uploadToASlowButSteadyReaderIsNotCut(Vertx vertx) throws Exception {
        long total = 12L * 1024 * 1024;
        AtomicLong received = new AtomicLong();
        int port = smallWindowBackend(vertx, req -> {
            req.pause();
            req.handler(chunk -> received.addAndGet(chunk.length()));
            req.endHandler(v -> req.response().end("got " + received.get()));
            long timer = vertx.setPeriodic(5, id -> req.fetch(4));
            req.response().closeHandler(v -> vertx.cancelTimer(timer));
            req.response().endHandler(v -> vertx.cancelTimer(timer));
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + port)
                .put("requestTimeout", "3s").put("clientIdleTimeout", "500ms"));

        assertWholeUploadArrives(fulcrum.port(), total, received);
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
            PacedUpload.write(vertx, req, piece, 6, 250);
            return req.response().compose(resp -> resp.body().map(body -> new Http.Reply(resp.statusCode(), body.toString())));
        })).await();

        assertEquals(new Http.Reply(200, "got " + 6 * piece.length()), reply);
        InFlight.awaitNone(fulcrum, "after a slow upload");
    }

    /**
     * A backend with a 32 KiB receive buffer, so that TCP holds an upload back as soon as it stops reading; its
     * port. It answers Fulcrum's probes itself and gives {@code handler} every other request.
     */
    private static int smallWindowBackend(Vertx vertx, Handler<HttpServerRequest> handler) {
        return vertx.createHttpServer(new HttpServerOptions().setReceiveBufferSize(32 * 1024))
                .requestHandler(HealthProbes.answered(handler))
                .listen(0, "127.0.0.1").await().actualPort();
    }

    /** Uploads {@code total} bytes through the balancer on {@code port}: all of them reach the backend, answered 200. */
    private void assertWholeUploadArrives(int port, long total, AtomicLong received) throws Exception {
        ParsedResponse response = upload(port, total);

        assertEquals(200, response.status(), () -> "backend got " + received.get() + " of " + total + ": " + response);
        assertEquals("got " + total, response.body());
    }

    /** Sends {@code total} bytes as fast as TCP lets it, on another thread, and reads the response (status 0: none). */
    private ParsedResponse upload(int port, long total) throws Exception {
        Socket socket = sockets.connect(port);
        socket.setSoTimeout(20_000);
        OutputStream out = socket.getOutputStream();
        AtomicReference<IOException> writeError = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                out.write(("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: " + total + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                byte[] block = new byte[64 * 1024];
                for (long sent = 0; sent < total; sent += block.length) {
                    out.write(block, 0, (int) Math.min(block.length, total - sent));
                }
                out.flush();
            } catch (IOException e) {
                writeError.set(e);
            }
        });
        writer.start();
        ParsedResponse response;
        try {
            response = ParsedResponse.read(new BufferedInputStream(socket.getInputStream()), false);
        } catch (IOException e) {
            response = new ParsedResponse(0, Map.of(), "connection ended: " + e + "; writer: " + writeError.get());
        }
        socket.close();
        writer.join(10_000);
        return response;
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
        Socket socket = sockets.connect(fulcrum.port());
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
        InFlight.awaitNone(fulcrum, "after a held-back upload");
    }
}
