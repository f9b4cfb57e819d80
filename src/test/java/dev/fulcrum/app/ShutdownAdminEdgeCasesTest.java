package dev.fulcrum.app;

import dev.fulcrum.proxy.Drained;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.Ports;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.netty.channel.EventLoop;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Edge cases of graceful shutdown and the admin (Kubernetes probe) endpoints, in-process; the signals on the
 * real jar are in {@link SignalsIT}.
 */
@ExtendWith(VertxExtension.class)
class ShutdownAdminEdgeCasesTest {

    static final Duration WAIT = Duration.ofSeconds(5);
    /** Vert.x closes a client nobody refers to once it is collected (see WebSocketTest). */
    private static final List<Object> KEPT = new CopyOnWriteArrayList<>();

    // ---------------------------------------------------------------------------------------------------------
    // Graceful shutdown, in-process
    // ---------------------------------------------------------------------------------------------------------

    /**
     * README: "an open WebSocket counts as a request in flight" and "requests still running after a SIGTERM drain
     * are cut off" at shutdownTimeout. An idle WebSocket that is still open when shutdownTimeout ends is cut off
     * by Fulcrum, and the drain must report it as cut off, not as a request that finished.
     */
    @Test
    void webSocketStillOpenAtShutdownTimeoutIsReportedAsCutOff(Vertx vertx) {
        HttpServer echo = vertx.createHttpServer()
                .webSocketHandler(ws -> ws.handler(frame -> ws.write(frame.copy())))
                .requestHandler(req -> req.response().end("probe ok"));
        echo.listen(0, "127.0.0.1").await();
        KEPT.add(echo);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + echo.actualPort())
                .put("shutdownTimeout", "300ms"));
        AtomicReference<String> echoed = new AtomicReference<>();
        WebSocket ws = openWebSocket(vertx, fulcrum.port(), echoed).await();
        Await.until("the echo came back", WAIT, () -> "hello".equals(echoed.get()));

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
        HttpServer echo = vertx.createHttpServer()
                .webSocketHandler(ws -> ws.handler(frame -> ws.write(frame.copy())))
                .requestHandler(req -> req.response().end("probe ok"));
        echo.listen(0, "127.0.0.1").await();
        KEPT.add(echo);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + echo.actualPort())
                .put("shutdownTimeout", "10s"));
        AtomicReference<String> echoed = new AtomicReference<>();
        WebSocket ws = openWebSocket(vertx, fulcrum.port(), echoed).await();
        Await.until("the echo came back", WAIT, () -> "hello".equals(echoed.get()));

        Future<Drained> shutdown = fulcrum.shutdown();
        Await.until("new connections are refused", WAIT, () -> ReloadListenerTest.refuses(fulcrum.port()));
        assertFalse(shutdown.isComplete(), "the open WebSocket holds the drain");
        ws.close().await();

        assertEquals(new Drained(1, 0), shutdown.await());
    }

    /**
     * README: requests in flight finish and "responses carry Connection: close"; after the response the
     * keep-alive connection itself is closed by Fulcrum (nothing else may be sent on it).
     */
    @Test
    void keepAliveConnectionWithARequestInFlightGetsConnectionCloseAndIsThenClosed(Vertx vertx) throws IOException {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(500, t -> req.response().end("done")));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(slow));
        try (Socket socket = new Socket("127.0.0.1", fulcrum.port())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            Await.until("the request reached the backend", WAIT, () -> slow.requests() == 1);

            Future<Drained> shutdown = fulcrum.shutdown();

            String head = readUntil(socket.getInputStream(), "\r\n\r\ndone");
            assertTrue(head.startsWith("HTTP/1.1 200"), head);
            assertTrue(head.toLowerCase().contains("\r\nconnection: close\r\n"), head);
            assertEquals(-1, socket.getInputStream().read(), "Fulcrum closes the connection after the response");
            assertEquals(new Drained(1, 0), shutdown.await());
        }
    }

    /**
     * README: requests in flight finish and "responses carry Connection: close". An HTTP/1.0 client that asked
     * for keep-alive must be told close too (RFC 9112 Appendix C.2.2), not "keep-alive" on a connection that is
     * then closed under it.
     */
    @Test
    void http10KeepAliveClientInFlightAtTheDrainIsToldConnectionClose(Vertx vertx) {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(500, t -> req.response().end("done")));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(slow));
        Future<RawHttp.Response> response = vertx.executeBlocking(() -> RawHttp.send(fulcrum.port(),
                "GET / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"), false);
        Await.until("the request reached the backend", WAIT, () -> slow.requests() == 1);

        Future<Drained> shutdown = fulcrum.shutdown();

        RawHttp.Response got = response.await();
        assertEquals(200, got.status());
        assertEquals("done", got.body());
        assertEquals("close", got.header("connection"), "told keep-alive while draining: " + got.headers());
        assertTrue(got.closed());
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

    /**
     * RFC 9112 §9.6: a server that sends "Connection: close" "MUST NOT process any further requests received on
     * that connection". A client that pipelined a second request behind one in flight when the drain starts gets
     * the first answered with close, and must be able to retry the second elsewhere without it having run.
     */
    @Test
    void pipelinedRequestBehindTheOneInFlightIsNotForwardedAfterConnectionClose(Vertx vertx) {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(500, t -> req.response().end("done " + req.path())));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(slow));
        Future<List<RawHttp.Response>> responses = vertx.executeBlocking(() -> RawHttp.exchange(fulcrum.port(),
                "GET /first HTTP/1.1\r\nHost: x\r\n\r\nPOST /second HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 2), false);
        Await.until("the first request reached the backend", WAIT, () -> slow.requests() == 1);

        fulcrum.shutdown().await();

        List<RawHttp.Response> got = responses.await();
        assertEquals("done /first", got.get(0).body());
        assertEquals("close", got.get(0).header("connection"));
        assertEquals(1, slow.requests(), "the pipelined POST was forwarded after the response that said close");
        assertEquals(1, got.size(), "a response followed the one that said Connection: close");
    }

    /**
     * README: during shutdownDelay Fulcrum keeps accepting (Kubernetes endpoint propagation). A request that
     * arrives on an already open keep-alive connection during the delay is served, and once the delay is over
     * that now idle connection is closed.
     */
    @Test
    void keepAliveRequestDuringShutdownDelayIsServedAndTheIdleConnectionClosesAfterTheDelay(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "b");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("shutdownDelay", "700ms"));
        try (Socket socket = new Socket("127.0.0.1", fulcrum.port())) {
            socket.setSoTimeout(5_000);
            InputStream in = socket.getInputStream();
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            assertTrue(readUntil(in, "\r\n\r\nb").startsWith("HTTP/1.1 200"));

            Future<Drained> shutdown = fulcrum.shutdown();
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            String second = readUntil(in, "\r\n\r\nb");
            assertTrue(second.startsWith("HTTP/1.1 200"), "served during shutdownDelay: " + second);
            assertFalse(shutdown.isComplete());

            shutdown.await();
            assertEquals(-1, in.read(), "the idle keep-alive connection is closed once the delay is over");
        }
    }

    /** Kubernetes: on SIGTERM readiness goes DOWN but liveness must stay UP, or the kubelet kills the drain. */
    @Test
    void livenessStaysUpAndReadinessDownForTheWholeDrain(Vertx vertx) {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(700, t -> req.response().end("done")));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(slow).put("shutdownDelay", "100ms"));
        Http admin = new Http(vertx, fulcrum.adminPort());
        Future<Http.Reply> inFlight = new Http(vertx, fulcrum.port()).get("/");
        Await.until("the request reached the backend", WAIT, () -> slow.requests() == 1);

        Future<Drained> shutdown = fulcrum.shutdown();

        assertEquals(503, admin.get("/health/ready").await().status(), "readiness DOWN at once");
        assertEquals(200, admin.get("/health/live").await().status(), "liveness UP during shutdownDelay");
        Await.until("the listener stopped accepting", WAIT, () -> ReloadListenerTest.refuses(fulcrum.port()));
        assertFalse(inFlight.isComplete());
        assertEquals(200, admin.get("/health/live").await().status(), "liveness UP while draining");
        assertEquals(503, admin.get("/health/ready").await().status(), "readiness DOWN while draining");
        assertEquals(new Http.Reply(200, "done"), inFlight.await());
        assertEquals(new Drained(1, 0), shutdown.await());
    }

    /**
     * A listenPort edit lets the old listener's requests in flight finish "for up to shutdownTimeout" (README,
     * Live reload). A SIGTERM that arrives while such a request still runs must drain it too, not cut it off.
     */
    @Test
    void requestInFlightOnTheOldListenerAfterAListenPortEditIsDrainedBySigterm(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend slow = TestBackend.start(vertx, "slow", req -> vertx.setTimer(2_000, t -> req.response().end("done")));
        int[] ports = Ports.free(2);
        JsonObject config = Balancer.config(slow).put("listenPort", "127.0.0.1:" + ports[0]);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Future<Http.Reply> inFlight = new Http(vertx, ports[0]).get("/");
        Await.until("the request reached the backend", WAIT, () -> slow.requests() == 1);

        file.renameReplace(config.copy().put("listenPort", "127.0.0.1:" + ports[1]));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);
        Future<Drained> shutdown = fulcrum.shutdown();

        assertEquals(new Http.Reply(200, "done"),
                inFlight.otherwise(error -> new Http.Reply(0, String.valueOf(error))).await(),
                "the request in flight on the old listener was cut off by the drain");
        assertEquals(0, shutdown.await().cutOff());
    }

    // ---------------------------------------------------------------------------------------------------------
    // Admin endpoints
    // ---------------------------------------------------------------------------------------------------------

    /** RFC 9110 §9.1: "All general-purpose servers MUST support the methods GET and HEAD." */
    @Test
    void headOnTheProbeEndpointsAnswersLikeGet(Vertx vertx) {
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(TestBackend.start(vertx, "a")));
        Http admin = new Http(vertx, fulcrum.adminPort());

        assertEquals(new Http.Reply(200, ""), admin.send(HttpMethod.HEAD, "/health/live").await(), "HEAD /health/live");
        assertEquals(new Http.Reply(200, ""), admin.send(HttpMethod.HEAD, "/health/ready").await(), "HEAD /health/ready");
    }

    /** An unknown path is 404; a known path with a method it does not take is 405 with Allow (RFC 9110 §15.5.6). */
    @Test
    void unknownAdminPathIs404AndWrongMethodIs405WithAllow(Vertx vertx) {
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(TestBackend.start(vertx, "a")));
        int port = fulcrum.adminPort();

        assertEquals(404, new Http(vertx, port).get("/nope").await().status());
        assertEquals(404, new Http(vertx, port).get("/health").await().status());
        RawHttp.Response post = RawHttp.send(port, "POST /health/ready HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        assertEquals(405, post.status());
        assertNotNull(post.header("allow"), "a 405 must say which methods are allowed: " + post.headers());
        assertTrue(post.header("allow").contains("GET"), post.headers().toString());
        RawHttp.Response delete = RawHttp.send(port, "DELETE /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(405, delete.status());
    }

    /**
     * README: "GET /health/live is 200 while the event loops answer". With a proxy event loop wedged (a blocked
     * handler, a runaway loop), the clients it was dealt get no answer, and liveness must say so, so that the
     * kubelet restarts the pod; it must not keep answering 200 from the admin's own, still free, event loop.
     */
    @Test
    void livenessIsNotUpWhileAProxyEventLoopIsWedged(Vertx vertx) throws Exception {
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(TestBackend.start(vertx, "a")));
        EventLoop adminLoop = eventLoopOf(field(fulcrum, "admin"));
        List<EventLoop> proxyLoops = new ArrayList<>();
        for (Object proxy : (List<?>) field(fulcrum, "proxies")) {
            EventLoop loop = eventLoopOf(proxy);
            if (loop != adminLoop && !proxyLoops.contains(loop)) {
                proxyLoops.add(loop);
            }
        }
        // In production (one event loop per core) the admin always shares a loop with a proxy: block the others.
        assertFalse(proxyLoops.isEmpty(), "no proxy event loop apart from the admin's");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(proxyLoops.size());
        for (EventLoop loop : proxyLoops) {
            loop.execute(() -> {
                blocked.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        try {
            assertTrue(blocked.await(5, TimeUnit.SECONDS));
            // Connections are dealt to the proxies in turn: of two, one lands on a wedged loop and gets no answer.
            try (Socket one = new Socket("127.0.0.1", fulcrum.port()); Socket two = new Socket("127.0.0.1", fulcrum.port())) {
                int unanswered = 0;
                for (Socket proxy : List.of(one, two)) {
                    proxy.setSoTimeout(500);
                    proxy.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    try {
                        proxy.getInputStream().read();
                    } catch (SocketTimeoutException e) {
                        unanswered++;
                    }
                }
                assertTrue(unanswered >= 1, "a proxy event loop is wedged: its clients get no answer");
            }
            int status;
            try (Socket socket = new Socket("127.0.0.1", fulcrum.adminPort())) {
                socket.setSoTimeout(3_000);
                socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                String head = readUntil(socket.getInputStream(), "\r\n");
                status = Integer.parseInt(head.substring(9, 12));
            } catch (AssertionError noAnswer) {
                status = 0; // no answer in time is a failed probe too
            }
            assertEquals(503, status, "liveness is DOWN (503) while a proxy event loop is wedged and its clients get no answer");
        } finally {
            release.countDown();
        }
    }

    /** README: a refused edit leaves readiness UP (the balancer still serves) and shows the refusal. */
    @Test
    void refusedEditKeepsReadinessUpWithTheError(Vertx vertx, @TempDir Path dir) {
        TestBackend backend = TestBackend.start(vertx, "b");
        ConfigFile file = ConfigFile.plain(dir, Balancer.config(backend));
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http admin = new Http(vertx, fulcrum.adminPort());

        file.renameReplace("{\"servers\": []}");
        Await.until("the edit is refused", WAIT, () -> fulcrum.status().lastError() != null);

        Http.Reply ready = admin.get("/health/ready").await();
        assertEquals(200, ready.status());
        JsonObject data = new JsonObject(ready.body()).getJsonArray("checks").getJsonObject(0).getJsonObject("data");
        assertEquals(fulcrum.status().lastError(), data.getJsonObject("config").getString("lastError"));
    }

    /**
     * README (Live reload): a new adminPort is bound first, then the old listener stops. The probes answer on
     * the new port, the old one is closed, and the new admin port is closed again when Fulcrum stops.
     */
    @Test
    void adminPortEditMovesTheProbesAndShutdownClosesTheNewPort(Vertx vertx, @TempDir Path dir) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "b");
        int[] ports = Ports.free(2);
        // The delay holds the admin server up after the SIGTERM long enough to ask it for readiness.
        JsonObject config = Balancer.config(backend).put("adminPort", "127.0.0.1:" + ports[0]).put("shutdownDelay", "300ms");
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);

        file.renameReplace(config.copy().put("adminPort", "127.0.0.1:" + ports[1]));
        Await.until("the edit applied", WAIT, () -> fulcrum.status().generation() == 2);

        Http admin = new Http(vertx, ports[1]);
        assertEquals(200, admin.get("/health/ready").await().status());
        assertEquals(200, admin.get("/health/live").await().status());
        Await.until("the old admin port is closed", WAIT, () -> ReloadListenerTest.refuses(ports[0]));
        assertEquals(ports[1], fulcrum.adminPort());

        Future<Drained> shutdown = fulcrum.shutdown();
        assertEquals(503, admin.get("/health/ready").await().status(), "readiness DOWN on the new admin port");
        shutdown.await();
        Await.until("the new admin port is closed after the stop", WAIT, () -> ReloadListenerTest.refuses(ports[1]));
    }

    // ---------------------------------------------------------------------------------------------------------

    private static Object field(Object owner, String name) throws ReflectiveOperationException {
        Field field = owner.getClass().getDeclaredField(name);
        field.setAccessible(true);
        return field.get(owner);
    }

    private static EventLoop eventLoopOf(Object verticle) throws ReflectiveOperationException {
        Field context = VerticleBase.class.getDeclaredField("context");
        context.setAccessible(true);
        return ((ContextInternal) context.get(verticle)).nettyEventLoop();
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

    private static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder text = new StringBuilder();
        while (!text.toString().endsWith(end)) {
            int c;
            try {
                c = in.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no complete response; got " + text);
            }
            if (c < 0) {
                throw new AssertionError("closed early; got " + text);
            }
            text.append((char) c);
        }
        return text.toString();
    }
}
