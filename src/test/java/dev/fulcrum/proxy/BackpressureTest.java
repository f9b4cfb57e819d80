package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.ParsedResponse;
import dev.fulcrum.support.ResponsePump;
import dev.fulcrum.support.Sha256;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A fast sender is held back through the proxy by TCP flow control, never buffered whole, HTTP/1.0 clients' too. */
@ExtendWith(VertxExtension.class)
class BackpressureTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String CLOSE = "Connection: close\r\n";

    @RegisterExtension
    final OpenSockets sockets = new OpenSockets();

    @Test
    void largeBodiesBothWaysArriveIntactAndASlowReaderHoldsTheBackendBack(Vertx vertx) throws Exception {
        Buffer upload = Http.bytes(16 * 1024 * 1024, 7);
        Buffer chunk = Http.bytes(64 * 1024, 8);
        long total = 48L * 1024 * 1024;
        ResponsePump pump = new ResponsePump(chunk, total);
        TestBackend backend = TestBackend.start(vertx, "big", req -> {
            MessageDigest digest = Sha256.digest();
            req.handler(data -> digest.update(data.getBytes()));
            req.endHandler(end -> {
                HttpServerResponse response = req.response().setChunked(true)
                        .putHeader("x-request-sha256", Sha256.hex(digest.digest()));
                pump.writeTo(response);
            });
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Http http = new Http(vertx, fulcrum.port());

        MessageDigest received = Sha256.digest();
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
        assertEquals(Sha256.of(upload), requestSha, "the backend received the 16 MiB upload intact");

        // The client reads nothing: the backend must soon be held back for good, not allowed to write all 48 MiB
        // into the proxy's memory.
        Await.until("the backend has waited for drain for a full second", Duration.ofSeconds(20), () -> pump.heldBackFor(Duration.ofSeconds(1)));
        assertTrue(pump.written() < total, "the backend wrote only " + pump.written() + " of " + total + " bytes");

        http.on(client -> {
            paused.get().resume();
            return Future.succeededFuture();
        }).await();
        Await.until("the whole response arrives", Duration.ofSeconds(30), () -> done.future().isComplete());
        assertTrue(done.future().succeeded(), () -> String.valueOf(done.future().cause()));
        assertEquals(total, receivedBytes.get());
        MessageDigest expected = Sha256.digest();
        for (long sent = 0; sent < total; sent += chunk.length()) {
            expected.update(chunk.getBytes());
        }
        assertEquals(Sha256.hex(expected.digest()), Sha256.hex(received.digest()));
        InFlight.awaitNone(fulcrum, "after 16 MiB up and 48 MiB down");
    }

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
            MessageDigest digest = Sha256.digest();
            req.pause();
            io.vertx.core.Context context = vertx.getOrCreateContext();
            resumers.add(() -> context.runOnContext(v -> req.resume()));
            backendPaused.set(true);
            req.handler(data -> {
                digest.update(data.getBytes());
                backendReceived.addAndGet(data.length());
            });
            req.endHandler(end -> {
                String sha = Sha256.hex(digest.digest());
                req.response().end(sha);
            });
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Socket socket = sockets.connect(fulcrum.port());
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
        MessageDigest expected = Sha256.digest();
        for (long i = 0; i < total; i += chunk.length) {
            expected.update(chunk);
        }
        ParsedResponse response = ParsedResponse.read(new BufferedInputStream(socket.getInputStream()), false);
        assertEquals(200, response.status(), response::toString);
        assertEquals(Sha256.hex(expected.digest()), response.body(), "the backend got the body intact");
        assertTrue(sentWhilePaused < 24L * 1024 * 1024, "while the backend read nothing the client could send "
                + sentWhilePaused + " of " + total + " bytes: the proxy buffered the upload");
        InFlight.awaitNone(fulcrum, "after a held-back upload");
    }

    /**
     * An HTTP/1.0 client cannot take a chunked response, so one of unknown length must be delimited by closing
     * the connection: it must still stream with backpressure, not be collected whole in the proxy's memory.
     */
    @Test
    void http10ClientOfAChunkedResponseDoesNotMakeTheProxyBufferItWhole(Vertx vertx) throws Exception {
        Buffer chunk = Http.bytes(64 * 1024, 11);
        long total = 48L * 1024 * 1024;
        ResponsePump pump = new ResponsePump(chunk, total);
        TestBackend backend = TestBackend.start(vertx, "big", req ->
                pump.writeTo(req.response().setChunked(true)));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Socket socket = sockets.connect(fulcrum.port());
        socket.getOutputStream().write("GET /big HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));

        // The client reads nothing yet.
        Await.until("the backend is held back for a second, or has written everything", Duration.ofSeconds(20),
                () -> pump.written() >= total || pump.heldBackFor(Duration.ofSeconds(1)));
        long writtenWhileClientIdle = pump.written();

        InputStream in = new BufferedInputStream(socket.getInputStream());
        ParsedResponse head = ParsedResponse.read(in, true);
        MessageDigest received = Sha256.digest();
        long count = 0;
        byte[] buffer = new byte[64 * 1024];
        for (int n = in.read(buffer); n >= 0 && count <= total; n = in.read(buffer)) {
            received.update(buffer, 0, n);
            count += n;
        }
        MessageDigest expected = Sha256.digest();
        for (long sent = 0; sent < total; sent += chunk.length()) {
            expected.update(chunk.getBytes());
        }
        assertEquals(200, head.status());
        assertEquals(total, count);
        assertEquals(Sha256.hex(expected.digest()), Sha256.hex(received.digest()));
        InFlight.awaitNone(fulcrum, "after an HTTP/1.0 download");
        assertTrue(writtenWhileClientIdle < total, "while the HTTP/1.0 client read nothing, the backend wrote all "
                + total + " bytes: the proxy buffered the whole response");
    }
}
