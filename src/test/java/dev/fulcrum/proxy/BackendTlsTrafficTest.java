package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.OpenSockets;
import dev.fulcrum.support.ParsedResponse;
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

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.fulcrum.support.RawWebSocket.handshake;
import static dev.fulcrum.support.RawWebSocket.readText;
import static dev.fulcrum.support.RawWebSocket.sendText;
import static dev.fulcrum.support.TlsBackend.trusting;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** An https backend carries what an http one does: keep-alive connections, WebSockets, a place in a mixed pool. */
@ExtendWith(VertxExtension.class)
class BackendTlsTrafficTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    @RegisterExtension
    final OpenSockets sockets = new OpenSockets();

    /** Keep-alive to an https backend: sequential requests share one TLS connection (no handshake per request). */
    @Test
    void tlsConnectionsAreReusedAcrossRequests(Vertx vertx) throws IOException {
        TestPki pki = TestPki.get();
        AtomicInteger connections = new AtomicInteger();
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(TestPki.keyCert(pki.goodLeaf())));
        server.connectionHandler(c -> connections.incrementAndGet());
        server.requestHandler(req -> req.response().end("keep"));
        server.listen(0, "127.0.0.1").await();
        String url = "https://localhost:" + server.actualPort();
        Fulcrum fulcrum = Balancer.start(vertx, trusting(Balancer.config(url), pki.caA()).put("healthCheckInterval", "1h"));
        int afterProbe = connections.get();

        // One client connection, so the requests land on one proxy event loop, one after the other.
        Socket socket = sockets.connect(fulcrum.port());
        InputStream in = new BufferedInputStream(socket.getInputStream());
        for (int i = 0; i < 10; i++) {
            socket.getOutputStream().write(("GET /" + i + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            ParsedResponse response = ParsedResponse.read(in, false);
            assertEquals(new Http.Reply(200, "keep"), new Http.Reply(response.status(), response.body()));
            Await.until("the backend connection is back in the pool", WAIT,
                    () -> fulcrum.backends().find("default", url).orElseThrow().inFlight() == 0);
        }

        assertEquals(1, connections.get() - afterProbe, "TLS connections opened for 10 sequential requests");
    }

    @Test
    void webSocketToAnHttpsBackend(Vertx vertx) throws IOException {
        TestPki pki = TestPki.get();
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(TestPki.keyCert(pki.goodLeaf())));
        server.webSocketHandler(ws -> ws.handler(frame -> ws.writeTextMessage(frame.toString() + " (tls echo)")));
        server.requestHandler(req -> req.response().end("probe"));
        server.listen(0, "127.0.0.1").await();
        Fulcrum fulcrum = Balancer.start(vertx, trusting(Balancer.config("https://localhost:" + server.actualPort()), pki.caA()));

        Socket socket = sockets.connect(fulcrum.port());
        InputStream in = handshake(socket);
        sendText(socket, "hello");
        assertEquals("hello (tls echo)", readText(in));
    }

    @Test
    void httpAndHttpsBackendsMixInOneConfig(Vertx vertx) {
        TestPki pki = TestPki.get();
        int tls = TlsBackend.start(vertx, pki.goodLeaf(), new HttpServerOptions(), req -> req.response().end("tls"));
        TestBackend plain = TestBackend.start(vertx, "plain");
        // Round-robin: least-busy breaks ties at random, and one in 32 runs would send all six to one backend.
        JsonObject config = Balancer.config("https://localhost:" + tls, plain.url()).put("algorithm", "round-robin");
        Fulcrum fulcrum = Balancer.start(vertx, trusting(config, pki.caA()));
        Http http = new Http(vertx, fulcrum.port());

        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Http.Reply reply = http.get("/").await();
            assertEquals(200, reply.status(), reply.body());
            bodies.add(reply.body());
        }
        assertTrue(bodies.contains("tls") && bodies.contains("plain"), bodies.toString());
    }
}
