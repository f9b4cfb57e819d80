package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class WebSocketTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    private final AtomicReference<ServerWebSocket> backendSide = new AtomicReference<>();
    /**
     * Vert.x closes a client nobody refers to any more once it is garbage collected, and a collection during a
     * handshake closed it mid-way ("Connection closed while handshake in process", now and then in a full run).
     */
    private static final List<Object> KEPT = new CopyOnWriteArrayList<>();

    private Fulcrum startWithEchoBackend(Vertx vertx) {
        HttpServer echo = vertx.createHttpServer()
                .webSocketHandler(ws -> {
                    backendSide.set(ws);
                    ws.handler(frame -> ws.write(frame.copy().appendString(" (echo)")));
                })
                .requestHandler(req -> req.response().end("probe ok"));
        echo.listen(0, "127.0.0.1").await();
        KEPT.add(echo);
        return Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + echo.actualPort()));
    }

    /** Opens a WebSocket through the balancer and returns it with the first echoed text. */
    private static Future<WebSocket> open(Vertx vertx, int port, AtomicReference<String> echoed) {
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

    @Test
    void framesFlowBothWaysAndAnOpenWebSocketCountsAsInFlightUntilTheClientCloses(Vertx vertx) {
        Fulcrum fulcrum = startWithEchoBackend(vertx);
        Backend backend = fulcrum.backends().all().get(0);
        AtomicReference<String> echoed = new AtomicReference<>();

        WebSocket ws = open(vertx, fulcrum.port(), echoed).await();

        Await.until("the echo came back", WAIT, () -> "hello (echo)".equals(echoed.get()));
        assertEquals(1, backend.inFlight(), "an open WebSocket is in flight");
        ws.close().await();
        Await.until("closing it gives the slot back", WAIT, () -> backend.inFlight() == 0);
    }

    @Test
    void backendClosingTheWebSocketGivesTheSlotBackToo(Vertx vertx) {
        Fulcrum fulcrum = startWithEchoBackend(vertx);
        Backend backend = fulcrum.backends().all().get(0);
        AtomicReference<String> echoed = new AtomicReference<>();
        WebSocket ws = open(vertx, fulcrum.port(), echoed).await();
        Await.until("the echo came back", WAIT, () -> echoed.get() != null);
        assertEquals(1, backend.inFlight());

        backendSide.get().close().await();

        Await.until("the backend's close gives the slot back", WAIT, () -> backend.inFlight() == 0);
        Await.until("and closes the client's side", WAIT, ws::isClosed);
    }

    /**
     * A handshake whose backend refused the connection is not sent again: the retry path would send it as a plain
     * request, without its Upgrade. The client gets a 502 (and reconnects; the refusing backend is ejected).
     */
    @Test
    void handshakeToARefusingBackendGetsA502NotAPlainRetry(Vertx vertx) {
        HttpServer echo = vertx.createHttpServer()
                .webSocketHandler(ws -> ws.handler(ws::write))
                .requestHandler(req -> req.response().end("plain request"));
        echo.listen(0, "127.0.0.1").await();
        KEPT.add(echo);
        HttpServer doomed = vertx.createHttpServer().requestHandler(req -> req.response().end("probe ok"));
        doomed.listen(0, "127.0.0.1").await();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + doomed.actualPort(),
                "http://127.0.0.1:" + echo.actualPort()).put("algorithm", "round-robin"));
        doomed.close().await();

        List<Integer> rejected = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 2; i++) {
            open(vertx, fulcrum.port(), new AtomicReference<>())
                    .onFailure(error -> rejected.add(error instanceof UpgradeRejectedException upgrade ? upgrade.getStatus() : -1))
                    .transform(done -> Future.succeededFuture()).await();
        }

        // Each proxy event loop keeps its own round-robin turn, so one or both handshakes meet the refusal.
        assertFalse(rejected.isEmpty(), "no handshake met the refusing backend");
        assertTrue(rejected.stream().allMatch(status -> status == 502), "refused handshakes were answered " + rejected);
    }
}
