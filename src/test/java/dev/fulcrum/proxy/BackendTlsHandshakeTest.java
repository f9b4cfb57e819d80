package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TcpRelay;
import dev.fulcrum.support.TestBackend;
import dev.fulcrum.support.TestPki;
import dev.fulcrum.support.TlsBackend;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.fulcrum.support.RawWebSocket.handshake;
import static dev.fulcrum.support.RawWebSocket.readText;
import static dev.fulcrum.support.RawWebSocket.sendText;
import static dev.fulcrum.support.TlsBackend.trusting;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A failed or hung TLS handshake sent nothing: any request goes elsewhere, in connectTimeout; a slow one waits. */
@ExtendWith(VertxExtension.class)
class BackendTlsHandshakeTest {

    @RegisterExtension
    final OpenSockets sockets = new OpenSockets();

    /**
     * A handshake failure on the request path (the backend's certificate changed to one from an untrusted CA)
     * is retried on the other backend, a POST too: nothing was sent.
     */
    @Test
    void handshakeFailureOnTheRequestPathIsRetriedElsewhereForAPost(Vertx vertx) {
        TestPki pki = TestPki.get();
        int trusted = TlsBackend.start(vertx, pki.goodLeaf(), new HttpServerOptions(),
                req -> req.body().onSuccess(b -> req.response().end("a " + b)));
        int untrusted = TlsBackend.start(vertx, pki.otherCaLeaf(), new HttpServerOptions(), req -> req.response().end("never"));
        AtomicInteger target = new AtomicInteger(trusted);
        String switching = "https://localhost:" + TcpRelay.to(vertx, target);
        TestBackend plain = TestBackend.start(vertx, "b", req -> req.body().onSuccess(b -> req.response().end("b " + b)));
        Fulcrum fulcrum = Balancer.start(vertx, trusting(Balancer.config(switching, plain.url()), pki.caA())
                .put("healthCheckInterval", "1h").put("consecutiveFailures", 100));
        assertEquals(HealthState.HEALTHY, fulcrum.backends().find("default", switching).orElseThrow().health());
        target.set(untrusted);

        for (int i = 0; i < 2; i++) {
            RawHttp.Response post = RawHttp.send(fulcrum.port(),
                    "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
            assertEquals(new Http.Reply(200, "b hello"), new Http.Reply(post.status(), post.body()), post.toString());
        }
    }

    /**
     * An https backend that accepts TCP connections but never completes the TLS handshake (a hung process, a
     * plain-HTTP port by mistake that waits for a request line): nothing was sent, so the request goes to the
     * other backend, whatever its method, as README's "Retries" promises for a TLS handshake failure.
     */
    @Test
    void hungTlsHandshakeIsRetriedElsewhereForAPost(Vertx vertx) {
        TestPki pki = TestPki.get();
        AtomicBoolean hang = new AtomicBoolean(false);
        String hungUrl = "https://localhost:" + switchableTlsBackend(vertx, hang);
        TestBackend healthy = TestBackend.start(vertx, "healthy", req -> req.body().onSuccess(b -> req.response().end("took " + b)));
        JsonObject config = trusting(Balancer.config(hungUrl, healthy.url()), pki.caA()).put("connectTimeout", "300ms")
                .put("requestTimeout", "3s").put("healthCheckInterval", "1h").put("consecutiveFailures", 100)
                .put("algorithm", "round-robin");
        Fulcrum fulcrum = Balancer.start(vertx, config);
        assertHealthy(fulcrum, hungUrl);
        hang.set(true);

        // Round robin (one balancer per proxy event loop): of four requests, some meet the hung backend first.
        for (int i = 0; i < 4; i++) {
            long start = System.nanoTime();
            RawHttp.Response post = RawHttp.send(fulcrum.port(),
                    "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(new Http.Reply(200, "took hello"), new Http.Reply(post.status(), post.body()),
                    "POST " + i + " after " + tookMillis + " ms: " + post);
            assertTrue(tookMillis < 2_500, "POST " + i + " took " + tookMillis + " ms");
        }
    }

    /**
     * The same hung handshake as the only backend, in rotation (unknown health, probes far apart): the client
     * must hear within about connectTimeout that the backend did not accept the connection in time (504), the
     * way a TCP connect timeout is reported: not wait for Vert.x's 10 s SSL handshake timeout, and not be told
     * "backend connection failed".
     */
    @Test
    void hungTlsHandshakeIsBoundedByConnectTimeoutAndReportedAsSuch(Vertx vertx) {
        TestPki pki = TestPki.get();
        AtomicBoolean hang = new AtomicBoolean(false);
        String url = "https://localhost:" + switchableTlsBackend(vertx, hang);
        JsonObject config = trusting(Balancer.config(url), pki.caA()).put("connectTimeout", "300ms")
                .put("requestTimeout", "3s").put("healthCheckInterval", "1h").put("consecutiveFailures", 100);
        Fulcrum fulcrum = Balancer.start(vertx, config);
        assertHealthy(fulcrum, url);
        hang.set(true);

        long start = System.nanoTime();
        RawHttp.Response get = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        long getMillis = (System.nanoTime() - start) / 1_000_000;
        start = System.nanoTime();
        RawHttp.Response post = RawHttp.send(fulcrum.port(),
                "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
        long postMillis = (System.nanoTime() - start) / 1_000_000;

        assertTrue(getMillis < 2_500 && postMillis < 2_500, "GET took " + getMillis + " ms, POST " + postMillis + " ms");
        assertEquals(504, get.status(), get::toString);
        assertEquals("backend did not accept the connection in time", get.body().trim());
        assertEquals(504, post.status(), post::toString);
        assertEquals("backend did not accept the connection in time", post.body().trim());
    }

    /**
     * A POST to an https backend whose TLS handshake is slow (700 ms through a slow link) but well within
     * connectTimeout: the client has sent everything and waits on the backend; clientIdleTimeout (400 ms) must
     * not cut it ("a request waiting on a slow backend is never cut by it").
     */
    @Test
    void postWaitingOnASlowTlsHandshakeIsNotCutByClientIdleTimeout(Vertx vertx) {
        TestPki pki = TestPki.get();
        int tls = TlsBackend.start(vertx, pki.goodLeaf(), new HttpServerOptions(),
                req -> req.body().onSuccess(body -> req.response().end("got " + body)));
        int slowLink = TcpRelay.delaying(vertx, tls, 700);
        String post = "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
        JsonObject config = slowLinkConfig(slowLink, pki);
        // Control: with a long clientIdleTimeout the slow link works.
        Fulcrum control = Balancer.start(vertx, config);
        RawHttp.Response controlResponse = RawHttp.send(control.port(), post);
        assertEquals(200, controlResponse.status(), controlResponse::toString);
        control.stop().await();

        Fulcrum fulcrum = Balancer.start(vertx, config.copy().put("clientIdleTimeout", "400ms"));
        RawHttp.Response response = RawHttp.send(fulcrum.port(), post);

        assertEquals(200, response.status(), response::toString);
        assertEquals("got hello", response.body());
    }

    /** Same slow handshake, WebSocket upgrade: the handshake must complete, not be cut by clientIdleTimeout. */
    @Test
    void webSocketUpgradeWaitingOnASlowTlsHandshakeIsNotCut(Vertx vertx) throws IOException {
        TestPki pki = TestPki.get();
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(TestPki.keyCert(pki.goodLeaf())));
        server.webSocketHandler(ws -> ws.handler(frame -> ws.writeTextMessage(frame.toString() + " (echo)")));
        server.requestHandler(req -> req.response().end("probe"));
        server.listen(0, "127.0.0.1").await();
        JsonObject config = slowLinkConfig(TcpRelay.delaying(vertx, server.actualPort(), 700), pki);
        Fulcrum control = Balancer.start(vertx, config);
        Socket controlSocket = sockets.connect(control.port());
        InputStream controlIn = handshake(controlSocket);
        sendText(controlSocket, "control");
        assertEquals("control (echo)", readText(controlIn), "with a long clientIdleTimeout the slow link works");
        controlSocket.close();
        control.stop().await();
        Fulcrum fulcrum = Balancer.start(vertx, config.copy().put("clientIdleTimeout", "400ms"));

        Socket socket = sockets.connect(fulcrum.port());
        InputStream in = handshake(socket);
        sendText(socket, "hi");
        assertEquals("hi (echo)", readText(in));
    }

    /** An https backend behind a relay that, once {@code hang} is set, accepts new connections and relays nothing. */
    private static int switchableTlsBackend(Vertx vertx, AtomicBoolean hang) {
        int tls = TlsBackend.start(vertx, TestPki.get().goodLeaf(), new HttpServerOptions(), req -> req.response().end("ok"));
        return TcpRelay.hangingWhen(vertx, TcpRelay.to(vertx, new AtomicInteger(tls)), hang);
    }

    /** An https backend through a slow link, with every timeout far longer than its 700 ms handshake. */
    private static JsonObject slowLinkConfig(int slowLink, TestPki pki) {
        return trusting(Balancer.config("https://localhost:" + slowLink), pki.caA())
                .put("connectTimeout", "3s").put("requestTimeout", "3s").put("clientIdleTimeout", "5s")
                .put("healthCheckInterval", "1h").put("healthCheck", new JsonObject().put("timeout", "3s"));
    }

    private static void assertHealthy(Fulcrum fulcrum, String url) {
        Backend backend = fulcrum.backends().find("default", url).orElseThrow();
        assertEquals(HealthState.HEALTHY, backend.health(), backend.lastFailure());
    }
}
