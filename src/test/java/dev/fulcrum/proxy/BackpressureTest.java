package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.ParsedResponse;
import dev.fulcrum.support.Sha256;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A fast side is held back through the proxy by TCP flow control, never buffered whole in its memory: an upload
 * to a backend that reads slowly, a download to a client that reads nothing yet, HTTP/1.0 clients' included.
 */
@ExtendWith(VertxExtension.class)
class BackpressureTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String CLOSE = "Connection: close\r\n";

    private final OpenSockets sockets = new OpenSockets();

    @AfterEach
    void closeSockets() throws IOException {
        sockets.close();
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
}
