package dev.fulcrum.app;

import dev.fulcrum.proxy.Drained;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class GracefulShutdownTest {

    static final Duration WAIT = Duration.ofSeconds(5);

    record Answer(int status, String connection, String body) {
    }

    static TestBackend slowBackend(Vertx vertx) {
        return TestBackend.start(vertx, "slow", req -> vertx.setTimer(1000, t -> req.response().end("done")));
    }

    @Test
    void requestInFlightCompletesWhileNewConnectionsAreRefusedAndReadinessIsDown(Vertx vertx) {
        TestBackend backend = slowBackend(vertx);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        int port = fulcrum.port();
        Http admin = new Http(vertx, fulcrum.adminPort());
        Future<Answer> inFlight = new Http(vertx, port).on(client -> client.request(HttpMethod.GET, "/")
                .compose(req -> req.send())
                .compose(resp -> resp.body().map(body -> new Answer(resp.statusCode(), resp.getHeader("connection"), body.toString()))));
        Await.until("the request reached the backend", WAIT, () -> backend.requests() == 1);

        Future<Drained> shutdown = fulcrum.shutdown();

        assertEquals(503, admin.get("/health/ready").await().status(), "readiness is DOWN during the drain");
        Await.until("new connections are refused", WAIT, () -> ReloadListenerTest.refuses(port));
        assertEquals(new Answer(200, "close", "done"), inFlight.await());
        assertEquals(new Drained(1, 0), shutdown.await());
    }

    @Test
    void shutdownDelayKeepsAcceptingWhileReadinessIsAlreadyDown(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "b");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("shutdownDelay", "500ms"));
        Http http = new Http(vertx, fulcrum.port());
        Http admin = new Http(vertx, fulcrum.adminPort());

        Future<Drained> shutdown = fulcrum.shutdown();

        JsonObject readiness = new JsonObject(admin.get("/health/ready").await().body());
        assertEquals("DOWN", readiness.getString("status"));
        assertTrue(readiness.getJsonArray("checks").getJsonObject(0).getJsonObject("data").getBoolean("shuttingDown"));
        assertEquals(200, http.get("/").await().status(), "still accepting during shutdownDelay");
        assertEquals(0, shutdown.await().cutOff());
        assertTrue(ReloadListenerTest.refuses(fulcrum.port()));
    }

    @Test
    void idleKeepAliveConnectionsAreClosedAtOnce(Vertx vertx) throws IOException {
        TestBackend backend = TestBackend.start(vertx, "b");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        try (Socket idle = new Socket("127.0.0.1", fulcrum.port())) {
            idle.setSoTimeout(5_000);
            idle.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = idle.getInputStream();
            String head = readUntil(in, "\r\n\r\nb");
            assertTrue(head.startsWith("HTTP/1.1 200"), head);

            fulcrum.shutdown().await();

            assertEquals(-1, in.read(), "the idle keep-alive connection was closed");
        }
    }

    @Test
    void requestsStillRunningAfterShutdownTimeoutAreCutOffAndCounted(Vertx vertx) {
        TestBackend backend = slowBackend(vertx);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("shutdownTimeout", "100ms"));
        Future<HttpClientResponse> inFlight = new Http(vertx, fulcrum.port())
                .on(client -> client.request(HttpMethod.GET, "/").compose(req -> req.send()));
        Await.until("the request reached the backend", WAIT, () -> backend.requests() == 1);

        assertEquals(new Drained(0, 1), fulcrum.shutdown().await());
        assertFalse(inFlight.transform(done -> Future.succeededFuture(done.succeeded())).await());
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
