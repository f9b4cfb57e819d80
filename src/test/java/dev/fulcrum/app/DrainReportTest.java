package dev.fulcrum.app;

import dev.fulcrum.proxy.Drained;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.Ports;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a drain reports: requests and WebSockets ended in time as drained, those cut at shutdownTimeout as cut off. */
@ExtendWith(VertxExtension.class)
class DrainReportTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    /** Vert.x closes a client nobody refers to once it is collected (see WebSocketTest). */
    private static final List<Object> KEPT = new CopyOnWriteArrayList<>();

    @Test
    void shutdownWithNoHealthyBackendCompletesAtOnce(Vertx vertx) {
        TestBackend down = TestBackend.start(vertx, "down").probeStatus(503);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(down));
        Http http = new Http(vertx, fulcrum.port());
        assertEquals(503, http.get("/").await().status());
        assertEquals(503, new Http(vertx, fulcrum.adminPort()).get("/health/ready").await().status());

        long started = System.nanoTime();
        assertEquals(new Drained(0, 0), fulcrum.shutdown().await());
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(2));
        assertTrue(Ports.refuses(fulcrum.port()));
    }

    /**
     * One request ends within shutdownTimeout, one never would: the first is delivered, the second cut off at the
     * timeout, and the drain reports one of each. README: the process exits "logging how many requests it drained".
     */
    @Test
    void drainReportsTheRequestCutOffAtShutdownTimeout(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "b", req -> {
            if (req.path().equals("/quick")) {
                vertx.setTimer(200, t -> req.response().end("quick"));
            } // "/never" is never answered
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("shutdownTimeout", "600ms"));
        Future<Http.Reply> quick = new Http(vertx, fulcrum.port()).get("/quick");
        Future<Http.Reply> never = new Http(vertx, fulcrum.port()).get("/never");
        Await.until("both requests reached the backend", WAIT, () -> backend.requests() == 2);

        long started = System.nanoTime();
        Drained drained = fulcrum.shutdown().await();
        long millis = (System.nanoTime() - started) / 1_000_000;

        assertEquals(new Http.Reply(200, "quick"), quick.await());
        assertTrue(never.transform(done -> Future.succeededFuture(done.failed())).await(), "the endless request was cut off");
        assertTrue(millis >= 500 && millis < 3_000, "shutdown took " + millis + " ms");
        assertEquals(new Drained(1, 1), drained);
    }

    /**
     * README: "an open WebSocket counts as a request in flight" and "requests still running after a SIGTERM drain
     * are cut off" at shutdownTimeout. An idle WebSocket that is still open when shutdownTimeout ends is cut off
     * by Fulcrum, and the drain must report it as cut off, not as a request that finished.
     */
    @Test
    void webSocketStillOpenAtShutdownTimeoutIsReportedAsCutOff(Vertx vertx) {
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(echoServer(vertx)).put("shutdownTimeout", "300ms"));
        WebSocket ws = openEchoedWebSocket(vertx, fulcrum.port());

        long start = System.nanoTime();
        Drained drained = fulcrum.shutdown().await();
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

        Await.until("the WebSocket was closed by the drain", WAIT, ws::isClosed);
        assertTrue(tookMillis >= 250, "the open WebSocket was given shutdownTimeout, not cut at once: " + tookMillis + " ms");
        assertEquals(new Drained(0, 1), drained,
                "a WebSocket cut off at shutdownTimeout was counted as drained (finished) instead of cut off");
    }

    /** A WebSocket the client closes during the drain did finish: counted as drained, and the drain ends early. */
    @Test
    void webSocketClosedByTheClientDuringTheDrainCountsAsDrained(Vertx vertx) {
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(echoServer(vertx)).put("shutdownTimeout", "10s"));
        WebSocket ws = openEchoedWebSocket(vertx, fulcrum.port());

        Future<Drained> shutdown = fulcrum.shutdown();
        Await.until("new connections are refused", WAIT, () -> Ports.refuses(fulcrum.port()));
        assertFalse(shutdown.isComplete(), "the open WebSocket holds the drain");
        ws.close().await();

        assertEquals(new Drained(1, 0), shutdown.await());
    }

    /**
     * Requests in flight when SIGTERM arrives and that finish during shutdownDelay were drained too: the log
     * ("drained N request(s)") must count them, or with the documented Kubernetes setup (shutdownDelay 5s) it
     * says "drained 0" right after "1 request(s) in flight".
     */
    @Test
    void requestInFlightAtSigtermThatFinishesDuringShutdownDelayIsCountedAsDrained(Vertx vertx) {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(200, t -> req.response().end("done")));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(slow).put("shutdownDelay", "600ms"));
        Future<Http.Reply> inFlight = new Http(vertx, fulcrum.port()).get("/");
        Await.until("the request reached the backend", WAIT, () -> slow.requests() == 1);

        Future<Drained> shutdown = fulcrum.shutdown();

        assertEquals(new Http.Reply(200, "done"), inFlight.await());
        assertEquals(new Drained(1, 0), shutdown.await(), "the request in flight at SIGTERM was not counted");
    }

    /** A backend that echoes WebSocket frames; its URL. */
    private static String echoServer(Vertx vertx) {
        HttpServer echo = vertx.createHttpServer()
                .webSocketHandler(ws -> ws.handler(frame -> ws.write(frame.copy())))
                .requestHandler(req -> req.response().end("probe ok"));
        echo.listen(0, "127.0.0.1").await();
        KEPT.add(echo);
        return "http://127.0.0.1:" + echo.actualPort();
    }

    /** A WebSocket through the balancer on {@code port}, once "hello" has come back on it. */
    private static WebSocket openEchoedWebSocket(Vertx vertx, int port) {
        AtomicReference<String> echoed = new AtomicReference<>();
        WebSocket ws = openWebSocket(vertx, port, echoed).await();
        Await.until("the echo came back", WAIT, () -> "hello".equals(echoed.get()));
        return ws;
    }

    private static Future<WebSocket> openWebSocket(Vertx vertx, int port, AtomicReference<String> echoed) {
        Context context = vertx.getOrCreateContext();
        Promise<WebSocket> opened = Promise.promise();
        context.runOnContext(v -> {
            WebSocketClient client = vertx.createWebSocketClient();
            KEPT.add(client);
            client.connect(port, "127.0.0.1", "/ws").onSuccess(ws -> {
                ws.handler(frame -> echoed.set(frame.toString()));
                ws.writeTextMessage("hello");
            }).onComplete(opened);
        });
        return opened.future();
    }
}
