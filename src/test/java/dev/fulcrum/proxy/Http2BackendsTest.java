package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.PemCertificates;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A pool's {@code backendProtocol}: HTTP/2 to its backends, over TLS by ALPN or in the clear, on several connections. */
@ExtendWith(VertxExtension.class)
class Http2BackendsTest {

    @TempDir
    Path dir;

    @Test
    void h2SpeaksHttp2OverTlsAndH2cInTheClear(Vertx vertx) {
        PemCertificates.Pair pair = PemCertificates.ec(dir, "backend", 30, "localhost");
        HttpServer tls = vertx.createHttpServer(new HttpServerOptions().setSsl(true).setUseAlpn(true)
                        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(pair.cert().toString()).setKeyPath(pair.key().toString())))
                .requestHandler(req -> req.response().end(req.version() + " " + req.isSSL()))
                .listen(0, "127.0.0.1").await();
        HttpServer clear = vertx.createHttpServer()
                .requestHandler(req -> req.response().end(req.version() + " " + req.isSSL()))
                .listen(0, "127.0.0.1").await();

        Fulcrum overTls = Balancer.start(vertx, Balancer.config("https://localhost:" + tls.actualPort())
                .put("backendProtocol", "h2").put("backendTls", new JsonObject().put("verify", false)));
        assertEquals("HTTP_2 true", new Http(vertx, overTls.port()).get("/").await().body());
        overTls.stop().await();

        Fulcrum inTheClear = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + clear.actualPort()).put("backendProtocol", "h2c"));
        assertEquals("HTTP_2 false", new Http(vertx, inTheClear.port()).get("/").await().body());
        inTheClear.stop().await();

        Fulcrum byDefault = Balancer.start(vertx, Balancer.config("http://127.0.0.1:" + clear.actualPort()));
        assertEquals("HTTP_1_1 false", new Http(vertx, byDefault.port()).get("/").await().body(), "HTTP/1.1 unless asked");
    }

    /**
     * Vert.x opens one HTTP/2 connection per backend by default; a backend that allows 5 streams on each would then
     * carry 5 requests at once. Fulcrum's pool opens more connections as the streams fill.
     */
    @Test
    void anHttp2PoolOpensSeveralConnectionsWhenStreamsFill(Vertx vertx) throws InterruptedException {
        int streamsPerConnection = 5;
        int requests = 30;
        Set<Object> connections = ConcurrentHashMap.newKeySet();
        CountDownLatch allArrived = new CountDownLatch(requests);
        List<Runnable> held = new ArrayList<>();
        HttpServer backend = vertx.createHttpServer(new HttpServerOptions()
                        .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(streamsPerConnection)))
                .requestHandler(req -> {
                    if ("fulcrum-health-check".equals(req.getHeader("user-agent"))) {
                        req.response().end();
                        return;
                    }
                    connections.add(req.connection());
                    synchronized (held) {
                        held.add(() -> req.response().end("ok"));
                    }
                    allArrived.countDown();
                })
                .listen(0, "127.0.0.1").await();
        Fulcrum fulcrum = Balancer.startOnOneEventLoop(vertx, Balancer.config("http://127.0.0.1:" + backend.actualPort())
                .put("backendProtocol", "h2c"));
        Http http = new Http(vertx, fulcrum.port());

        List<Future<Http.Reply>> replies = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            replies.add(http.get("/" + i));
        }
        boolean arrived = allArrived.await(10, TimeUnit.SECONDS);
        synchronized (held) {
            held.forEach(Runnable::run);
        }

        assertTrue(arrived, "all " + requests + " requests reached the backend at once; " + (requests - allArrived.getCount()) + " did");
        assertTrue(connections.size() >= requests / streamsPerConnection
                && connections.size() <= BackendClients.HTTP2_CONNECTIONS_PER_BACKEND, "connections carrying them: " + connections.size());
        for (Future<Http.Reply> reply : replies) {
            assertEquals(200, reply.await().status());
        }
    }
}
