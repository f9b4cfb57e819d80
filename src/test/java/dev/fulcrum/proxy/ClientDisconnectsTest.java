package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.Sha256;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A client leaving mid-exchange (FIN or RST) gives its slot back and leaves no backend connection out of step. */
@ExtendWith(VertxExtension.class)
class ClientDisconnectsTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @RegisterExtension
    final OpenSockets sockets = new OpenSockets();

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
            Socket socket = sockets.connect(fulcrum.port());
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

            InFlight.awaitNone(fulcrum, (reset ? "RST" : "FIN") + " mid upload");
        }
        assertEquals(2, backend.requests());
    }

    /**
     * A client that leaves in the middle of a large Content-Length download: its slot comes back, and the
     * backend connection that carried the half-read body is not reused for another request (its next response
     * would be read from the middle of the old body).
     */
    @Test
    void clientLeavingMidDownloadLeavesNoBrokenPooledConnection(Vertx vertx) throws IOException {
        Buffer big = Http.bytes(8 * 1024 * 1024, 21);
        String bigSha = Sha256.of(big);
        TestBackend backend = TestBackend.start(vertx, "big", req -> {
            if (req.path().equals("/big")) {
                req.response().putHeader("content-length", Integer.toString(big.length())).end(big);
            } else {
                req.response().end("small:" + req.path());
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        for (boolean reset : new boolean[]{false, true}) {
            Socket socket = sockets.connect(fulcrum.port());
            socket.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = socket.getInputStream();
            byte[] some = in.readNBytes(64 * 1024);
            assertEquals(64 * 1024, some.length);
            if (reset) {
                socket.setSoLinger(true, 0);
            }
            socket.close();
            InFlight.awaitNone(fulcrum, (reset ? "RST" : "FIN") + " mid download");
        }

        Http http = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 10; i++) {
            assertEquals(new Http.Reply(200, "small:/s" + i), http.get("/s" + i).await());
        }
        Http.Reply whole = http.on(client -> client.request(io.vertx.core.http.HttpMethod.GET, "/big")
                .compose(req -> req.send()).compose(resp -> resp.body()
                        .map(body -> new Http.Reply(resp.statusCode(), Sha256.of(body))))).await();
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
            Socket socket = sockets.connect(fulcrum.port());
            socket.getOutputStream().write(("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + chunk.repeat(20) + Integer.toHexString(piece.length()) + "\r\n" + piece.substring(0, 100))
                    .getBytes(StandardCharsets.ISO_8859_1));
            Await.until("the backend receives part of the body", WAIT, () -> received.get() > before);
            if (reset) {
                socket.setSoLinger(true, 0);
            }
            socket.close();
            InFlight.awaitNone(fulcrum, (reset ? "RST" : "FIN") + " mid chunked upload");
        }
        Await.until("both backend requests are cut", WAIT, () -> cut.get() == 2);

        Http http = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 5; i++) {
            assertEquals(new Http.Reply(200, "done /g" + i), http.get("/g" + i).await());
        }
        assertTrue(seen.stream().noneMatch(line -> line.contains("smuggled")), seen::toString);
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
        Socket socket = sockets.connect(fulcrum.port());
        socket.getOutputStream().write("GET /endless HTTP/1.0\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        Await.until("the backend streams", WAIT, () -> streaming.get() == 1);

        socket.close();

        InFlight.awaitNone(fulcrum, "after the HTTP/1.0 client left");
        Await.until("the backend's stream is cut", WAIT, () -> streaming.get() == 0);
    }
}
